package metrics

import (
	"strings"
	"testing"
	"time"

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
