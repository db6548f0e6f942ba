package graph_test

import (
	"context"
	"encoding/hex"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

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
	"github.com/staygraph/staygraph/internal/tracing"
)

// setupTraced is setup with tracing into an in-memory recorder, or with
// tracing off (nil provider) when on is false. The pool carries a SQL tracer
// either way, as the API server's does.
func setupTraced(t *testing.T, on bool) (testBundle, *tracetest.SpanRecorder) {
	t.Helper()
	base := pgtest.NewDB(t)
	cfg, err := pgxpool.ParseConfig(base.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	sqlTracer := tracing.NewSQLTracer()
	cfg.ConnConfig.Tracer = sqlTracer
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	rec := tracetest.NewSpanRecorder()
	var opts graph.HandlerOpts
	var tp *sdktrace.TracerProvider
	if on {
		tp = tracing.NewProviderWith(rec, tracing.Opts{})
		opts.TracerProvider = tp
		sqlTracer.Use(tp)
	} else {
		// A provider exists but nothing is wired to it: what "off" means.
		tp = tracing.NewProviderWith(rec, tracing.Opts{})
	}
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	keys := auth.NewAPIKeys(pool)
	cat := catalog.NewService(pool)
	pg := searchpg.NewEngine(pool, searchpg.Opts{})
	var engine search.Engine = pg
	if on {
		engine = tracing.Engine(pg, tp)
	}
	r := &graph.Resolver{Catalog: cat, Keys: keys,
		Reservations: booking.NewService(pool, cat, payment.NewRegistry(sandbox.New()), nil, booking.Opts{}),
		Search:       search.NewRouter(search.RouterOpts{Primary: engine, Fallback: engine})}
	h := server.Authenticate(auth.NewAuthenticator(auth.JWTConfig{HS256Secret: secret}, keys))(graph.NewHandler(r, opts))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return testBundle{pool: pool, server: srv, resolver: r}, rec
}

// An operation makes one span, its resolver fields child spans, and the SQL
// they run grandchild spans; plain struct fields make none.
func TestTracingSpansOperationFieldsAndSQL(t *testing.T) {
	t.Parallel()
	b, rec := setupTraced(t, true)
	if res := b.do(t, token(t, auth.RoleAdmin), createHotel, map[string]any{"input": hotelInput("Traced")}); len(res.Errors) > 0 {
		t.Fatalf("create hotel: %+v", res.Errors)
	}
	res := b.do(t, "", `query ListHotels { hotels(first: 5) { totalCount edges { node { name } } } searchHotels(input: {text: "Traced"}) { totalCount } }`, nil)
	if len(res.Errors) > 0 {
		t.Fatalf("hotels: %+v", res.Errors)
	}
	spans := rec.Ended()
	var op sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == "graphql query ListHotels" {
			op = s
		}
	}
	if op == nil {
		t.Fatalf("no operation span among %v", names(spans))
	}
	children := map[string]sdktrace.ReadOnlySpan{}
	byID := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byID[s.SpanContext().SpanID().String()] = s
		if s.Parent().SpanID() == op.SpanContext().SpanID() {
			children[s.Name()] = s
		}
	}
	field, ok := children["graphql.resolve Query.hotels"]
	if !ok {
		t.Fatalf("no resolver span under the operation: %v", names(spans))
	}
	if _, ok := children["graphql.resolve Query.searchHotels"]; !ok {
		t.Fatalf("no searchHotels span under the operation: %v", names(spans))
	}
	for _, s := range spans {
		if strings.HasPrefix(s.Name(), "graphql.resolve HotelEdge.") || s.Name() == "graphql.resolve Hotel.name" {
			t.Errorf("a plain struct field got a span: %s", s.Name())
		}
	}
	var sqlUnderOp, searchSpan bool
	for _, s := range spans {
		if s.Name() == "search postgres" {
			searchSpan = true
		}
		if !strings.HasPrefix(s.Name(), "sql ") || s.SpanContext().TraceID() != op.SpanContext().TraceID() {
			continue
		}
		// Walk up: every SQL span of this trace hangs under the operation.
		for p := byID[s.Parent().SpanID().String()]; p != nil; p = byID[p.Parent().SpanID().String()] {
			if p == op {
				sqlUnderOp = true
			}
		}
	}
	if !sqlUnderOp || !searchSpan {
		t.Fatalf("sql spans under the operation %v, search span %v: %v", sqlUnderOp, searchSpan, names(spans))
	}
	if field.SpanContext().TraceID() != op.SpanContext().TraceID() {
		t.Fatal("field span in another trace")
	}
	// the search's statement (sent as a batch) is a span under the search's
	var searchSQL bool
	for _, s := range spans {
		if s.Name() != "sql batch" {
			continue
		}
		parent := byID[s.Parent().SpanID().String()]
		for _, a := range s.Attributes() {
			if a.Key == "db.statement" && strings.Contains(a.Value.AsString(), "One search, one round trip") &&
				parent != nil && parent.Name() == "search postgres" {
				searchSQL = true
			}
		}
	}
	if !searchSQL {
		t.Fatalf("no span of the search's statement under the search's: %v", names(spans))
	}
}

// With tracing off nothing records spans.
func TestTracingOffRecordsNothing(t *testing.T) {
	t.Parallel()
	b, rec := setupTraced(t, false)
	if res := b.do(t, "", `query ListHotels { hotels(first: 5) { totalCount } }`, nil); len(res.Errors) > 0 {
		t.Fatalf("hotels: %+v", res.Errors)
	}
	if spans := rec.Ended(); len(spans) > 0 {
		t.Fatalf("tracing off recorded %v", names(spans))
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name() + "<" + s.Parent().SpanID().String()[:4]
	}
	return out
}

// Every SQL statement is a span with db.statement, never
// its arguments. A write transaction's BEGIN inlines who acts — the caller's
// JWT subject, hex-encoded — into the statement text, so every write's trace
// carries the subject (for an identity provider whose sub is the user's
// email, the email).
func TestSQLSpansCarryNoCallerIdentity(t *testing.T) {
	t.Parallel()
	b, rec := setupTraced(t, true)
	const subject = "ana.admin@example.com"
	tok, err := auth.Mint(secret, auth.MintOpts{Role: auth.RoleAdmin, Subject: subject, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res := b.do(t, tok, createHotel, map[string]any{"input": hotelInput("Traced")}); len(res.Errors) > 0 {
		t.Fatalf("create hotel: %+v", res.Errors)
	}
	encoded := hex.EncodeToString([]byte(subject))
	for _, s := range rec.Ended() {
		for _, a := range s.Attributes() {
			if a.Key == "db.statement" && (strings.Contains(a.Value.AsString(), encoded) || strings.Contains(a.Value.AsString(), subject)) {
				t.Errorf("span %q carries the caller's subject %q (hex %s) in db.statement:\n%s", s.Name(), subject, encoded, a.Value.AsString())
			}
		}
	}
}
