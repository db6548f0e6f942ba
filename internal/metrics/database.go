package metrics

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	//go:embed queries/bookings_by_status.sql
	bookingsByStatus string
	//go:embed queries/jobs_by_state.sql
	jobsByState string
	//go:embed queries/refunds_unsettled.sql
	refundsUnsettled string
	//go:embed queries/payments_unsettled.sql
	paymentsUnsettled string
	//go:embed queries/search_index_refusals.sql
	searchIndexRefusals string
)

// newRefusalsCollector counts the hotels whose Elasticsearch document an
// index refused (search_index_refusals), by alias.
func newRefusalsCollector(pool *pgxpool.Pool, log *slog.Logger, ttl time.Duration) *stateCollector {
	return newStateCollector(pool, log, ttl, searchIndexRefusals,
		prometheus.NewDesc(Namespace+"_search_index_refusals", "Hotels whose Elasticsearch document an index behind the alias refused for what it is, held as it was (or not at all); see search_index_refusals (refreshed at most every 15s).", []string{"alias"}, nil))
}

// poolCollector reports the statistics of a connection pool at each scrape
// (pgxpool keeps them in memory: no query runs).
type poolCollector struct{ pool *pgxpool.Pool }

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(Namespace+"_db_pool_"+name, help, nil, nil)
}

var (
	poolAcquired    = poolDesc("acquired_conns", "Connections currently in use.")
	poolIdle        = poolDesc("idle_conns", "Idle connections.")
	poolTotal       = poolDesc("total_conns", "Open connections (acquired, idle and being opened).")
	poolMax         = poolDesc("max_conns", "Largest number of connections the pool opens.")
	poolAcquires    = poolDesc("acquires_total", "Connections acquired from the pool.")
	poolAcquireTime = poolDesc("acquire_seconds_total", "Time spent acquiring connections.")
	poolEmptyWaits  = poolDesc("empty_acquires_total", "Acquires that had to wait because no connection was idle.")
	poolEmptyWait   = poolDesc("empty_acquire_wait_seconds_total", "Time spent waiting for a connection when none was idle.")
	poolCanceled    = poolDesc("canceled_acquires_total", "Acquires given up by their caller.")
)

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolAcquired, poolIdle, poolTotal, poolMax, poolAcquires,
		poolAcquireTime, poolEmptyWaits, poolEmptyWait, poolCanceled} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(poolAcquired, float64(s.AcquiredConns()))
	gauge(poolIdle, float64(s.IdleConns()))
	gauge(poolTotal, float64(s.TotalConns()))
	gauge(poolMax, float64(s.MaxConns()))
	counter(poolAcquires, float64(s.AcquireCount()))
	counter(poolAcquireTime, s.AcquireDuration().Seconds())
	counter(poolEmptyWaits, float64(s.EmptyAcquireCount()))
	counter(poolEmptyWait, s.EmptyAcquireWaitTime().Seconds())
	counter(poolCanceled, float64(s.CanceledAcquireCount()))
}

// stateCollector reports a "labels..., count" query as a gauge: each row
// is the values of the gauge's labels, in order, then a count. The query runs
// at a scrape only when its last answer is older than ttl, so scrapes never
// add database load beyond one query per ttl; a failed query keeps the last
// answer and is logged.
type stateCollector struct {
	pool  *pgxpool.Pool
	log   *slog.Logger
	ttl   time.Duration
	query string
	desc  *prometheus.Desc

	mu      sync.Mutex
	fetched time.Time
	counts  []labelledCount
}

type labelledCount struct {
	labels []string
	n      float64
}

func newStateCollector(pool *pgxpool.Pool, log *slog.Logger, ttl time.Duration, query string, desc *prometheus.Desc) *stateCollector {
	return &stateCollector{pool: pool, log: log, ttl: ttl, query: query, desc: desc}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.fetched) >= c.ttl {
		c.fetched = time.Now() // a failing database is asked once per ttl too
		counts, err := c.fetch()
		if err != nil {
			c.log.Warn("metrics: count by state", "query", c.desc.String(), "err", err)
		} else {
			c.counts = counts
		}
	}
	for _, row := range c.counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, row.n, row.labels...)
	}
}

func (c *stateCollector) fetch() ([]labelledCount, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := c.pool.Query(ctx, c.query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var counts []labelledCount
	for rows.Next() {
		values, err := rows.Values()
		if err != nil {
			return nil, err
		}
		if len(values) < 2 {
			return nil, fmt.Errorf("want labels and a count, got %d columns", len(values))
		}
		last := len(values) - 1
		row := labelledCount{labels: make([]string, last)}
		for i, v := range values[:last] {
			row.labels[i] = fmt.Sprint(v)
		}
		switch n := values[last].(type) {
		case int64:
			row.n = float64(n)
		case int32:
			row.n = float64(n)
		default:
			return nil, fmt.Errorf("count is %T, want an integer", values[last])
		}
		counts = append(counts, row)
	}
	return counts, rows.Err()
}
