package graph

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/staygraph/staygraph/internal/metrics"
	"github.com/staygraph/staygraph/internal/server"
	"github.com/staygraph/staygraph/internal/tracing"
)

// OperationNames are the names of the named operations on the list, sorted:
// the operation names metrics label as themselves whatever the cap.
func (l *OperationAllowlist) OperationNames() []string {
	seen := map[string]bool{}
	for _, text := range l.byHash {
		doc, err := parser.ParseQuery(&ast.Source{Input: text})
		if err != nil {
			continue // ParseOperationAllowlist refused these already
		}
		for _, op := range doc.Operations {
			if op.Name != "" {
				seen[op.Name] = true
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// operationOf names the operation ctx runs: its name ("" when unnamed) and
// type, "invalid" for both when it never parsed; and when it was read.
func operationOf(ctx context.Context) (name, opType string, start time.Time) {
	if !graphql.HasOperationContext(ctx) {
		return "invalid", "invalid", time.Time{}
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil {
		return "invalid", "invalid", oc.Stats.OperationStart
	}
	return oc.Operation.Name, string(oc.Operation.Operation), oc.Stats.OperationStart
}

// errorCode is the extensions.code of a GraphQL error, or "".
func errorCode(err *gqlerror.Error) string {
	code, _ := err.Extensions["code"].(string)
	return code
}

// operationMetrics records the latency of every query and mutation by
// operation name and every error by code.
type operationMetrics struct{ m *metrics.Metrics }

var (
	_ graphql.HandlerExtension    = operationMetrics{}
	_ graphql.ResponseInterceptor = operationMetrics{}
)

func (operationMetrics) ExtensionName() string                   { return "OperationMetrics" }
func (operationMetrics) Validate(graphql.ExecutableSchema) error { return nil }

func (o operationMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	entered := time.Now()
	resp := next(ctx)
	name, opType, start := operationOf(ctx)
	if start.IsZero() {
		start = entered
	}
	if opType != string(ast.Subscription) { // a subscription answers once per event
		o.m.ObserveOperation(name, opType, time.Since(start))
	}
	if resp != nil {
		for _, err := range resp.Errors {
			o.m.CountError(errorCode(err))
		}
	}
	return resp
}

// operationTracing makes a span of every operation (continuing the trace of
// a W3C traceparent header) and a child span of every field a resolver
// method answers; fields read straight off a struct get none.
type operationTracing struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

var (
	_ graphql.HandlerExtension    = operationTracing{}
	_ graphql.ResponseInterceptor = operationTracing{}
	_ graphql.FieldInterceptor    = operationTracing{}
)

func newOperationTracing(tp trace.TracerProvider) operationTracing {
	return operationTracing{tracer: tracing.Tracer(tp),
		prop: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})}
}

func (operationTracing) ExtensionName() string                   { return "OperationTracing" }
func (operationTracing) Validate(graphql.ExecutableSchema) error { return nil }

func (o operationTracing) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	name, opType, start := operationOf(ctx)
	if graphql.HasOperationContext(ctx) {
		ctx = o.prop.Extract(ctx, propagation.HeaderCarrier(graphql.GetOperationContext(ctx).Headers))
	}
	spanName := "graphql " + opType
	if name != "" && name != "invalid" {
		spanName += " " + name
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("graphql.operation.name", name), attribute.String("graphql.operation.type", opType))}
	if !start.IsZero() {
		opts = append(opts, trace.WithTimestamp(start))
	}
	ctx, span := o.tracer.Start(ctx, spanName, opts...)
	defer span.End()
	if id := server.RequestID(ctx); id != "" {
		span.SetAttributes(attribute.String("staygraph.request_id", id))
	}
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 0 {
		codesSeen := make([]string, 0, len(resp.Errors))
		for _, err := range resp.Errors {
			codesSeen = append(codesSeen, errorCode(err))
		}
		span.SetAttributes(attribute.StringSlice("graphql.error_codes", codesSeen))
		span.SetStatus(codes.Error, strings.Join(codesSeen, ","))
	}
	return resp
}

func (o operationTracing) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver || !trace.SpanFromContext(ctx).IsRecording() {
		return next(ctx)
	}
	ctx, span := o.tracer.Start(ctx, "graphql.resolve "+fc.Object+"."+fc.Field.Name,
		trace.WithAttributes(attribute.String("graphql.field.path", fc.Path().String())))
	defer span.End()
	res, err := next(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "resolver failed")
	}
	return res, err
}
