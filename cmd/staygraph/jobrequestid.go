package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/staygraph/staygraph/internal/server"
)

// jobRequestIDs carries the request id of the request that enqueued a job
// into the job's metadata, and back into the context the job runs with, so
// the job's log lines carry the id of the request that caused it.
type jobRequestIDs struct{ river.MiddlewareDefaults }

var (
	_ rivertype.JobInsertMiddleware = &jobRequestIDs{}
	_ rivertype.WorkerMiddleware    = &jobRequestIDs{}
)

// requestIDMetadataKey names the request id in a job's metadata.
const requestIDMetadataKey = "request_id"

// InsertMany records ctx's request id in the metadata of each job.
func (*jobRequestIDs) InsertMany(ctx context.Context, many []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	if id := server.RequestID(ctx); id != "" {
		for _, p := range many {
			p.Metadata = withMetadata(p.Metadata, requestIDMetadataKey, id)
		}
	}
	return doInner(ctx)
}

// Work runs the job with the request id its metadata carries. A job that
// fails, is cancelled or panics says so with that id too: River's own line
// about it is logged outside the job's context, without the id. A snooze
// (a job waiting its turn) is not logged.
func (*jobRequestIDs) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) (err error) {
	var md map[string]any
	if json.Unmarshal(job.Metadata, &md) == nil {
		// Jobs enqueued before request ids were checked for card numbers
		// may carry one: such an id is not logged.
		if id, ok := md[requestIDMetadataKey].(string); ok && server.ValidRequestID(id) && server.RequestID(ctx) == "" {
			ctx = server.WithRequestID(ctx, id)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			slog.ErrorContext(ctx, "job panicked", "job_id", job.ID, "job_kind", job.Kind, "attempt", job.Attempt, "panic", fmt.Sprint(p))
			panic(p) // River records it and retries the job
		}
		var snoozed *rivertype.JobSnoozeError
		var cancelled *rivertype.JobCancelError
		switch {
		case err == nil || errors.As(err, &snoozed): // a snooze is a wait, not a failure
		case errors.As(err, &cancelled):
			slog.WarnContext(ctx, "job cancelled", "job_id", job.ID, "job_kind", job.Kind, "attempt", job.Attempt, "err", err)
		default:
			slog.WarnContext(ctx, "job failed", "job_id", job.ID, "job_kind", job.Kind, "attempt", job.Attempt, "err", err)
		}
	}()
	return doInner(ctx)
}

// withMetadata returns the JSON object metadata with key set to value;
// metadata that is not an object is kept as it is.
func withMetadata(metadata []byte, key, value string) []byte {
	md := map[string]json.RawMessage{}
	if len(metadata) > 0 {
		if err := json.Unmarshal(metadata, &md); err != nil || md == nil {
			return metadata
		}
	}
	v, _ := json.Marshal(value)
	md[key] = v
	out, err := json.Marshal(md)
	if err != nil {
		return metadata
	}
	return out
}
