package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// corsMaxAge is how long browsers may cache a preflight answer.
const corsMaxAge = 10 * time.Minute

// CORS lets browser pages on the listed origins call the API. A request from
// a listed origin gets Access-Control-Allow-Origin naming it; its preflight
// (OPTIONS with Access-Control-Request-Method) is answered 204 allowing GET
// and POST with the headers the API reads (allowedHeaders). Any other origin
// gets no CORS headers, so browsers keep its pages from reading responses
// (its preflights are answered 204 without them). The origin "*" allows
// every origin; credentials are bearer tokens, never cookies, so
// Access-Control-Allow-Credentials is not sent. No origins: no CORS at all.
func CORS(origins []string) func(http.Handler) http.Handler {
	allowed := NewOrigins(origins)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			preflight := r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != ""
			h := w.Header()
			h.Add("Vary", "Origin")
			ok := allowed.Allow(origin)
			if ok {
				h.Set("Access-Control-Allow-Origin", origin)
			}
			if !preflight {
				if ok {
					h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
				}
				next.ServeHTTP(w, r)
				return
			}
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			if ok {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", allowedHeaders)
				h.Set("Access-Control-Max-Age", strconv.Itoa(int(corsMaxAge/time.Second)))
			}
			w.WriteHeader(http.StatusNoContent)
		})
	}
}

// allowedHeaders are the request headers the API reads, which a page on a
// listed origin may send: credentials (a bearer token, or a partner's key
// as X-API-Key), the body's type, its own request id, and the W3C trace
// context and baggage a browser tracing SDK adds.
const allowedHeaders = "Authorization, Content-Type, X-API-Key, X-Request-Id, traceparent, tracestate, baggage"

// ParseOrigins reads a comma-separated list of origins (--cors-origins):
// "*", or scheme://host[:port] as a browser sends it in its Origin header.
// An entry that is not one (no scheme, a path, a wildcard host) could never
// match, so it is refused, named.
func ParseOrigins(list string) ([]string, error) {
	var origins []string
	for _, o := range strings.Split(list, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if o != "*" {
			u, err := url.Parse(o)
			if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil || u.Opaque != "" ||
				(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" ||
				strings.Contains(u.Host, "*") {
				return nil, fmt.Errorf("%q is not an origin: want scheme://host[:port] as browsers send it (https://app.example.com), or * for any", o)
			}
			// what a browser never sends could never match
			if port := u.Port(); port == "443" && strings.EqualFold(u.Scheme, "https") || port == "80" && strings.EqualFold(u.Scheme, "http") {
				return nil, fmt.Errorf("%q: browsers send an origin without its scheme's default port (%s://%s)", o, u.Scheme, u.Hostname())
			}
			if strings.ContainsFunc(u.Host, func(r rune) bool { return r > unicode.MaxASCII }) {
				return nil, fmt.Errorf("%q: browsers send a host name outside ASCII in its punycode form (xn--…)", o)
			}
		}
		origins = append(origins, o)
	}
	return origins, nil
}

// Origins are the origins whose browser pages may call the API, as CORS
// and the subscription socket allow them.
type Origins struct {
	any    bool
	listed map[string]bool
}

// NewOrigins allows the listed origins, compared without case or a
// trailing slash; "*" allows every origin.
func NewOrigins(origins []string) Origins {
	o := Origins{listed: make(map[string]bool, len(origins))}
	for _, origin := range origins {
		switch origin = normalizeOrigin(origin); origin {
		case "":
		case "*":
			o.any = true
		default:
			o.listed[origin] = true
		}
	}
	return o
}

// Allow reports whether pages of origin (an Origin header) may call the
// API.
func (o Origins) Allow(origin string) bool {
	return origin != "" && (o.any || o.listed[normalizeOrigin(origin)])
}

// normalizeOrigin lower-cases an origin and drops a trailing slash, so
// "https://App.example.com/" matches "https://app.example.com".
func normalizeOrigin(o string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(o)), "/")
}
