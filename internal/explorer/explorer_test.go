package explorer

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// setup serves the explorer the way the API server mounts it: as the
// catch-all beside the API.
func setup(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/graphql", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{}}`)
	})
	mux.Handle("/", Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// fetch requests path without transparent decompression, so tests see
// exactly what the handler sent.
func fetch(t *testing.T, srv *httptest.Server, method, path string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: body}
}

func TestIndexPage(t *testing.T) {
	t.Parallel()
	srv := setup(t)

	res := fetch(t, srv, http.MethodGet, "/", nil)
	if res.status != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", res.status)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q, want text/html; charset=utf-8", ct)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache", cc)
	}
	html := string(res.body)
	for _, want := range []string{
		`<script defer src="explorer.js"></script>`,
		`<link rel="stylesheet" href="explorer.css">`,
		`<title>staygraph explorer</title>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %s", want)
		}
	}

	csp := res.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "http") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("Content-Security-Policy %q allows an external origin or eval", csp)
	}
}

func TestAssets(t *testing.T) {
	t.Parallel()
	srv := setup(t)

	tests := []struct {
		path        string
		contentType string
		minSize     int
		contains    string
	}{
		{"/explorer.js", "text/javascript; charset=utf-8", 200 << 10, "graphiql"},
		{"/explorer.css", "text/css; charset=utf-8", 10 << 10, ".graphiql-container"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			res := fetch(t, srv, http.MethodGet, tt.path, nil)
			if res.status != http.StatusOK {
				t.Fatalf("GET %s = %d, want 200", tt.path, res.status)
			}
			if ct := res.header.Get("Content-Type"); ct != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", ct, tt.contentType)
			}
			if len(res.body) < tt.minSize {
				t.Errorf("body is %d bytes, want at least %d", len(res.body), tt.minSize)
			}
			if !bytes.Contains(res.body, []byte(tt.contains)) {
				t.Errorf("body lacks %q", tt.contains)
			}
			if nosniff := res.header.Get("X-Content-Type-Options"); nosniff != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", nosniff)
			}
		})
	}
}

// The explorer runs subscriptions with the graphql-ws client in its bundle
// (a bundle without one answered every subscription "Your GraphiQL
// createFetcher is not properly configured for websocket subscriptions
// yet"). The client offers the graphql-transport-ws subprotocol, the one the
// API speaks (graph/subscriptions.go).
func TestBundleRunsSubscriptions(t *testing.T) {
	t.Parallel()
	srv := setup(t)

	js := fetch(t, srv, http.MethodGet, "/explorer.js", nil).body
	if !bytes.Contains(js, []byte(`"graphql-transport-ws"`)) {
		t.Error("explorer.js has no graphql-ws client: it offers no graphql-transport-ws socket")
	}
}

// Every file the page links to relative to itself must be served.
func TestIndexReferencesServedFiles(t *testing.T) {
	t.Parallel()
	srv := setup(t)

	html := fetch(t, srv, http.MethodGet, "/", nil).body
	refs := regexp.MustCompile(`(?:src|href)="([^":]+)"`).FindAllSubmatch(html, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d local files, want the script and the stylesheet", len(refs))
	}
	for _, ref := range refs {
		p := "/" + string(ref[1])
		if res := fetch(t, srv, http.MethodGet, p, nil); res.status != http.StatusOK {
			t.Errorf("index.html references %s, which is %d", p, res.status)
		}
	}
}

func TestUnknownPathIsNotFound(t *testing.T) {
	t.Parallel()
	srv := setup(t)

	for _, p := range []string{"/nope", "/explorer.map", "/dist/explorer.js", "/explorer.js/", "/web/package.json", "/graphiql"} {
		if res := fetch(t, srv, http.MethodGet, p, nil); res.status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, res.status)
		}
	}
}

// The catch-all must leave the API's own route alone.
func TestAPIRouteNotShadowed(t *testing.T) {
	t.Parallel()
	srv := setup(t)

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		res := fetch(t, srv, method, "/graphql", nil)
		if res.status != http.StatusOK || string(res.body) != `{"data":{}}` {
			t.Errorf("%s /graphql = %d %q, want the API's answer", method, res.status, res.body)
		}
	}
}

func TestGzip(t *testing.T) {
	t.Parallel()
	srv := setup(t)

	plain := fetch(t, srv, http.MethodGet, "/explorer.js", nil)
	zipped := fetch(t, srv, http.MethodGet, "/explorer.js", http.Header{"Accept-Encoding": {"br, gzip;q=0.8"}})
	if ce := zipped.header.Get("Content-Encoding"); ce != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", ce)
	}
	if len(zipped.body) >= len(plain.body) {
		t.Errorf("gzipped body is %d bytes, plain %d", len(zipped.body), len(plain.body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped.body))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(unzipped, plain.body) {
		t.Error("gzipped body does not decompress to the plain one")
	}
	if zipped.header.Get("ETag") == plain.header.Get("ETag") {
		t.Error("gzipped and plain bodies share an ETag")
	}
	if vary := zipped.header.Get("Vary"); vary != "Accept-Encoding" {
		t.Errorf("Vary = %q, want Accept-Encoding", vary)
	}

	refused := fetch(t, srv, http.MethodGet, "/explorer.js", http.Header{"Accept-Encoding": {"gzip;q=0, br"}})
	if ce := refused.header.Get("Content-Encoding"); ce != "" {
		t.Errorf("Content-Encoding = %q for a client refusing gzip", ce)
	}
}

func TestRevalidation(t *testing.T) {
	t.Parallel()
	srv := setup(t)

	first := fetch(t, srv, http.MethodGet, "/explorer.css", nil)
	etag := first.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	again := fetch(t, srv, http.MethodGet, "/explorer.css", http.Header{"If-None-Match": {etag}})
	if again.status != http.StatusNotModified || len(again.body) != 0 {
		t.Errorf("revalidation = %d with %d bytes, want 304 and none", again.status, len(again.body))
	}
	stale := fetch(t, srv, http.MethodGet, "/explorer.css", http.Header{"If-None-Match": {`"old"`}})
	if stale.status != http.StatusOK {
		t.Errorf("stale ETag = %d, want 200", stale.status)
	}
}

func TestMethods(t *testing.T) {
	t.Parallel()
	h := Handler() // unmounted: the handler itself refuses writes

	for _, tc := range []struct {
		method string
		want   int
	}{
		{http.MethodHead, http.StatusOK},
		{http.MethodPost, http.StatusMethodNotAllowed},
		{http.MethodDelete, http.StatusMethodNotAllowed},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, "/", nil))
		if tc.want == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s / Allow = %q, want GET, HEAD", tc.method, rec.Header().Get("Allow"))
		}
		if rec.Code != tc.want {
			t.Errorf("%s / = %d, want %d", tc.method, rec.Code, tc.want)
		}
		if tc.method == http.MethodHead && rec.Body.Len() != 0 {
			t.Errorf("HEAD / wrote %d body bytes", rec.Body.Len())
		}
	}

	// A write to a path the explorer does not own is not found, whatever
	// the method.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/nope", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("POST /nope = %d, want 404", rec.Code)
	}
}
