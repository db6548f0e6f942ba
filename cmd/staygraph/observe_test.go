package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/demo"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// post sends one GraphQL request to the API at addr and decodes the answer.
func post(t *testing.T, addr, tok, query string, vars map[string]any) (data map[string]any, code string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   map[string]any
		Errors []struct{ Extensions map[string]any }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(out.Errors) > 0 {
		code, _ = out.Errors[0].Extensions["code"].(string)
	}
	return out.Data, code
}

// The metrics of a running server reflect the requests it answered: the
// latency of a named operation, errors by code, responses by status class,
// the database pool, bookings by status and searches by engine.
func TestMetricsReflectRequests(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := demo.Load(ctx, pool, demo.Opts{Hotels: 1}); err != nil {
		t.Fatal(err)
	}
	f := newFlags("test")
	s := addServerFlags(f)
	if err := f.parse([]string{"--addr", "127.0.0.1:0", "--rate-limits", "off"}); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	secret := []byte("metrics-test")
	go func() {
		done <- serveAPI(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), pool, s, auth.JWTConfig{HS256Secret: secret}, func(addr string) { ready <- addr })
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}

	data, code := post(t, addr, "", `query CatalogPage { hotels(first: 1) { edges { node { id roomTypes { ratePlans { id } } } } } }`, nil)
	if code != "" {
		t.Fatalf("hotels: %s", code)
	}
	var page struct {
		Hotels struct {
			Edges []struct {
				Node struct {
					ID        string
					RoomTypes []struct{ RatePlans []struct{ ID string } }
				}
			}
		}
	}
	raw, _ := json.Marshal(data)
	_ = json.Unmarshal(raw, &page)
	if len(page.Hotels.Edges) == 0 || len(page.Hotels.Edges[0].Node.RoomTypes) == 0 || len(page.Hotels.Edges[0].Node.RoomTypes[0].RatePlans) == 0 {
		t.Fatalf("no demo hotel with a rate plan: %s", raw)
	}
	hotel := page.Hotels.Edges[0].Node
	checkIn := time.Now().UTC().AddDate(0, 0, 20).Format(time.DateOnly)
	checkOut := time.Now().UTC().AddDate(0, 0, 22).Format(time.DateOnly)
	hold := `mutation Hold($input: HoldBookingInput!) { holdBooking(input: $input) { booking { status } userErrors { code message } } }`
	vars := map[string]any{"input": map[string]any{
		"idempotencyKey": "metrics-hold", "hotelId": hotel.ID, "checkIn": checkIn, "checkOut": checkOut,
		"rooms":   []map[string]any{{"ratePlanId": hotel.RoomTypes[0].RatePlans[0].ID, "occupancy": "1", "guests": []map[string]any{{"givenName": "Ana", "familyName": "Lima"}}}},
		"contact": map[string]any{"email": "ana@example.com"},
	}}
	if _, code := post(t, addr, "", hold, vars); code != "UNAUTHENTICATED" {
		t.Fatalf("anonymous hold answered %q, want UNAUTHENTICATED", code)
	}
	tok, err := auth.Mint(secret, auth.MintOpts{Role: auth.RoleGuest, Subject: "guest-1", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	data, code = post(t, addr, tok, hold, vars)
	if status, _ := data["holdBooking"].(map[string]any)["booking"].(map[string]any)["status"]; code != "" || status != "HELD" {
		t.Fatalf("hold: %s %v", code, data)
	}
	if _, code := post(t, addr, "", `{ searchHotels(input: {text: "hotel"}) { totalCount } }`, nil); code != "" {
		t.Fatalf("search: %s", code)
	}
	// Refusals before the GraphQL server count with its errors: a bad
	// token and a batch.
	if _, code := post(t, addr, "not-a-token", `{ viewer { role } }`, nil); code != "UNAUTHENTICATED" {
		t.Fatalf("a bad token answered %q, want UNAUTHENTICATED", code)
	}
	batch, err := http.Post("http://"+addr+"/graphql", "application/json", strings.NewReader(`[{"query":"{ viewer { role } }"},{"query":"{ viewer { role } }"}]`))
	if err != nil {
		t.Fatal(err)
	}
	batch.Body.Close()
	if batch.StatusCode != http.StatusBadRequest {
		t.Fatalf("a batch answered %d, want 400", batch.StatusCode)
	}

	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", res.StatusCode)
	}
	text := string(body)
	for _, want := range []string{
		`staygraph_graphql_operation_duration_seconds_count{operation="CatalogPage",type="query"} 1`,
		`staygraph_graphql_operation_duration_seconds_count{operation="Hold",type="mutation"} 2`,
		`staygraph_graphql_operation_duration_seconds_count{operation="anonymous",type="query"} 1`,
		`staygraph_graphql_errors_total{code="UNAUTHENTICATED"} 2`,
		`staygraph_graphql_errors_total{code="BATCHING_NOT_SUPPORTED"} 1`,
		`staygraph_bookings{status="HELD"} 1`,
		`staygraph_search_requests_total{engine="postgres",outcome="ok"} 1`,
		`staygraph_jobs{kind="booking.expire_hold",state="scheduled"} 1`, // the hold's expiry job
		`staygraph_indexer_lag_seconds 0`,
		`go_goroutines `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, re := range []string{
		`staygraph_http_requests_total\{class="2xx"\} [1-9]`,
		`staygraph_db_pool_total_conns [1-9]`,
		`staygraph_db_pool_max_conns [1-9]`,
		`staygraph_db_pool_acquires_total [1-9]`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("metrics do not match %s", re)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", grepLines(text, "staygraph_"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v", err)
	}
}

// With --metrics=false there is no /metrics route.
func TestMetricsCanBeSwitchedOff(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	f := newFlags("test")
	s := addServerFlags(f)
	if err := f.parse([]string{"--addr", "127.0.0.1:0", "--metrics=false"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serveAPI(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), pool, s, auth.JWTConfig{HS256Secret: []byte("x")}, func(addr string) { ready <- addr })
	}()
	addr := <-ready
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(body), "staygraph_") {
		t.Fatalf("metrics served although switched off")
	}
	cancel()
	<-done
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A sample ratio outside (0, 1] is refused at start, not clamped silently.
func TestSampleRatioIsChecked(t *testing.T) {
	for _, c := range []struct {
		arg string
		ok  bool
	}{{"0.25", true}, {"1", true}, {"0", false}, {"1.5", false}, {"-1", false}, {"NaN", false}} {
		f := newFlags("test")
		o := addObserveFlags(f)
		if err := f.parse([]string{"--metrics=false", "--otlp-sample-ratio", c.arg}); err != nil {
			t.Fatal(err)
		}
		_, err := newObservability(t.Context(), slog.Default(), nil, o)
		if (err == nil) != c.ok {
			t.Errorf("--otlp-sample-ratio %s: %v", c.arg, err)
		}
	}
}
