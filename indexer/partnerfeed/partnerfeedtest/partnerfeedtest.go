// Package partnerfeedtest runs a partner feed's deliveries in tests: a
// River client that works the partners' queues, started and stopped with
// the test.
package partnerfeedtest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/indexer/partnerfeed"
)

// Start makes a partner feed to partners with opts and starts a River
// client that delivers it, workers at a time for each partner, polling
// often; it is stopped when the test ends. A nil log discards River's logs.
func Start(t testing.TB, pool *pgxpool.Pool, partners []partnerfeed.Partner, workers int, opts partnerfeed.Opts, log *slog.Logger) (*partnerfeed.Feed, *river.Client[pgx.Tx]) {
	t.Helper()
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	registry := river.NewWorkers()
	queues, err := partnerfeed.Queues(context.Background(), pool, partners, workers)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:            queues,
		Workers:           registry,
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
		Logger:            log,
	})
	if err != nil {
		t.Fatal(err)
	}
	feed, err := partnerfeed.New(pool, jobs, partners, opts)
	if err != nil {
		t.Fatal(err)
	}
	partnerfeed.AddWorkers(registry, feed)
	if err := jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = jobs.Stop(ctx)
	})
	return feed, jobs
}
