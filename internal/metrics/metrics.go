// Package metrics owns the Prometheus collectors of the API server: GraphQL
// operation latency and errors, HTTP requests, searches by engine, the
// database pool, live bookings, background jobs, unsettled payments and refunds by
// state, and the index lag the CDC indexer reports. Every collector lives in
// a dedicated registry (never the global one) that Handler serves;
// IndexerHandler serves those of a process that runs only the CDC indexer.
package metrics

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/server"
)

// Namespace prefixes every staygraph metric.
const Namespace = "staygraph"

// Opts configures Metrics.
type Opts struct {
	// Pool, when set, is reported on (connections, acquire waits) and
	// queried for bookings, background jobs, unsettled payments and refunds by state.
	Pool *pgxpool.Pool
	// Logger receives failures of the cached state queries. Default slog.Default().
	Logger *slog.Logger
	// KnownOperations are operation names always labelled as themselves (the
	// persisted operations of the allow-list); they do not count towards
	// MaxOperationNames.
	KnownOperations []string
	// MaxOperationNames caps the other distinct operation names labelled as
	// themselves; later names are labelled "other". Default 200.
	MaxOperationNames int
	// StateCacheTTL is how long counts by state are reused between scrapes.
	// Default 15s.
	StateCacheTTL time.Duration
}

// Metrics holds the collectors of one API server.
type Metrics struct {
	registry     *prometheus.Registry
	operations   *labelSet
	codes        *labelSet
	opDuration   *prometheus.HistogramVec
	gqlErrors    *prometheus.CounterVec
	httpRequests *prometheus.CounterVec
	searches     *prometheus.CounterVec
}

// New returns the collectors configured by opts, registered in a registry
// of their own together with the Go runtime and process collectors.
func New(opts Opts) *Metrics {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxOperationNames <= 0 {
		opts.MaxOperationNames = 200
	}
	if opts.StateCacheTTL <= 0 {
		opts.StateCacheTTL = 15 * time.Second
	}
	m := &Metrics{
		registry:   prometheus.NewRegistry(),
		operations: newLabelSet(opts.KnownOperations, opts.MaxOperationNames),
		codes:      newLabelSet(nil, 100),
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "graphql", Name: "operation_duration_seconds",
			Help:    "Time from reading a GraphQL operation to its response, by operation name and type.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation", "type"}),
		gqlErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "graphql", Name: "errors_total",
			Help: "GraphQL errors returned, by extensions.code.",
		}, []string{"code"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by status class (2xx, 4xx, ...).",
		}, []string{"class"}),
		searches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "search", Name: "requests_total",
			Help: "Searches sent to an engine, by engine and outcome (ok: it answered; invalid: the query's fault; error: it failed).",
		}, []string{"engine", "outcome"}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.opDuration, m.gqlErrors, m.httpRequests, m.searches,
		IndexLag,
	)
	if opts.Pool != nil {
		m.registry.MustRegister(
			poolCollector{pool: opts.Pool},
			newStateCollector(opts.Pool, opts.Logger, opts.StateCacheTTL, bookingsByStatus,
				prometheus.NewDesc(Namespace+"_bookings", "Bookings in a live status: HELD, CONFIRMED, CHECKED_IN (refreshed at most every 15s).", []string{"status"}, nil)),
			newStateCollector(opts.Pool, opts.Logger, opts.StateCacheTTL, jobsByState,
				prometheus.NewDesc(Namespace+"_jobs", "Background (River) jobs by state and kind, not completed ones (refreshed at most every 15s).", []string{"state", "kind"}, nil)),
			newStateCollector(opts.Pool, opts.Logger, opts.StateCacheTTL, refundsUnsettled,
				prometheus.NewDesc(Namespace+"_refunds", "Refunds not paid back: PENDING (being paid, retried) and FAILED (refused, until staff record it settled outside staygraph) (refreshed at most every 15s).", []string{"status"}, nil)),
			newStateCollector(opts.Pool, opts.Logger, opts.StateCacheTTL, paymentsUnsettled,
				prometheus.NewDesc(Namespace+"_payments", "Payments whose outcome is not in, their bookings pinned: PENDING (the provider being asked, or the process that asked stopped) and UNKNOWN (being reconciled with the provider) (refreshed at most every 15s).", []string{"status"}, nil)),
			newRefusalsCollector(opts.Pool, opts.Logger, opts.StateCacheTTL),
		)
	}
	return m
}

// IndexLag is how far, in seconds, the search index trails PostgreSQL. The
// process that runs the CDC indexer sets it (IndexLag.Set) every few
// seconds: the Elasticsearch writer's lag, or without one the largest lag
// of the consumers; it stays 0 in a process that runs none. It is
// registered in every Metrics registry and in IndexerHandler's.
var IndexLag = prometheus.NewGauge(prometheus.GaugeOpts{
	Namespace: Namespace, Subsystem: "indexer", Name: "lag_seconds",
	Help: "Seconds since the oldest change the Elasticsearch writer (without one: the slowest consumer) is applying was committed; 0 when idle.",
})

// IndexerHandler serves, in the Prometheus exposition format, the metrics
// of a process that runs the change stream alone ('staygraph indexer'):
// IndexLag, the database pool and the documents the search index refused
// when pool is not nil, the Go runtime and the process, from a registry of
// its own.
func IndexerHandler(pool *pgxpool.Pool) http.Handler {
	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		IndexLag,
	)
	if pool != nil {
		registry.MustRegister(poolCollector{pool: pool}, newRefusalsCollector(pool, slog.Default(), 15*time.Second))
	}
	return promhttp.HandlerFor(registry, promhttp.HandlerOpts{Registry: registry})
}

// AddKnownOperations makes names (the persisted operations of an
// allow-list loaded after New) always labelled as themselves.
func (m *Metrics) AddKnownOperations(names []string) { m.operations.addKnown(names) }

// Registry is the registry holding every collector, for tests and for
// callers that add their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// ObserveOperation records one GraphQL operation: its name ("" for an
// unnamed operation, labelled "anonymous"), type (query, mutation,
// subscription; "" or "invalid" when it never parsed, labelled "invalid")
// and how long it took. Names past the cap are labelled "other".
func (m *Metrics) ObserveOperation(name, opType string, d time.Duration) {
	switch {
	case opType == "" || opType == "invalid":
		name, opType = "invalid", "invalid"
	case name == "":
		name = "anonymous"
	default:
		name = m.operations.label(name)
	}
	m.opDuration.WithLabelValues(name, opType).Observe(d.Seconds())
}

// CountError records one GraphQL error by its extensions.code ("" for none).
func (m *Metrics) CountError(code string) {
	if code == "" {
		code = "NONE"
	}
	m.gqlErrors.WithLabelValues(m.codes.label(code)).Inc()
}

// CountSearch records one search sent to engine: answered, refused as the
// query's fault (a bad cursor, a currency without a rate), or failed.
func (m *Metrics) CountSearch(engine string, err error) {
	outcome := "ok"
	if _, invalid := apperr.As(err); invalid {
		outcome = "invalid"
	} else if err != nil {
		outcome = "error"
	}
	m.searches.WithLabelValues(engine, outcome).Inc()
}

// HTTP counts every request next answers, by status class, and the
// refusals the middleware answers before the GraphQL server sees a request
// (bad credentials, rate limits, bodies too large, batches) with the
// GraphQL errors, by code.
func (m *Metrics) HTTP(next http.Handler) http.Handler {
	classes := [6]prometheus.Counter{}
	for i := 1; i <= 5; i++ {
		classes[i] = m.httpRequests.WithLabelValues(strconv.Itoa(i) + "xx")
	}
	countError := m.CountError
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(server.CountRefusals(r.Context(), countError)))
		if c := rec.status / 100; c >= 1 && c <= 5 {
			classes[c].Inc()
		}
	})
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
