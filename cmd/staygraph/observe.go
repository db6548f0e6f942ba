package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/internal/metrics"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/tracing"
)

// observeFlags switch the API server's metrics and tracing.
type observeFlags struct {
	metrics      *bool
	otlpEndpoint *string
	serviceName  *string
	sampleRatio  *float64
}

func addObserveFlags(f *flags) observeFlags {
	return observeFlags{
		metrics:      f.Bool("metrics", true, "serve Prometheus metrics at GET /metrics"),
		otlpEndpoint: f.String("otlp-endpoint", "", "OTLP/HTTP collector that receives traces (http://127.0.0.1:4318, or host:port for HTTPS); empty: tracing off"),
		serviceName:  f.String("otlp-service-name", "staygraph", "service.name of the traces sent to --otlp-endpoint"),
		sampleRatio:  f.Float64("otlp-sample-ratio", 1, "fraction of new traces recorded, more than 0 and at most 1 (a request with a traceparent header follows its caller's decision)"),
	}
}

// poolOpts are the connection pool settings of the API server. The pool
// gets a SQL tracer that records nothing until serveAPI switches tracing on.
func (s serverFlags) poolOpts() postgres.PoolOpts {
	return postgres.PoolOpts{MaxConns: int32(*s.maxConns), Tracer: tracing.NewSQLTracer()}
}

func (f observeFlags) check() error {
	if r := *f.sampleRatio; !(r > 0 && r <= 1) {
		return fmt.Errorf("--otlp-sample-ratio %v: want more than 0 and at most 1", r)
	}
	return nil
}

// observability is the metrics and tracing of one API server; either may be
// nil (switched off).
type observability struct {
	metrics *metrics.Metrics
	tracer  trace.TracerProvider
	stop    func(context.Context) error
}

// newObservability builds what the flags ask for. With tracing on, the SQL
// tracer that poolOpts installed on pool starts recording.
func newObservability(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool, f observeFlags) (*observability, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	o := &observability{stop: func(context.Context) error { return nil }}
	if *f.metrics {
		o.metrics = metrics.New(metrics.Opts{Pool: pool, Logger: log})
	}
	tp, stop, err := tracing.NewProvider(ctx, tracing.Opts{Endpoint: *f.otlpEndpoint, ServiceName: *f.serviceName, SampleRatio: *f.sampleRatio})
	if err != nil {
		return nil, err
	}
	if tp != nil {
		o.tracer, o.stop = tp, stop
		if sql, ok := pool.Config().ConnConfig.Tracer.(*tracing.SQLTracer); ok {
			sql.Use(tp)
		} else {
			log.Warn("the database pool has no SQL tracer: traces carry no SQL spans")
		}
		log.Info("tracing to OTLP collector", "endpoint", *f.otlpEndpoint)
	}
	return o, nil
}

// close flushes the spans not yet exported.
func (o *observability) close(log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := o.stop(ctx); err != nil {
		log.Error("flush traces", "err", err)
	}
}

// engine wraps a search engine in the enabled metrics and tracing.
func (o *observability) engine(e search.Engine) search.Engine {
	if o.metrics != nil {
		e = o.metrics.Engine(e)
	}
	return tracing.Engine(e, o.tracer)
}

// handlerOpts adds the metrics and tracing of the GraphQL endpoint to opts.
func (o *observability) handlerOpts(opts graph.HandlerOpts) graph.HandlerOpts {
	opts.Metrics, opts.TracerProvider = o.metrics, o.tracer
	return opts
}

// routes mounts GET /metrics on mux, puts wrap's middleware around it, and
// counts every response by status class.
func (o *observability) routes(mux *http.ServeMux, wrap func(http.Handler) http.Handler) http.Handler {
	if o.metrics == nil {
		return wrap(mux)
	}
	mux.Handle("GET /metrics", o.metrics.Handler())
	// outside the middleware, so that the responses it gives itself (CORS
	// preflights) are counted too
	return o.metrics.HTTP(wrap(mux))
}
