package metrics

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// Counts by state are queried at most once per TTL, however often scraped.
func TestStateCountsAreCached(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	c := newStateCollector(pool, nil, time.Hour, `SELECT 'HELD', count(*) FROM pg_class WHERE false`,
		prometheus.NewDesc("test_states", "test", []string{"state"}, nil))
	collect := func() int {
		ch := make(chan prometheus.Metric, 10)
		c.Collect(ch)
		close(ch)
		return len(ch)
	}
	before := pool.Stat().AcquireCount()
	for range 5 {
		collect()
	}
	if n := pool.Stat().AcquireCount() - before; n != 1 {
		t.Fatalf("%d queries for 5 scrapes, want 1", n)
	}
	c.fetched = time.Time{} // the TTL passed
	c.query = `SELECT 'HELD', 2`
	if n := collect(); n != 1 {
		t.Fatalf("%d series after refresh, want 1", n)
	}
}

// A registry with a pool exposes its statistics and the state gauges.
func TestPoolGaugesAreExposed(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	m := New(Opts{Pool: pool})
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	all := strings.Join(names, " ")
	for _, want := range []string{"staygraph_db_pool_max_conns", "staygraph_db_pool_acquired_conns", "staygraph_db_pool_idle_conns",
		"staygraph_db_pool_total_conns", "staygraph_db_pool_empty_acquire_wait_seconds_total", "go_goroutines", "process_cpu_seconds_total"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %s in %s", want, all)
		}
	}
}

// The refunds gauge counts those not paid back, by status, and leaves the
// paid ones out; the payments gauge those whose outcome is not in; the bookings gauge counts the live ones alone; both say 0
// for a status without any, so that an alert on a rise sees the first.
func TestRefundPaymentAndBookingGauges(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	ctx := context.Background()
	hotel, live, done := uuid.New(), uuid.New(), uuid.New()
	_, err := pool.Exec(ctx, `
		INSERT INTO hotels (id, name, time_zone, latitude, longitude, address_line1, city, country_code, star_rating, currency)
		VALUES ($1, 'Gauge Inn', 'Europe/Paris', 48.87, 2.29, '1 rue', 'Paris', 'FR', 3, 'EUR')`, hotel)
	must(t, err)
	for _, b := range []struct {
		id     uuid.UUID
		status string
	}{{live, "CONFIRMED"}, {done, "CANCELLED"}} {
		_, err := pool.Exec(ctx, `
			INSERT INTO bookings (id, reference, hotel_id, status, check_in, check_out, check_in_at, currency, room_amount, tax_amount,
				total_amount, deposit_due, owner, hold_expires_at)
			VALUES ($1, $2, $3, $4, '2030-05-01', '2030-05-03', '2030-05-01 15:00+02', 'EUR', 40000, 4000, 44000, 0, 'guest:x', now())`,
			b.id, "SG-"+b.id.String()[:8], hotel, b.status)
		must(t, err)
	}
	for _, status := range []string{"PENDING", "FAILED", "FAILED", "SUCCEEDED"} {
		_, err := pool.Exec(ctx, `INSERT INTO refunds (id, booking_id, amount, currency, status) VALUES ($1, $2, 100, 'EUR', $3)`,
			uuid.New(), done, status)
		must(t, err)
	}
	for i, status := range []string{"UNKNOWN", "UNKNOWN", "CAPTURED", "FAILED"} {
		_, err := pool.Exec(ctx, `INSERT INTO payments (id, booking_id, provider, idempotency_key, amount, currency, status)
			VALUES ($1, $2, 'sandbox', $3, 100, 'EUR', $4)`, uuid.New(), live, fmt.Sprint("gauge-", i), status)
		must(t, err)
	}
	m := New(Opts{Pool: pool})
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	text := rec.Body.String()
	for _, want := range []string{`staygraph_refunds{status="FAILED"} 2`, `staygraph_refunds{status="PENDING"} 1`,
		`staygraph_payments{status="UNKNOWN"} 2`, `staygraph_payments{status="PENDING"} 0`,
		`staygraph_bookings{status="CONFIRMED"} 1`, `staygraph_bookings{status="HELD"} 0`, `staygraph_bookings{status="CHECKED_IN"} 0`} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, never := range []string{`staygraph_refunds{status="SUCCEEDED"}`, `staygraph_bookings{status="CANCELLED"}`,
		`staygraph_payments{status="CAPTURED"}`, `staygraph_payments{status="FAILED"}`} {
		if strings.Contains(text, never) {
			t.Errorf("metrics have %s", never)
		}
	}
}

// The hotels whose search document the index refused are counted by alias,
// on the API's metrics and on those of a standalone indexer; none refused
// is no series.
func TestSearchIndexRefusalsGauge(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	ctx := context.Background()
	scrape := func(h http.Handler) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return rec.Body.String()
	}
	if text := scrape(New(Opts{Pool: pool}).Handler()); strings.Contains(text, "staygraph_search_index_refusals{") {
		t.Errorf("a series without refusals: %s", text)
	}
	twice := uuid.New() // refused by two indices of the alias: one hotel
	for _, r := range []struct {
		alias, index string
		hotel        uuid.UUID
	}{{"hotels", "hotels-v2-1", uuid.New()}, {"hotels", "hotels-v2-1", twice}, {"hotels", "hotels-v2-2", twice}, {"hotels-eu", "hotels-eu-v2-1", uuid.New()}} {
		_, err := pool.Exec(ctx, `INSERT INTO search_index_refusals (index_name, index_alias, hotel_id, status, error_type, reason)
			VALUES ($1, $2, $3, 400, 'document_parsing_exception', 'failed to parse field [location]')`, r.index, r.alias, r.hotel)
		must(t, err)
	}
	for name, h := range map[string]http.Handler{"api": New(Opts{Pool: pool}).Handler(), "indexer": IndexerHandler(pool)} {
		text := scrape(h)
		for _, want := range []string{`staygraph_search_index_refusals{alias="hotels"} 2`, `staygraph_search_index_refusals{alias="hotels-eu"} 1`} {
			if !strings.Contains(text, want) {
				t.Errorf("%s metrics lack %s", name, want)
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
