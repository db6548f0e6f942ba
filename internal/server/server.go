// Package server holds the HTTP middleware the API server puts in front of
// its handlers: request ids, request logs with redaction, body size limits,
// security headers, CORS, authentication and per-principal rate limits.
// Each piece is a func(http.Handler) http.Handler (or a handler wrapper)
// that knows nothing about GraphQL beyond answering with GraphQL-shaped
// error bodies, so clients handle every refusal with their usual error
// code.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
)

// Error codes of the refusals this package answers with, in
// errors[].extensions.code.
const (
	// CodeRequestTooLarge: the body or the URL is longer than allowed.
	CodeRequestTooLarge = "REQUEST_TOO_LARGE"
	// CodeRateLimited: the caller exceeded its rate limit; see
	// extensions.retryAfterSeconds and the Retry-After header.
	CodeRateLimited = "RATE_LIMITED"
	// CodeBadRequest: the request could not be read.
	CodeBadRequest = "BAD_REQUEST"
)

// errorBody is a GraphQL response holding only errors.
type errorBody struct {
	Errors []errorEntry `json:"errors"`
}

type errorEntry struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

type refusalCounterKey struct{}

// CountRefusals returns a copy of ctx in which WriteError reports the code
// of the refusal it writes to count (the metrics of GraphQL errors).
func CountRefusals(ctx context.Context, count func(code string)) context.Context {
	return context.WithValue(ctx, refusalCounterKey{}, count)
}

// WriteError ends r with status and a GraphQL-shaped error body whose
// extensions hold code, the request id and extra. It is for refusals made
// before the GraphQL server sees the request; the code is counted where
// CountRefusals asked for it.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string, extra map[string]any) {
	if count, ok := r.Context().Value(refusalCounterKey{}).(func(string)); ok {
		count(code)
	}
	ext := map[string]any{"code": code}
	if id := RequestID(r.Context()); id != "" {
		ext["requestId"] = id
	}
	for k, v := range extra {
		ext[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Errors: []errorEntry{{Message: message, Extensions: ext}}})
}

// Chain wraps h in middleware, the first one outermost.
func Chain(h http.Handler, middleware ...func(http.Handler) http.Handler) http.Handler {
	for i := len(middleware) - 1; i >= 0; i-- {
		h = middleware[i](h)
	}
	return h
}

// Authenticate puts the principal of each request's credentials in its
// context (see auth.FromContext) before next sees it. Anonymous requests
// pass unchanged (resolvers decide what anonymous callers may do). Bad
// credentials end the request with 401 and a GraphQL error whose
// extensions.code is UNAUTHENTICATED, so a client learns its token is bad
// instead of silently being treated as anonymous; a failure to check them
// (the database is down) is 500 INTERNAL, not a reason to drop a good key.
func Authenticate(a *auth.Authenticator) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := a.Authenticate(r)
			if err != nil {
				var e *apperr.Error
				if errors.As(err, &e) && e.Code == apperr.Unauthenticated {
					w.Header().Set("WWW-Authenticate", "Bearer")
					WriteError(w, r, http.StatusUnauthorized, string(e.Code), e.Message, nil)
					return
				}
				// Errors of package auth never hold the credential itself.
				slog.ErrorContext(r.Context(), "authenticate request", "err", err)
				WriteError(w, r, http.StatusInternalServerError, "INTERNAL", "internal server error", nil)
				return
			}
			if p != nil {
				if ok, _ := r.Context().Value(authenticatedKey{}).(*bool); ok != nil {
					*ok = true // for AuthFailureLimit
				}
				r = r.WithContext(auth.WithPrincipal(r.Context(), p))
			}
			next.ServeHTTP(w, r)
		})
	}
}
