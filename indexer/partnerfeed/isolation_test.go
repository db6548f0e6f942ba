package partnerfeed_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/indexer/partnerfeed"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// A partner that does not answer holds back only its own deliveries: with
// one worker per partner and that partner's posts queued first, another
// partner's event reaches it before a single post to the silent one times
// out.
func TestAPartnerThatDoesNotAnswerHoldsBackNoOther(t *testing.T) {
	t.Parallel()
	silent, acme := notifytest.NewHTTPPeer(t), notifytest.NewHTTPPeer(t)
	silent.Delay(time.Minute) // until the post's timeout ends it
	acme.Respond(http.StatusNoContent)
	pool := pgtest.NewDB(t)
	partners := []partnerfeed.Partner{
		{Name: "silent", URL: silent.URL, Secret: secret},
		{Name: "acme", URL: acme.URL, Secret: secret},
	}
	workers := river.NewWorkers()
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:            partnerfeed.Queues(partners, 1),
		Workers:           workers,
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 4 * time.Second
	feed, err := partnerfeed.New(pool, jobs, partners, partnerfeed.Opts{Timeout: timeout, Backoff: func(int) time.Duration { return time.Minute }})
	if err != nil {
		t.Fatal(err)
	}
	partnerfeed.AddWorkers(workers, feed)
	for i := range 3 {
		id := fmt.Sprint("chg_silent_", i)
		if _, err := jobs.Insert(t.Context(), partnerfeed.DeliverArgs{Partner: "silent", EventID: id, Body: `{"id":"` + id + `"}`}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := jobs.Insert(t.Context(), partnerfeed.DeliverArgs{Partner: "acme", EventID: "chg_1", Body: `{"id":"chg_1"}`}, nil); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = jobs.Stop(ctx)
	})
	acme.Await(t, 1, timeout/2)
}
