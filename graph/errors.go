package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/cardnumber"
	"github.com/staygraph/staygraph/internal/server"
)

// userErrors splits a service error into the userErrors of a mutation payload.
// Expected business outcomes become userErrors; authentication and
// authorization failures and internal errors stay top-level errors.
func userErrors(err error) ([]apperr.Error, error) {
	if err == nil {
		return []apperr.Error{}, nil
	}
	all, ok := apperr.All(err)
	if !ok {
		return nil, err
	}
	out := make([]apperr.Error, 0, min(len(all), maxUserErrors+1))
	for _, e := range all {
		if e.Code == apperr.Unauthenticated || e.Code == apperr.Forbidden {
			return nil, e
		}
		if len(out) < maxUserErrors {
			out = append(out, *e)
		}
	}
	if n := len(all) - maxUserErrors; n > 0 {
		out = append(out, apperr.Error{Code: out[0].Code, Message: fmt.Sprintf("and %d more errors like these", n)})
	}
	return out, nil
}

// maxUserErrors is the most userErrors a payload lists: a list of
// thousands of bad elements is refused with a few of them and a count.
const maxUserErrors = 20

// NotFound in a query resolves to null rather than an error.
func nullIfNotFound[T any](v T, err error) (*T, error) {
	if apperr.HasCode(err, apperr.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// ErrorPresenter turns typed domain errors into GraphQL errors with
// extensions.code and hides internal failures behind a generic message.
// Every error carries extensions.requestId, the id the request's log lines
// carry. Only internal failures are logged, with their path and cause;
// variables never are. No message repeats a card number: gqlgen's parse and
// validation errors quote values of the operation (cardDataGuard refuses
// those first; this is the second line).
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := present(ctx, log, err)
		gqlErr.Message = cardnumber.Redact(gqlErr.Message)
		gqlErr.Extensions = maps.Clone(gqlErr.Extensions)
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		if id := server.RequestID(ctx); id != "" {
			gqlErr.Extensions["requestId"] = id
		}
		return gqlErr
	}
}

func present(ctx context.Context, log *slog.Logger, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	if all, ok := apperr.All(err); ok && len(all) > 0 {
		e := all[0]
		gqlErr.Message = e.Message
		gqlErr.Extensions = map[string]any{"code": string(e.Code)}
		if len(e.Field) > 0 {
			gqlErr.Extensions["field"] = e.Field
		}
		if len(all) > 1 {
			more := make([]map[string]any, len(all))
			for i, e := range all {
				more[i] = map[string]any{"code": string(e.Code), "field": e.Field, "message": e.Message}
			}
			gqlErr.Extensions["errors"] = more
		}
		return gqlErr
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		gqlErr.Message = "the request was cancelled or timed out"
		gqlErr.Extensions = map[string]any{"code": "TIMEOUT"}
		return gqlErr
	}
	var coded *gqlerror.Error
	if errors.As(err, &coded) {
		if notAnInt(coded) {
			// gqlparser's message names the zero it failed to read ("cannot
			// use value 0 as Int" for 1.5): a variable that is not of its
			// type is INVALID_INPUT, as for the scalars of graph/scalar.
			gqlErr.Message = "is not a whole number (Int)"
			gqlErr.Extensions = map[string]any{"code": string(apperr.InvalidInput)}
			return gqlErr
		}
		if coded.Extensions["code"] != nil {
			if name, ok := strings.CutPrefix(gqlErr.Message, "operation "); ok && strings.HasSuffix(name, " not found") {
				// gqlgen's "operation  not found" for a document of several
				// operations sent without operationName
				if name = strings.TrimSuffix(name, " not found"); name == "" {
					gqlErr.Message = "the document holds several operations: name the one to run in operationName"
				} else {
					gqlErr.Message = fmt.Sprintf("the document holds no operation named %s (operationName)", apperr.Quote(name))
				}
			}
			return gqlErr // gqlgen's own parse and validation errors carry a code
		}
		if graphql.GetFieldContext(ctx) == nil {
			// An error of the request itself from gqlgen (a transport that
			// could not decode it, a malformed extension): the client's
			// fault. gqlgen repeats the body in some; never send it back.
			msg, _, _ := strings.Cut(gqlErr.Message, " body:")
			gqlErr.Message = msg
			gqlErr.Extensions = map[string]any{"code": CodeBadRequest}
			return gqlErr
		}
	}
	if introspectionOff(ctx, err) {
		gqlErr.Message = "introspection is switched off on this server"
		gqlErr.Extensions = map[string]any{"code": string(apperr.Forbidden)}
		return gqlErr
	}
	log.ErrorContext(ctx, "internal error", "path", graphql.GetPath(ctx).String(), "err", err)
	gqlErr.Message = "internal error"
	gqlErr.Extensions = map[string]any{"code": "INTERNAL"}
	return gqlErr
}

// introspectionOff tells gqlgen's refusal of __schema and __type on a
// server run with --introspection=false: the client's request refused, not
// an internal failure.
func introspectionOff(ctx context.Context, err error) bool {
	fc := graphql.GetFieldContext(ctx)
	return fc != nil && fc.Field.Field != nil && (fc.Field.Name == "__schema" || fc.Field.Name == "__type") &&
		strings.HasSuffix(err.Error(), "introspection disabled")
}

// Recover turns a panic in a resolver into an internal error.
func Recover(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p), "path", graphql.GetPath(ctx).String())
		return errors.New("internal error")
	}
}

// intVariable matches gqlparser's coercion errors of an Int variable.
var intVariable = regexp.MustCompile(`^cannot use .+ as Int$`)

// notAnInt reports whether e is gqlparser refusing a variable's value as an
// Int (a fraction, a number beyond 64 bits, text that is not one).
func notAnInt(e *gqlerror.Error) bool {
	return len(e.Path) > 0 && e.Path[0] == ast.PathName("variable") && intVariable.MatchString(e.Message)
}
