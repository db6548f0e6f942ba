package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HeaderOpts configures SecurityHeaders.
type HeaderOpts struct {
	// HSTS sends Strict-Transport-Security: only for servers reached over
	// HTTPS (directly or behind a TLS-terminating proxy).
	HSTS bool
	// HSTSMaxAge is how long browsers keep to HTTPS. Default one year.
	HSTSMaxAge time.Duration
}

// SecurityHeaders sets the headers every response carries:
// X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer, and
// Strict-Transport-Security when opts.HSTS is set.
func SecurityHeaders(opts HeaderOpts) func(http.Handler) http.Handler {
	if opts.HSTSMaxAge <= 0 {
		opts.HSTSMaxAge = 365 * 24 * time.Hour
	}
	hsts := "max-age=" + strconv.FormatInt(int64(opts.HSTSMaxAge/time.Second), 10) + "; includeSubDomains"
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			if opts.HSTS {
				h.Set("Strict-Transport-Security", hsts)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// DataHeaders sets the headers of responses that are data rather than pages
// (the API, health checks): they may not be framed (X-Frame-Options: DENY
// and a Content-Security-Policy that allows nothing) nor stored by caches
// (Cache-Control: no-store), since they may hold personal data. The
// explorer's page is not wrapped: it sends its own Content-Security-Policy.
func DataHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// WebSocketHandshake reports whether r asks to become a WebSocket: a GET
// whose Upgrade header names websocket (other upgrades, such as h2c, are
// offers a server may ignore).
func WebSocketHandshake(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	for _, v := range r.Header.Values("Upgrade") {
		for token := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(token), "websocket") {
				return true
			}
		}
	}
	return false
}
