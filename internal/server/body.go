package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// DefaultMaxBodyBytes is the default largest request body: far above any
// real operation with its variables, far below what hurts the server.
const DefaultMaxBodyBytes = 256 << 10

// LimitBody refuses requests whose body is longer than max bytes, or whose
// URL query is (GET carries the operation there), with 413 and the error
// code REQUEST_TOO_LARGE. It reads accepted bodies in full (through
// http.MaxBytesReader) before next runs, so next never sees a read failure
// half-way. A max of 0 or less means DefaultMaxBodyBytes.
func LimitBody(max int64) func(http.Handler) http.Handler {
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	tooLarge := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close") // do not read the rest of a huge body
		WriteError(w, r, http.StatusRequestEntityTooLarge, CodeRequestTooLarge,
			fmt.Sprintf("request is larger than %d bytes", max), map[string]any{"maxBytes": max})
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if int64(len(r.URL.RawQuery)) > max || r.ContentLength > max {
				tooLarge(w, r)
				return
			}
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
			var tooBig *http.MaxBytesError
			switch {
			case errors.As(err, &tooBig):
				tooLarge(w, r)
				return
			case err != nil:
				WriteError(w, r, http.StatusBadRequest, CodeBadRequest, "could not read the request body", nil)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			next.ServeHTTP(w, r)
		})
	}
}
