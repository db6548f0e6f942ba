package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/staygraph/staygraph/internal/server"
)

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("/graphql", server.DataHeaders(okHandler))
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		w.WriteHeader(http.StatusOK)
	}))
	plain := serve(t, server.SecurityHeaders(server.HeaderOpts{})(mux))
	hsts := serve(t, server.SecurityHeaders(server.HeaderOpts{HSTS: true})(mux))

	api := do(t, newRequest(t, http.MethodGet, plain.URL+"/graphql", nil, nil))
	for name, want := range map[string]string{
		"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
		"Cache-Control": "no-store", "Strict-Transport-Security": "",
	} {
		if got := api.header.Get(name); got != want {
			t.Errorf("API %s = %q, want %q", name, got, want)
		}
	}
	page := do(t, newRequest(t, http.MethodGet, plain.URL+"/", nil, nil))
	if page.header.Get("X-Frame-Options") != "" || page.header.Get("Content-Security-Policy") != "default-src 'self'" ||
		page.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("the explorer keeps its own policy: %v", page.header)
	}
	if got := do(t, newRequest(t, http.MethodGet, hsts.URL+"/", nil, nil)).header.Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
		t.Errorf("with HSTS: Strict-Transport-Security = %q", got)
	}
}

func TestCORSAllowsOnlyListedOrigins(t *testing.T) {
	t.Parallel()
	srv := serve(t, server.CORS([]string{"https://app.example.com/"})(okHandler))
	preflight := func(origin string) answer {
		return do(t, newRequest(t, http.MethodOptions, srv.URL, nil, map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type",
		}))
	}

	ok := preflight("https://app.example.com")
	if ok.status != http.StatusNoContent || ok.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		ok.header.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type, X-API-Key, X-Request-Id, traceparent, tracestate, baggage" ||
		ok.header.Get("Access-Control-Allow-Methods") != "GET, POST, OPTIONS" {
		t.Fatalf("preflight of a listed origin: %d %v", ok.status, ok.header)
	}
	// A page may send every header the API reads: a partner's X-API-Key,
	// its own X-Request-Id, the traceparent and baggage a browser tracing
	// SDK adds (graph/telemetry.go reads both).
	allowed := strings.Split(strings.ToLower(ok.header.Get("Access-Control-Allow-Headers")), ", ")
	for _, h := range []string{"authorization", "content-type", "x-api-key", "x-request-id", "traceparent", "baggage"} {
		if !slices.Contains(allowed, h) {
			t.Errorf("a listed origin's page may not send %s: Access-Control-Allow-Headers %v", h, allowed)
		}
	}
	if bad := preflight("https://evil.example"); bad.header.Get("Access-Control-Allow-Origin") != "" || bad.header.Get("Access-Control-Allow-Headers") != "" {
		t.Fatalf("preflight of an unknown origin got CORS headers: %v", bad.header)
	}

	post := do(t, newRequest(t, http.MethodPost, srv.URL, []byte("{}"), map[string]string{"Origin": "https://app.example.com"}))
	if post.status != http.StatusOK || post.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("request from a listed origin: %d %v", post.status, post.header)
	}
	other := do(t, newRequest(t, http.MethodPost, srv.URL, []byte("{}"), map[string]string{"Origin": "https://evil.example"}))
	if other.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("request from an unknown origin got Access-Control-Allow-Origin")
	}

	none := serve(t, server.CORS(nil)(okHandler))
	if got := do(t, newRequest(t, http.MethodPost, none.URL, nil, map[string]string{"Origin": "https://app.example.com"})); got.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("no configured origins must mean no CORS")
	}
}

// --cors-origins takes origins as browsers send them; anything else would
// never match an Origin header, and pages on it would be refused without a
// word, so it is refused when the server starts, naming the entry.
func TestParseOrigins(t *testing.T) {
	got, err := server.ParseOrigins(" https://app.example.com, HTTP://localhost:3000/ ,,*, http://[::1]:3000,https://xn--bcher-kva.example,capacitor://localhost")
	if err != nil || !slices.Equal(got, []string{"https://app.example.com", "HTTP://localhost:3000/", "*",
		"http://[::1]:3000", "https://xn--bcher-kva.example", "capacitor://localhost"}) {
		t.Fatalf("ParseOrigins: %q, %v", got, err)
	}
	if got, err := server.ParseOrigins(""); err != nil || len(got) != 0 {
		t.Fatalf("no origins: %q, %v", got, err)
	}
	for _, bad := range []string{
		"app.example.com",                 // no scheme
		"https://app.example.com/booking", // a page, not an origin
		"https://app.example.com?x=1",
		"https://user@app.example.com",
		"https://",
		"https://*.example.com", // no wildcards but "*" alone
		// what browsers never send
		"https://app.example.com:443",
		"http://app.example.com:80",
		"https://bücher.example",
	} {
		_, err := server.ParseOrigins("https://ok.example.com," + bad)
		if err == nil || !strings.Contains(err.Error(), strings.TrimSpace(bad)) {
			t.Errorf("ParseOrigins(%q): %v, want a refusal naming it", bad, err)
		}
	}
}
