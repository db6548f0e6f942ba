package indexer_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/eswriter"
	"github.com/staygraph/staygraph/indexer/hub"
	"github.com/staygraph/staygraph/indexer/partnerfeed"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

// BenchmarkHoldToSubscriber measures commit → delivered under more than
// 100 holds per second: each iteration is one hold of one night, started
// every 9 ms (concurrently when one takes longer; holds/s reports the rate
// achieved, until the last hold returned), and its latency runs from the
// hold's commit (the server's commit timestamp, same host) to a hub
// subscriber receiving it. The partner feed runs beside the hub
// (queueing, not posting), as in production. Reports p50 and p99 in ms,
// and the indexer's own commit → applied percentiles per consumer. At most
// 2,840 iterations (the suite's 8 rate plans × 355 nights from 2027-06-12):
//
//	go test ./indexer -run '^$' -bench HoldToSubscriber -benchtime 1000x
//
// The WAL sender only ships WAL that is flushed to disk. With
// synchronous_commit=on (the default, and the private cluster's setting)
// a commit is flushed before it returns; with off, the WAL writer flushes
// it within wal_writer_delay (10 ms in the private cluster, 200 ms by
// default), which adds up to that delay to the latency.
func BenchmarkHoldToSubscriber(b *testing.B) {
	for _, sync := range []string{"on", "off"} {
		b.Run("synchronous_commit="+sync, func(b *testing.B) { benchmarkHoldToSubscriber(b, sync) })
	}
}

func benchmarkHoldToSubscriber(b *testing.B, synchronousCommit string) {
	bb := setup(b)
	ctx := context.Background()
	if _, err := bb.pool.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s SET synchronous_commit = %s", bb.pool.Config().ConnConfig.Database, synchronousCommit)); err != nil {
		b.Fatal(err)
	}
	bb.pool.Reset() // new connections take the database's setting
	jobs, err := river.NewClient(riverpgxv5.New(bb.pool), &river.Config{})
	if err != nil {
		b.Fatal(err)
	}
	feed, err := partnerfeed.New(bb.pool, jobs, []partnerfeed.Partner{{Name: "acme", URL: "http://127.0.0.1:9/", Secret: partnerSecret}}, partnerfeed.Opts{})
	if err != nil {
		b.Fatal(err)
	}
	h := hub.New(hub.Opts{Buffer: 1 << 14})
	r := start(b, bb, indexer.Opts{}, h, feed)
	events, cancel := h.Subscribe(ctx, hub.Filter{Kinds: []hub.Kind{hub.BookingUpdated}})
	defer cancel()

	type slot struct {
		hotel, plan uuid.UUID
		night       time.Time
	}
	// Rates up to 2028-06-01, within a year of the suite's today.
	if _, err := bb.pool.Exec(ctx, `INSERT INTO nightly_rates (rate_plan_id, night, amount, hotel_id, room_type_id)
		SELECT id, night, 10000, hotel_id, room_type_id FROM rate_plans, generate_series('2027-06-12'::date, '2028-06-01', '1 day') night
		ON CONFLICT DO NOTHING`); err != nil {
		b.Fatal(err)
	}
	var slots []slot
	for key, plan := range bb.cat.RatePlans {
		hotel := bb.cat.Hotels[key[:slices.Index([]byte(key), '/')]]
		for n := range 355 { // from 2027-06-12, after the suite's today in every zone, to the last priced night
			slots = append(slots, slot{hotel, plan, day("2027-06-12").AddDate(0, 0, n)})
		}
	}
	if b.N > len(slots) {
		b.Fatalf("at most %d iterations (-benchtime %dx)", len(slots), len(slots))
	}

	// Each hold's booking arrives with its own transaction's commit time
	// (availabilityChanged sums up a hotel's transactions of a batch, with
	// the last one's time), in the same batch as its availability.
	var mu sync.Mutex
	var latencies []time.Duration
	go func() {
		for e := range events {
			now := time.Now()
			mu.Lock()
			latencies = append(latencies, now.Sub(e.CommitTime))
			mu.Unlock()
		}
	}()

	guest := auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleGuest, Subject: "bench"})
	tick := time.NewTicker(9 * time.Millisecond)
	defer tick.Stop()
	var wg sync.WaitGroup
	b.ResetTimer()
	began := time.Now()
	for i := 0; i < b.N; i++ {
		<-tick.C
		s := slots[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := bb.cat.Booking.Hold(guest, booking.HoldInput{IdempotencyKey: fmt.Sprintf("bench-%d", i), HotelID: s.hotel,
				CheckIn: s.night, CheckOut: s.night.AddDate(0, 0, 1), Contact: booking.Contact{Email: "guest@example.com"},
				Rooms: []booking.RoomRequest{{RatePlanID: s.plan, Party: booking.Party{Adults: 1},
					Guests: []booking.GuestName{{GivenName: "Sam", FamilyName: "Guest"}}}}})
			if err != nil {
				b.Errorf("hold: %v", err)
			}
		}()
	}
	wg.Wait()
	rate := float64(b.N) / time.Since(began).Seconds()
	eventually(b, 30*time.Second, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(latencies) >= b.N, fmt.Sprintf("%d of %d holds reached the subscriber", len(latencies), b.N)
	})
	b.StopTimer()
	mu.Lock()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	p := func(q float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(q*float64(len(latencies))))].Microseconds()) / 1000
	}
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(rate, "holds/s")
	mu.Unlock()
	st, err := r.ix.Stats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range st.Consumers {
		b.Logf("%s: commit → applied p50 %s, p99 %s over the last %d transactions", c.Name, c.LagP50, c.LagP99, min(1024, b.N))
	}
}

// BenchmarkChangeThroughput measures the most changes per second the
// indexer sustains: b.N transactions of one nightly rate change each wait
// in the slot (committed from 8 connections while no indexer ran), then an
// indexer starts, and the time until every consumer applied them all gives
// changes/s. The consumers are those of 'staygraph serve --indexer' with
// Elasticsearch and a partner: the hub (one subscriber), the partner feed
// (queueing one River job per change, not posting) and the Elasticsearch
// writer (rebuilding each touched hotel's document from PostgreSQL, its
// output kept in memory: no search server here). Also reports the rate at
// which the 8 connections committed the backlog.
//
//	go test ./indexer -run '^$' -bench ChangeThroughput -benchtime 20000x
func BenchmarkChangeThroughput(b *testing.B) {
	bb := setup(b)
	ctx := context.Background()
	jobs, err := river.NewClient(riverpgxv5.New(bb.pool), &river.Config{})
	if err != nil {
		b.Fatal(err)
	}
	feed, err := partnerfeed.New(bb.pool, jobs, []partnerfeed.Partner{{Name: "acme", URL: "http://127.0.0.1:9/", Secret: partnerSecret}}, partnerfeed.Opts{})
	if err != nil {
		b.Fatal(err)
	}
	h := hub.New(hub.Opts{Buffer: 1 << 16})
	events, cancel := h.Subscribe(ctx, hub.Filter{})
	defer cancel()
	go func() {
		for range events {
		}
	}()
	consumers := []indexer.Consumer{h, feed, eswriter.New(newDocIndex(nil), bb.pool, eswriter.Opts{})}
	// The slot exists, with every snapshot taken, before the backlog.
	r := start(b, bb, indexer.Opts{}, consumers...)
	if err := r.stop(); err != nil {
		b.Fatal(err)
	}

	type cell struct {
		plan  uuid.UUID
		night time.Time
	}
	var cells []cell
	for _, plan := range bb.cat.RatePlans {
		for n := range 60 { // the suite's priced nights
			cells = append(cells, cell{plan, day("2027-06-01").AddDate(0, 0, n)})
		}
	}
	const writers = 8
	var wg sync.WaitGroup
	began := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b.N; i += writers {
				c := cells[i%len(cells)]
				if _, err := bb.pool.Exec(ctx, "UPDATE nightly_rates SET amount = amount + 1 WHERE rate_plan_id = $1 AND night = $2", c.plan, c.night); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	commitRate := float64(b.N) / time.Since(began).Seconds()

	b.ResetTimer()
	began = time.Now()
	r = start(b, bb, indexer.Opts{}, consumers...)
	eventually(b, 10*time.Minute, func() (bool, string) {
		st, err := r.ix.Stats(ctx)
		if err != nil {
			return false, err.Error()
		}
		for _, c := range st.Consumers {
			if c.Events < uint64(b.N) {
				return false, fmt.Sprintf("%s applied %d of %d changes", c.Name, c.Events, b.N)
			}
		}
		return len(st.Consumers) == len(consumers), "no consumers"
	})
	elapsed := time.Since(began)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "changes/s")
	b.ReportMetric(commitRate, "committed/s")
	st, err := r.ix.Stats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range st.Consumers {
		b.Logf("%s: %d batches for %d changes", c.Name, c.Batches, c.Events)
	}
}
