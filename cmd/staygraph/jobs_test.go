package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

type noopArgs struct{}

func (noopArgs) Kind() string { return "noop" }

// River keeps the jobs it stopped for good a week (jobsConfig), not its
// default day for cancelled ones: once its cleaner has removed a job
// completed two days ago and jobs cancelled or discarded eight days ago, the
// ones cancelled and discarded two days ago are still there for staff and
// the alerts on staygraph_jobs.
func TestStoppedJobsAreKeptAWeek(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	ctx := context.Background()
	for _, j := range []struct {
		state string
		age   time.Duration
	}{
		{"completed", 48 * time.Hour}, {"cancelled", 8 * 24 * time.Hour}, {"discarded", 8 * 24 * time.Hour},
		{"cancelled", 48 * time.Hour}, {"discarded", 48 * time.Hour},
	} {
		if _, err := pool.Exec(ctx, `INSERT INTO river_job (kind, args, state, attempt, max_attempts, finalized_at, metadata)
			VALUES ('noop', '{}', $1::river_job_state, 1, 25, now() - $2::interval, jsonb_build_object('was', $1::text || ' ' || $2::text))`,
			j.state, j.age.String()); err != nil {
			t.Fatal(err)
		}
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[noopArgs]) error { return nil }))
	cfg := jobsConfig(map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}}, workers, slog.New(slog.NewTextHandler(io.Discard, nil)))
	cfg.TestOnly = true // no staggered start of the maintenance services
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(stop)
	})
	kept := func() []string {
		rows, err := pool.Query(ctx, `SELECT metadata->>'was' FROM river_job ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(kept()) == 5 {
		if time.Now().After(deadline) {
			t.Fatal("River's cleaner did not run within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // the cleaner deletes by state in turn
	if got := kept(); len(got) != 2 || got[0] != "cancelled 48:00:00" || got[1] != "discarded 48:00:00" {
		t.Fatalf("jobs left by River's cleaner: %q, want the cancelled and the discarded one of two days ago", got)
	}
}
