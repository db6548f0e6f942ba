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
	"github.com/staygraph/staygraph/indexer/hub"
	"github.com/staygraph/staygraph/indexer/partnerfeed"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

// BenchmarkHoldToSubscriber measures commit → delivered under 100 holds
// per second: each iteration is one hold of one night, started every 10 ms
// (concurrently when one takes longer), and its latency runs from the
// hold's commit (the server's commit timestamp, same host) to a hub
// subscriber receiving it. The partner feed runs beside the hub
// (queueing, not posting), as in production. Reports p50 and p99 in ms,
// and the indexer's own commit → applied percentiles per consumer. At most
// 384 iterations (the suite's 8 rate plans × nights 2027-06-12..07-29):
//
//	go test ./indexer -run '^$' -bench HoldToSubscriber -benchtime 300x
//
// The private cluster runs with synchronous_commit=off, as staygraph dev
// does: a commit then reaches the WAL sender only when the WAL writer
// flushes (wal_writer_delay, 200 ms), which dominates the latency. The
// "on" case, the production default, shows the pipeline's own cost.
func BenchmarkHoldToSubscriber(b *testing.B) {
	for _, sync := range []string{"off", "on"} {
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
	var slots []slot
	for key, plan := range bb.cat.RatePlans {
		hotel := bb.cat.Hotels[key[:slices.Index([]byte(key), '/')]]
		for n := range 48 { // from 2027-06-12, after the suite's today in every zone, to the last priced night
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
	tick := time.NewTicker(10 * time.Millisecond)
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
