package partnerfeed_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/indexer/partnerfeed"
	"github.com/staygraph/staygraph/indexer/partnerfeed/partnerfeedtest"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// A partner removed from --partner-webhooks while deliveries to it are
// still queued: the feed's next start works its queue too, and the worker
// cancels them once RemovedPartnerGrace old ("partner %q is no longer
// configured"), where the alert on
// staygraph_jobs{state="cancelled"} sees them. Each partner has its own
// queue, and the feed used to work only the configured partners': the
// deliveries stayed queued for ever, to go out, old, to whatever partner
// is configured under that name again.
func TestDeliveriesToARemovedPartnerAreCancelled(t *testing.T) {
	t.Parallel()
	acme := notifytest.NewHTTPPeer(t)
	acme.Respond(http.StatusNoContent)
	pool := pgtest.NewDB(t)
	// "gone" was configured when its event was queued, by an earlier start
	earlier, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := earlier.Insert(t.Context(), partnerfeed.DeliverArgs{Partner: "gone", EventID: "chg_1", Body: `{"id":"chg_1"}`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, jobs := partnerfeedtest.Start(t, pool, []partnerfeed.Partner{{Name: "acme", URL: acme.URL, Secret: secret}}, 1,
		partnerfeed.Opts{Backoff: func(int) time.Duration { return 10 * time.Millisecond },
			RemovedPartnerGrace: time.Millisecond}, nil) // the earlier start was long ago
	if _, err := jobs.Insert(t.Context(), partnerfeed.DeliverArgs{Partner: "acme", EventID: "chg_1", Body: `{"id":"chg_1"}`}, nil); err != nil {
		t.Fatal(err)
	}
	acme.Await(t, 1, 10*time.Second) // the client works
	var state, reason string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := pool.QueryRow(t.Context(), `SELECT state::text, coalesce(errors[array_upper(errors, 1)]->>'error', '') FROM river_job WHERE id = $1`, gone.Job.ID).Scan(&state, &reason); err != nil {
			t.Fatal(err)
		}
		if state == "cancelled" {
			if !strings.Contains(reason, `partner "gone" is no longer configured`) {
				t.Errorf("cancelled with %q, want the reason", reason)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the removed partner's delivery is still %s, want cancelled", state)
		}
	}
}
