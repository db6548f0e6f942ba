// Package explorer serves the GraphiQL explorer for the API at /graphql.
//
// The page is a prebuilt bundle in dist/, embedded in the binary, so the
// server needs neither Node nor a CDN at run time. The bundle is built from
// web/ by build.sh (npm ci && npm run build); the build is deterministic and
// its output is committed. The example operations the explorer opens with
// live in web/src/examples.js.
//
// To change the explorer (or upgrade GraphiQL), edit web/ (npm install
// graphiql@… there for an upgrade), run build.sh, and commit
// web/package-lock.json together with dist/.
package explorer

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed dist
var dist embed.FS

// contentSecurityPolicy is sent with every response of the explorer. Scripts,
// styles and connections are limited to the page's own origin (connect-src
// 'self' admits the subscription socket too: CSP Level 3 matches ws: and wss:
// on the page's host); GraphiQL needs inline styles (editor and popover
// positioning) and data: URLs for the fonts and icons its stylesheet inlines.
const contentSecurityPolicy = "default-src 'none'; " +
	"script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"font-src 'self' data:; " +
	"img-src 'self' data:; " +
	"connect-src 'self'; " +
	"base-uri 'none'; " +
	"form-action 'none'; " +
	"frame-ancestors 'none'"

// contentTypes lists the file types dist/ may hold. It is fixed here rather
// than taken from the mime package, whose answers depend on the host's MIME
// database.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// asset is one file of the bundle, ready to serve.
type asset struct {
	contentType string
	body        []byte
	etag        string
	gzipped     []byte // nil when compression does not pay
	gzipETag    string
}

// Handler returns the handler that serves the explorer: the page at "/" (and
// "/index.html") and its files beside it ("/explorer.js", "/explorer.css").
// Any other path is 404; on its paths, methods other than GET and HEAD are
// 405.
//
// Mount it as the catch-all, mux.Handle("/", explorer.Handler()). The
// pattern "GET /" would be tidier but panics on registration next to a
// method-less pattern such as "/graphql" (Go's ServeMux finds neither more
// specific), and "GET /{$}" matches the page but not its files.
//
// Responses carry Cache-Control: no-cache with a strong ETag, because the
// file names do not change between releases: browsers revalidate, and get
// 304 Not Modified until the bundle changes. Files are gzip-compressed when
// the client accepts it.
func Handler() http.Handler {
	assets, err := embedded()
	if err != nil {
		// dist/ is embedded at compile time; failing here means the build
		// committed a broken bundle, which the tests catch.
		panic(fmt.Sprintf("explorer: load embedded bundle: %v", err))
	}
	return &handler{assets: assets}
}

// embedded loads and compresses the embedded bundle once per process.
var embedded = sync.OnceValues(func() (map[string]*asset, error) { return loadAssets(dist) })

type handler struct {
	assets map[string]*asset // by URL path
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := h.assets[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Content-Type", a.contentType)

	body, etag := a.body, a.etag
	if a.gzipped != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			body, etag = a.gzipped, a.gzipETag
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		hdr.Del("Content-Type")
		hdr.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// loadAssets reads every file of fsys's dist directory and keys it by the
// URL path it is served at: "/" for index.html, "/name" for the others.
func loadAssets(fsys fs.FS) (map[string]*asset, error) {
	root, err := fs.Sub(fsys, "dist")
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(root, ".")
	if err != nil {
		return nil, err
	}
	assets := make(map[string]*asset, len(entries)+1)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return nil, fmt.Errorf("%s: no content type for this file type", name)
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return nil, err
		}
		a, err := newAsset(ct, body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		assets["/"+name] = a
	}
	index, ok := assets["/index.html"]
	if !ok {
		return nil, fmt.Errorf("index.html is missing")
	}
	assets["/"] = index
	return assets, nil
}

func newAsset(contentType string, body []byte) (*asset, error) {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:12])
	a := &asset{contentType: contentType, body: body, etag: `"` + tag + `"`}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(body); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	// Small files are not worth a second representation.
	if buf.Len() < len(body)*9/10 {
		a.gzipped = buf.Bytes()
		a.gzipETag = `"` + tag + `-gzip"`
	}
	return a, nil
}

// acceptsGzip reports whether Accept-Encoding values allow gzip: listed
// (or "*") with a q-value other than zero.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(item), ";")
			coding = strings.TrimSpace(coding)
			if !strings.EqualFold(coding, "gzip") && coding != "*" {
				continue
			}
			if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok && strings.Trim(q, "0.") == "" {
				continue // q=0: explicitly refused
			}
			return true
		}
	}
	return false
}

// etagMatches reports whether an If-None-Match header names etag, using the
// weak comparison RFC 9110 prescribes for it.
func etagMatches(ifNoneMatch, etag string) bool {
	for _, candidate := range strings.Split(ifNoneMatch, ",") {
		candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if candidate == "*" || candidate == etag {
			return true
		}
	}
	return false
}
