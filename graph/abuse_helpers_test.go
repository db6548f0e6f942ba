package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/search"
	searchpg "github.com/staygraph/staygraph/internal/search/postgres"
	"github.com/staygraph/staygraph/internal/server"
)

// chain is the API behind the server's real middleware, as serveAPI builds
// it: request ids, request log, security headers, CORS, then on /graphql
// data headers, body limit, authentication, rate limits and the GraphQL
// handler with its limits.
type chain struct {
	pool     *pgxpool.Pool
	keys     *auth.APIKeys
	url      string
	logs     *logBuffer
	resolver *graph.Resolver
}

// setupChain serves the API on a fresh database. Rate limits are off unless
// stack sets them; every log line at debug level and above is kept.
func setupChain(t testing.TB, opts graph.HandlerOpts, stack server.StackOpts) chain {
	t.Helper()
	pool := pgtest.NewDB(t)
	logs := &logBuffer{}
	log := slog.New(server.NewLogHandler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	keys := auth.NewAPIKeys(pool)
	cat := catalog.NewService(pool)
	pg := searchpg.NewEngine(pool, searchpg.Opts{})
	r := &graph.Resolver{Catalog: cat, Keys: keys,
		Reservations: booking.NewService(pool, cat, payment.NewRegistry(sandbox.New()), nil, booking.Opts{}),
		Search:       search.NewRouter(search.RouterOpts{Primary: pg, Fallback: pg})}
	opts.Logger = log
	stack.Logger = log
	if stack.RateLimit.Rules == nil {
		stack.RateLimit.Rules = &server.Rules{}
	}
	s := server.NewStack(stack)
	authn := auth.NewAuthenticator(auth.JWTConfig{HS256Secret: secret}, keys)
	if opts.Authenticator == nil {
		opts.Authenticator = authn // connection_init's, as serve sets it
	}
	if opts.CORSOrigins == nil {
		opts.CORSOrigins = stack.CORSOrigins // the socket's, as serve sets them
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", s.API(graph.NewHandler(r, opts), server.Authenticate(authn)))
	srv := httptest.NewServer(s.Wrap(mux))
	t.Cleanup(srv.Close)
	return chain{pool: pool, keys: keys, url: srv.URL + "/graphql", logs: logs, resolver: r}
}

// reply is an HTTP answer of the API.
type reply struct {
	status int
	header http.Header
	raw    []byte
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r reply) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// gql is a GraphQL request body.
type gql struct {
	Query         string         `json:"query,omitempty"`
	OperationName string         `json:"operationName,omitempty"`
	Variables     map[string]any `json:"variables,omitempty"`
	Extensions    map[string]any `json:"extensions,omitempty"`
}

// post sends body (raw bytes, or anything else as JSON) to /graphql with
// the headers (Content-Type defaults to application/json).
func (c chain) post(t testing.TB, header map[string]string, body any) reply {
	t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return c.send(t, req)
}

func (c chain) send(t testing.TB, req *http.Request) reply {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := reply{status: res.StatusCode, header: res.Header, raw: raw}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("status %d: body is not JSON: %v: %.300s", res.StatusCode, err, raw)
	}
	out.status, out.header, out.raw = res.StatusCode, res.Header, raw
	return out
}

// refused checks that r is a refusal with status and code that carries the
// request id of its response header.
func refused(t testing.TB, what string, r reply, status int, code string) {
	t.Helper()
	if r.status != status || r.code() != code || len(r.Data) > 0 && string(r.Data) != "null" {
		t.Fatalf("%s: status %d code %q data %s, want %d %s: %s", what, r.status, r.code(), r.Data, status, code, r.raw)
	}
	if id := r.header.Get("X-Request-Id"); id == "" || r.Errors[0].Extensions["requestId"] != id {
		t.Fatalf("%s: the error must carry the request id %q: %s", what, id, r.raw)
	}
}

// ok checks that r answered data without errors.
func ok(t testing.TB, what string, r reply) {
	t.Helper()
	if r.status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("%s: status %d: %s", what, r.status, r.raw)
	}
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// nested returns a query nesting roomTypes { hotel { … } } k times under
// hotels { edges { node } }: 2k+4 levels deep.
func nested(k int) string {
	return "{ hotels(first: 1) { edges { node { " + strings.Repeat("roomTypes { hotel { ", k) + "name" +
		strings.Repeat(" } }", k) + " } } } }"
}
