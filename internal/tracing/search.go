package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/staygraph/staygraph/internal/search"
)

// searchEngine makes a span of every search an engine runs.
type searchEngine struct {
	search.Engine
	tracer trace.Tracer
}

var (
	_ search.Engine  = searchEngine{}
	_ search.Wrapper = searchEngine{}
)

// Engine returns e making a span "search <engine>" of each search, with the
// hits and total it answered. With a nil tp it returns e itself.
func Engine(e search.Engine, tp trace.TracerProvider) search.Engine {
	if tp == nil {
		return e
	}
	return searchEngine{Engine: e, tracer: Tracer(tp)}
}

// Search runs q on the wrapped engine inside a span.
func (e searchEngine) Search(ctx context.Context, q search.Query) (search.Result, error) {
	ctx, span := e.tracer.Start(ctx, "search "+e.Name(), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("search.engine", e.Name())))
	defer span.End()
	res, err := e.Engine.Search(ctx, q)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "search failed")
		return res, err
	}
	span.SetAttributes(attribute.Int("search.hits", len(res.Hits)), attribute.Int("search.total", res.TotalCount))
	return res, nil
}

// Unwrap returns the engine traced, for what it can do besides searching.
func (e searchEngine) Unwrap() search.Engine { return e.Engine }
