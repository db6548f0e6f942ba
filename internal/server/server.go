// Package server holds the HTTP middleware the API server puts in front of
// its handlers: request ids, request logs with redaction, body size limits,
// security headers, CORS and per-principal rate limits. Each piece is a
// func(http.Handler) http.Handler (or a handler wrapper) that knows nothing
// about GraphQL beyond answering with GraphQL-shaped error bodies, so
// clients handle every refusal with their usual error code.
package server

import (
	"encoding/json"
	"net/http"
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

// WriteError ends r with status and a GraphQL-shaped error body whose
// extensions hold code, the request id and extra. It is for refusals made
// before the GraphQL server sees the request.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code, message string, extra map[string]any) {
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
