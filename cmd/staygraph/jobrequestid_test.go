package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/riverqueue/river/rivertype"

	"github.com/staygraph/staygraph/internal/server"
)

// A job enqueued inside a request runs, and logs, with that request's id.
func TestJobsCarryTheRequestID(t *testing.T) {
	t.Parallel()
	mw := &jobRequestIDs{}
	params := []*rivertype.JobInsertParams{{Kind: "expire_hold", Metadata: []byte(`{"other":1}`)}, {Kind: "notify"}}
	ctx := server.WithRequestID(context.Background(), "req-42")
	if _, err := mw.InsertMany(ctx, params, func(context.Context) ([]*rivertype.JobInsertResult, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	if err := json.Unmarshal(params[0].Metadata, &md); err != nil || md["request_id"] != "req-42" || md["other"] != float64(1) {
		t.Fatalf("metadata %s %v", params[0].Metadata, err)
	}

	var buf bytes.Buffer
	log := slog.New(server.NewLogHandler(slog.NewTextHandler(&buf, nil)))
	job := &rivertype.JobRow{Kind: "notify", Metadata: params[1].Metadata}
	err := mw.Work(context.Background(), job, func(ctx context.Context) error {
		log.InfoContext(ctx, "job ran")
		return nil
	})
	if err != nil || !strings.Contains(buf.String(), "request_id=req-42") {
		t.Fatalf("job log %q %v", buf.String(), err)
	}
}

// Lines logged through slog's default logger carry the request id too.
func TestDefaultLoggerCarriesRequestIDs(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	log := newLogger("text", "info")
	if _, ok := log.Handler().(*server.LogHandler); !ok {
		t.Fatalf("newLogger's handler is %T, want *server.LogHandler", log.Handler())
	}
	if _, ok := slog.Default().Handler().(*server.LogHandler); !ok {
		t.Fatalf("default handler is %T, want *server.LogHandler", slog.Default().Handler())
	}
}
