package partnerfeed_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/indexer/partnerfeed"
	"github.com/staygraph/staygraph/indexer/partnerfeed/partnerfeedtest"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// A partner that answers 429 or 503 with a Retry-After gets the event
// again no earlier than the time it gave, though the backoff is 10 ms; an
// absurd wait is cut to an hour, a malformed one is ignored.
func TestDeliveryWaitsForThePartnersRetryAfter(t *testing.T) {
	t.Parallel()
	// queued is an event queued for a partner that answers status with
	// Retry-After: retryAfter, then 204, on a database whose River client
	// delivers it.
	queued := func(t *testing.T, status int, retryAfter string) (*notifytest.HTTPPeer, *pgxpool.Pool, int64) {
		t.Helper()
		peer := notifytest.NewHTTPPeer(t)
		peer.Respond(status, http.StatusNoContent)
		peer.Header("Retry-After", retryAfter)
		pool := pgtest.NewDB(t)
		_, jobs := partnerfeedtest.Start(t, pool, []partnerfeed.Partner{{Name: "acme", URL: peer.URL, Secret: secret}}, 2,
			partnerfeed.Opts{Backoff: func(int) time.Duration { return 10 * time.Millisecond }}, nil)
		res, err := jobs.Insert(t.Context(), partnerfeed.DeliverArgs{Partner: "acme", EventID: "chg_1", Body: `{"id":"chg_1"}`}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return peer, pool, res.Job.ID
	}
	// twice is the two posts of the event, the second of which it took.
	twice := func(t *testing.T, peer *notifytest.HTTPPeer) []notifytest.Request {
		t.Helper()
		got := peer.Await(t, 2, 15*time.Second)
		if len(got) != 2 || got[1].Status != http.StatusNoContent {
			t.Fatalf("the partner got %d posts, want 2", len(got))
		}
		return got
	}
	t.Run("429, Retry-After in seconds", func(t *testing.T) {
		t.Parallel()
		peer, _, _ := queued(t, http.StatusTooManyRequests, "2")
		got := twice(t, peer)
		if wait := got[1].At.Sub(got[0].At); wait < 2*time.Second {
			t.Fatalf("posted again %v after a 429 with Retry-After: 2", wait)
		}
	})
	t.Run("503, Retry-After as a date", func(t *testing.T) {
		t.Parallel()
		notBefore := time.Now().Add(3 * time.Second).Truncate(time.Second)
		peer, _, _ := queued(t, http.StatusServiceUnavailable, notBefore.UTC().Format(http.TimeFormat))
		if at := twice(t, peer)[1].At; at.Before(notBefore) {
			t.Fatalf("posted again at %v, before the %v the 503 gave", at, notBefore)
		}
	})
	t.Run("a week is cut to an hour", func(t *testing.T) {
		t.Parallel()
		peer, pool, id := queued(t, http.StatusTooManyRequests, "604800")
		peer.Await(t, 1, 15*time.Second)
		var (
			state string
			wait  time.Duration
		)
		for deadline := time.Now().Add(15 * time.Second); state != "retryable"; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the delivery job is %s, want retryable", state)
			}
			if err := pool.QueryRow(t.Context(), `SELECT state::text, scheduled_at - attempted_at FROM river_job WHERE id = $1`,
				id).Scan(&state, &wait); err != nil {
				t.Fatal(err)
			}
		}
		if wait < notify.MaxRetryAfter || wait > notify.MaxRetryAfter+time.Minute {
			t.Fatalf("the next post is %v after the refused one, want an hour (notify.MaxRetryAfter)", wait)
		}
	})
	t.Run("a malformed Retry-After is ignored", func(t *testing.T) {
		t.Parallel()
		peer, _, _ := queued(t, http.StatusTooManyRequests, "3600.0")
		twice(t, peer) // within 15 s: after the backoff's 10 ms
	})
}

// A partner's Retry-After holds back its other events too: they are
// snoozed (no attempt spent) and posted once the wait is over.
func TestAPartnersRetryAfterHoldsBackItsOtherEvents(t *testing.T) {
	t.Parallel()
	peer := notifytest.NewHTTPPeer(t)
	peer.Respond(http.StatusTooManyRequests, http.StatusNoContent)
	peer.Header("Retry-After", "3")
	pool := pgtest.NewDB(t)
	_, jobs := partnerfeedtest.Start(t, pool, []partnerfeed.Partner{{Name: "acme", URL: peer.URL, Secret: secret}}, 2,
		partnerfeed.Opts{Backoff: func(int) time.Duration { return 10 * time.Millisecond }}, nil)
	if _, err := jobs.Insert(t.Context(), partnerfeed.DeliverArgs{Partner: "acme", EventID: "chg_1", Body: `{"id":"chg_1"}`}, nil); err != nil {
		t.Fatal(err)
	}
	limited := peer.Await(t, 1, 15*time.Second)[0]
	peer.Header("Retry-After", "")
	second, err := jobs.Insert(t.Context(), partnerfeed.DeliverArgs{Partner: "acme", EventID: "chg_2", Body: `{"id":"chg_2"}`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := peer.Await(t, 3, 15*time.Second)
	for i, r := range got[1:] {
		if wait := r.At.Sub(limited.At); wait < 3*time.Second {
			t.Errorf("post %d reached the partner %v after its 429 with Retry-After: 3", i+2, wait.Round(time.Millisecond))
		}
	}
	var attempts int
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var state string
		if err := pool.QueryRow(t.Context(), `SELECT state::text, attempt FROM river_job WHERE id = $1`, second.Job.ID).Scan(&state, &attempts); err != nil {
			t.Fatal(err)
		}
		if state == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second event's job is %s", state)
		}
	}
	if attempts != 1 {
		t.Errorf("the second event took %d attempts, want 1: waiting is no failure", attempts)
	}
}
