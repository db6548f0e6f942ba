// Package tracing sets up OpenTelemetry tracing of the API server and owns
// the spans of its edges: SQL statements (a pgx query tracer) and search
// engine calls. Tracing is off unless an OTLP endpoint is configured; off,
// nothing is exported and the instrumented code paths are skipped.
package tracing

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// InstrumentationName names the tracer of every staygraph span.
const InstrumentationName = "github.com/staygraph/staygraph"

// Opts configures NewProvider.
type Opts struct {
	// Endpoint is the OTLP/HTTP collector, a URL (http://127.0.0.1:4318) or
	// host:port (sent over HTTPS). Empty switches tracing off.
	Endpoint string
	// ServiceName is reported as service.name. Default "staygraph".
	ServiceName string
	// SampleRatio is the fraction of new traces recorded (0 < r <= 1);
	// traces begun upstream follow their caller's decision. Default 1.
	SampleRatio float64
}

// NewProvider returns the tracer provider Opts asks for and the function
// that flushes and stops it. With no endpoint it returns nil and a no-op:
// callers then install no instrumentation at all.
func NewProvider(ctx context.Context, opts Opts) (*sdktrace.TracerProvider, func(context.Context) error, error) {
	if opts.Endpoint == "" {
		return nil, func(context.Context) error { return nil }, nil
	}
	endpoint := otlptracehttp.WithEndpoint(opts.Endpoint)
	if strings.Contains(opts.Endpoint, "://") {
		endpoint = otlptracehttp.WithEndpointURL(opts.Endpoint)
	}
	exp, err := otlptracehttp.New(ctx, endpoint)
	if err != nil {
		return nil, nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	tp := NewProviderWith(sdktrace.NewBatchSpanProcessor(exp), opts)
	return tp, tp.Shutdown, nil
}

// NewProviderWith returns a tracer provider sending its spans to sp: the
// OTLP batch processor in production, an in-memory recorder in tests.
func NewProviderWith(sp sdktrace.SpanProcessor, opts Opts) *sdktrace.TracerProvider {
	if opts.ServiceName == "" {
		opts.ServiceName = "staygraph"
	}
	if opts.SampleRatio <= 0 || opts.SampleRatio > 1 {
		opts.SampleRatio = 1
	}
	return sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(sp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(opts.SampleRatio))),
		sdktrace.WithRawSpanLimits(sdktrace.NewSpanLimits()),
		sdktrace.WithResource(serviceResource(opts.ServiceName)),
	)
}

// Tracer returns the staygraph tracer of tp.
func Tracer(tp trace.TracerProvider) trace.Tracer {
	return tp.Tracer(InstrumentationName)
}

var serviceNameKey = attribute.Key("service.name")
