package elasticsearch

// A dated search needs the index's time zones, fetched by one search at a
// time and kept a minute. While Elasticsearch hangs, the others waiting for
// that fetch give up at their own deadline (the router's --search-timeout),
// not at the fetching search's.

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/search"
)

// hangingES accepts connections and never answers.
func hangingES(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

func datedQuery(t *testing.T) search.Query {
	t.Helper()
	in := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 30)
	out := in.AddDate(0, 0, 2)
	q := search.Query{Near: &search.Circle{Lat: 48.85, Lon: 2.35, RadiusKm: 20}, CheckIn: &in, CheckOut: &out,
		Rooms: []search.Party{{Adults: 2}}}
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	return q
}

func hangingEngine(t *testing.T) *Engine {
	t.Helper()
	client, err := elasticsearch.NewTypedClient(elasticsearch.Config{Addresses: []string{hangingES(t)}})
	if err != nil {
		t.Fatal(err)
	}
	return NewEngine(client, pgtest.NewDB(t), Opts{})
}

// A search whose context ends returns then, not when another search's
// request to a hanging Elasticsearch gives up.
func TestADatedSearchHeedsItsDeadlineWhileAnotherWaitsOnElasticsearch(t *testing.T) {
	t.Parallel()
	e := hangingEngine(t)
	q := datedQuery(t)
	go func() { // A: fetches the zones for its 600ms
		ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
		defer cancel()
		_, _ = e.Search(ctx, q)
	}()
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond) // B
	defer cancel()
	start := time.Now()
	_, err := e.Search(ctx, q)
	if took := time.Since(start); took > 150*time.Millisecond+100*time.Millisecond {
		t.Fatalf("a search with 150ms to live returned after %v (%v): it waited for another search's request to Elasticsearch", took.Round(time.Millisecond), err)
	}
}

// As the router calls it: every search gets the same timeout; searches
// arriving while Elasticsearch hangs each return within it.
func TestConcurrentDatedSearchesReturnByTheirDeadline(t *testing.T) {
	t.Parallel()
	const timeout = 400 * time.Millisecond
	e := hangingEngine(t)
	q := datedQuery(t)
	var wg sync.WaitGroup
	late := make([]time.Duration, 24)
	for i := range late {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 10 * time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			deadline, _ := ctx.Deadline()
			_, _ = e.Search(ctx, q)
			late[i] = time.Since(deadline)
		}()
	}
	wg.Wait()
	var worst time.Duration
	var report string
	for i, l := range late {
		worst = max(worst, l)
		report += fmt.Sprintf(" %d:%v", i, l.Round(time.Millisecond))
	}
	if worst > 100*time.Millisecond {
		t.Fatalf("searches returned up to %v after their %v deadline; lateness by arrival:%s", worst.Round(time.Millisecond), timeout, report)
	}
}
