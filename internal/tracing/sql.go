package tracing

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/staygraph/staygraph/internal/postgres"
)

// SQLTracer is a pgx query tracer making a span of every statement run
// inside a traced request. It is installed on a pool before the tracer
// provider may be known (postgres.PoolOpts.Tracer); until Use gives it one,
// and for statements outside any span, it does nothing beyond one atomic
// load. Statement text is recorded, arguments never are.
type SQLTracer struct {
	tracer atomic.Pointer[trace.Tracer]
}

var (
	_ pgx.QueryTracer = (*SQLTracer)(nil)
	_ pgx.BatchTracer = (*SQLTracer)(nil)
)

// NewSQLTracer returns a tracer that records nothing until Use.
func NewSQLTracer() *SQLTracer { return &SQLTracer{} }

// Use makes t record spans with tp; nil switches it off again.
func (t *SQLTracer) Use(tp trace.TracerProvider) {
	if tp == nil {
		t.tracer.Store(nil)
		return
	}
	tr := Tracer(tp)
	t.tracer.Store(&tr)
}

// maxStatementLen bounds the statement text put on a span.
const maxStatementLen = 2000

// TraceQueryStart opens a span for the statement when ctx is traced.
func (t *SQLTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	tr := t.tracer.Load()
	if tr == nil || !trace.SpanFromContext(ctx).SpanContext().IsValid() {
		return ctx // background work (jobs, metrics) starts no trace of its own
	}
	stmt := postgres.WithoutActor(data.SQL)
	if len(stmt) > maxStatementLen {
		stmt = stmt[:maxStatementLen]
	}
	ctx, _ = (*tr).Start(ctx, "sql "+sqlOperation(data.SQL), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", "postgresql"), attribute.String("db.statement", stmt)))
	return ctx
}

// TraceQueryEnd closes the statement's span.
func (t *SQLTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	endSpan(ctx, data.Err, attribute.Int64("db.rows_affected", data.CommandTag.RowsAffected()))
}

// endSpan closes ctx's span, failed when err is set, else with the
// attributes of a success.
func endSpan(ctx context.Context, err error, success ...attribute.KeyValue) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "statement failed")
	} else {
		span.SetAttributes(success...)
	}
	span.End()
}

// TraceBatchStart opens one span for a batch (its statements travel in one
// round trip) when ctx is traced; its statement text is theirs, joined.
func (t *SQLTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	tr := t.tracer.Load()
	if tr == nil || !trace.SpanFromContext(ctx).SpanContext().IsValid() || data.Batch == nil {
		return ctx
	}
	var stmt strings.Builder
	for i, q := range data.Batch.QueuedQueries {
		if i > 0 {
			stmt.WriteString(";\n")
		}
		stmt.WriteString(q.SQL)
		if stmt.Len() > maxStatementLen {
			break
		}
	}
	text := stmt.String()
	if len(text) > maxStatementLen {
		text = text[:maxStatementLen]
	}
	ctx, _ = (*tr).Start(ctx, "sql batch", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system", "postgresql"), attribute.String("db.statement", text),
			attribute.Int("db.batch.size", len(data.Batch.QueuedQueries))))
	return ctx
}

// TraceBatchQuery notes each statement of the batch on its span.
func (t *SQLTracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := []attribute.KeyValue{attribute.String("db.operation", sqlOperation(data.SQL)),
		attribute.Int64("db.rows_affected", data.CommandTag.RowsAffected())}
	if data.Err != nil {
		attrs = append(attrs, attribute.String("error", data.Err.Error()))
	}
	span.AddEvent("statement", trace.WithAttributes(attrs...))
}

// TraceBatchEnd closes the batch's span.
func (t *SQLTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	endSpan(ctx, data.Err)
}

// sqlOperation is the first keyword of a statement (SELECT, INSERT, WITH,
// ...), skipping leading comments (sqlc names its queries in one).
func sqlOperation(sql string) string {
	for {
		sql = strings.TrimSpace(sql)
		if !strings.HasPrefix(sql, "--") {
			break
		}
		nl := strings.IndexByte(sql, '\n')
		if nl < 0 {
			return "QUERY"
		}
		sql = sql[nl+1:]
	}
	end := strings.IndexFunc(sql, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '(' })
	if end < 0 {
		end = len(sql)
	}
	if end == 0 || end > 16 {
		return "QUERY"
	}
	return strings.ToUpper(sql[:end])
}
