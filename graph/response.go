package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
)

// asIs wraps gqlgen's GET and POST transports so that an operation's
// response is written as gqlgen's executor made it. The transports marshal
// the response with encoding/json, which validates and copies the data
// gqlgen itself produced, byte by byte (~8 % of the API's CPU on a page of
// search results), and escapes <, > and & in its strings as \u003c, \u003e
// and \u0026 (the same JSON values; the answer is never HTML). Everything
// else — reading the request, content negotiation, headers, status codes
// and error responses — stays theirs: the transport marshals an empty
// response in place of the one written here, and its writer drops it.
type asIs struct{ graphql.Transport }

func (t asIs) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	sw := &skipWriter{ResponseWriter: w}
	t.Transport.Do(sw, r, asIsExecutor{GraphExecutor: exec, w: sw})
}

// asIsExecutor writes an operation's response itself, once, when the
// transport asks for it.
type asIsExecutor struct {
	graphql.GraphExecutor
	w *skipWriter
}

func (e asIsExecutor) DispatchOperation(ctx context.Context, oc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	responses, ctx := e.GraphExecutor.DispatchOperation(ctx, oc)
	return func(ctx context.Context) *graphql.Response {
		resp := responses(ctx)
		if resp == nil || e.w.skip || !writeResponse(e.w.ResponseWriter, resp) {
			return resp
		}
		// Written: the transport marshals this empty one instead, and its
		// write is dropped.
		e.w.skip = true
		return &graphql.Response{}
	}, ctx
}

// skipWriter passes writes through until skip is set.
type skipWriter struct {
	http.ResponseWriter
	skip bool
}

func (w *skipWriter) Write(b []byte) (int, error) {
	if w.skip {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *skipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writeResponse writes resp as encoding/json would (the fields of
// graphql.Response in their order), with its data as it is. It writes
// nothing and reports false for what only incremental delivery sets
// (label, path, hasNext), leaving those to encoding/json.
func writeResponse(w http.ResponseWriter, resp *graphql.Response) bool {
	if resp.Label != "" || len(resp.Path) > 0 || resp.HasNext != nil {
		return false
	}
	var errs, exts []byte
	var err error
	if len(resp.Errors) > 0 {
		if errs, err = json.Marshal(resp.Errors); err != nil {
			return false
		}
	}
	if len(resp.Extensions) > 0 {
		if exts, err = json.Marshal(resp.Extensions); err != nil {
			return false
		}
	}
	data := []byte(resp.Data)
	if len(data) == 0 {
		data = []byte("null")
	}
	body := make([]byte, 0, len(errs)+len(data)+len(exts)+32)
	body = append(body, '{')
	if errs != nil {
		body = append(append(append(body, `"errors":`...), errs...), ',')
	}
	body = append(append(body, `"data":`...), data...)
	if exts != nil {
		body = append(append(body, `,"extensions":`...), exts...)
	}
	body = append(body, '}')
	// the whole body in one write, its length known: not chunked
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
	return true
}
