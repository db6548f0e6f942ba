package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/staygraph/staygraph/internal/server"
)

// Codes of HTTP requests that are not a GraphQL request.
const (
	// CodeBatchingNotSupported: the body is a JSON array of operations.
	CodeBatchingNotSupported = "BATCHING_NOT_SUPPORTED"
	// CodeBadRequest: the request is not a GraphQL request this API reads.
	CodeBadRequest = "BAD_REQUEST"
)

// rawRequest is the body of a GraphQL POST, as gqlgen decodes it.
type rawRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

// validGET reports whether a GET request's parameters decode as gqlgen
// expects.
func validGET(r *http.Request) bool {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return false
	}
	for _, name := range []string{"variables", "extensions"} {
		if v := q.Get(name); v != "" {
			var m map[string]any
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber()
			if dec.Decode(&m) != nil || dec.More() {
				return false
			}
		}
	}
	return true
}

// oneOperation refuses, with a GraphQL error and 4xx, HTTP requests gqlgen
// would answer with an uncoded error (or echo the body of): other methods
// than GET, POST and OPTIONS; GET parameters that do not decode; POST
// bodies that are not JSON; batches (a JSON
// array of operations: one request is one operation, so every limit counts
// it); and bodies that are not one JSON object of query, operationName,
// variables and extensions. The messages never repeat the body.
func oneOperation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handshake := server.WebSocketHandshake(r)
		if !handshake && r.Header.Get("Upgrade") != "" {
			// An offer to upgrade to another protocol (h2c, from curl
			// --http2 or a proxy passing Upgrade on) is ignored, as HTTP
			// lets a server do: the request is served as it is.
			r = r.Clone(r.Context())
			r.Header.Del("Upgrade")
		}
		switch r.Method {
		case http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		case http.MethodGet:
			if !validGET(r) {
				server.WriteError(w, r, refusalStatus(r), CodeBadRequest,
					"the URL is not a GraphQL request: query, operationName, and variables and extensions as JSON objects", nil)
				return
			}
			if !handshake { // not the subscription socket's
				r = r.WithContext(context.WithValue(r.Context(), viaGETKey{}, true))
			}
			next.ServeHTTP(w, r)
			return
		case http.MethodPost:
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			server.WriteError(w, r, http.StatusMethodNotAllowed, CodeBadRequest, "use POST (or GET for queries)", nil)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			server.WriteError(w, r, http.StatusUnsupportedMediaType, CodeBadRequest, "send the operation as Content-Type: application/json", nil)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			server.WriteError(w, r, http.StatusBadRequest, CodeBadRequest, "could not read the request body", nil)
			return
		}
		if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
			server.WriteError(w, r, refusalStatus(r), CodeBatchingNotSupported,
				"batched operations are not supported: send one operation per request", nil)
			return
		}
		var req rawRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&req); err != nil || dec.More() {
			server.WriteError(w, r, refusalStatus(r), CodeBadRequest,
				`the body is not a GraphQL request: send one JSON object {"query", "operationName", "variables", "extensions"}`, nil)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// refusalStatus is the status of a request refused before it runs, as the
// transports answer an operation refused by the limits: 422 when the
// client's Accept header picks application/json, else 400.
func refusalStatus(r *http.Request) int {
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*", "application/graphql-response+json":
			return http.StatusBadRequest
		case "application/json":
			return http.StatusUnprocessableEntity
		}
	}
	return http.StatusBadRequest
}

// viaGETKey marks the context of a GET request.
type viaGETKey struct{}

// transportOperations refuses operations a transport does not serve. The
// subscription socket serves subscriptions only: queries and mutations go
// over HTTP, where every request is rate limited, size limited and
// authenticated afresh. GET serves queries only: a URL that crawlers,
// prefetchers and proxies may repeat must not change anything (gqlgen's GET
// transport would answer an uncoded 406).
type transportOperations struct{}

var _ interface {
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = transportOperations{}

// ExtensionName names the extension in gqlgen's stats.
func (transportOperations) ExtensionName() string { return "TransportOperations" }

// Validate accepts every schema.
func (transportOperations) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters writes the whole numbers among the variables as
// integers (wholeNumbers), and charges an operation sent on the socket to
// its caller's rate limit, as a request over HTTP is, before anything reads
// it.
func (transportOperations) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	for name, v := range p.Variables {
		p.Variables[name] = wholeNumbers(v)
	}
	if onSocket, _ := ctx.Value(onSocketKey{}).(bool); !onSocket {
		return nil
	}
	return charge(ctx)
}

// charge takes a token of the caller's rate limit (server.Charge): nil, or
// the RATE_LIMITED error that says when to try again.
func charge(ctx context.Context) *gqlerror.Error {
	var limited *server.RateLimitedError
	if err := server.Charge(ctx); errors.As(err, &limited) {
		e := refuse(server.CodeRateLimited, "%s", limited.Error())
		e.Extensions["retryAfterSeconds"] = limited.RetryAfterSeconds()
		return e
	}
	return nil
}

// MutateOperationContext refuses an operation its transport does not serve.
func (transportOperations) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	op := opCtx.Operation.Operation
	onSocket, _ := ctx.Value(onSocketKey{}).(bool)
	switch {
	case onSocket && op != ast.Subscription:
		return refuse(CodeSubscriptionsOnly, "this socket serves subscriptions only: send queries and mutations over HTTP")
	case !onSocket && op == ast.Subscription:
		// gqlgen's POST transport would hold the request open until the
		// first event
		return refuse(CodeBadRequest, "subscriptions go over the WebSocket (graphql-transport-ws) at this URL")
	}
	if viaGET, _ := ctx.Value(viaGETKey{}).(bool); viaGET && op != ast.Query {
		return refuse(CodeBadRequest, "GET requests only allow queries: mutations go by POST, subscriptions over the WebSocket")
	}
	return nil
}

// wholeNumbers is v with every number that is whole but written as a
// fraction or with an exponent (1.0, 1e1: JSON does not tell them from 1,
// and Python's json.dumps writes 1.0 for a float) written as an integer, so
// that an Int variable reads it as GraphQL's coercion does. gqlparser reads
// an Int with strconv and refused them as "not a whole number". Fractions,
// and whole numbers beyond 64 bits, stay as they are, for the Int that
// takes one to refuse. It reads each number's digits once and never
// expands its exponent (1e999999 costs what its 8 characters cost).
func wholeNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return v
		}
		if n, ok := wholeNumber(string(v)); ok {
			return json.Number(strconv.FormatInt(n, 10))
		}
	case []any:
		for i := range v {
			v[i] = wholeNumbers(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = wholeNumbers(v[k])
		}
	}
	return v
}

// wholeNumber reads a JSON number (-?int(.frac)?([eE][+-]?exp)?) that is a
// whole number within int64 without floating point: the digits of int and
// frac, moved by exp less frac's length.
func wholeNumber(s string) (int64, bool) {
	mantissa, exp, ok := strings.Cut(strings.ToLower(s), "e")
	shift := 0
	if ok {
		negative := strings.HasPrefix(exp, "-")
		exp = strings.TrimLeft(strings.TrimLeft(exp, "+-"), "0") // JSON allows 2e007
		if len(exp) > 9 {
			exp = "1000000000" // beyond any digits a request holds: the same answer
		}
		e, err := strconv.Atoi("0" + exp)
		if err != nil {
			return 0, false
		}
		if shift = e; negative {
			shift = -e
		}
	}
	sign := ""
	if rest, neg := strings.CutPrefix(mantissa, "-"); neg {
		sign, mantissa = "-", rest
	}
	whole, frac, _ := strings.Cut(mantissa, ".")
	digits := strings.TrimLeft(whole+frac, "0")
	shift -= len(frac)
	if shift < 0 {
		drop := -shift
		if drop >= len(digits) {
			if strings.Trim(digits, "0") != "" {
				return 0, false // a fraction
			}
			return 0, true
		}
		if strings.Trim(digits[len(digits)-drop:], "0") != "" {
			return 0, false // a fraction
		}
		digits, shift = digits[:len(digits)-drop], 0
	}
	if digits == "" {
		return 0, true
	}
	if len(digits)+shift > 19 {
		return 0, false // beyond int64
	}
	n, err := strconv.ParseInt(sign+digits+strings.Repeat("0", shift), 10, 64)
	return n, err == nil
}
