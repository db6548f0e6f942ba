package partnerfeed_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/staygraph/staygraph/indexer/partnerfeed"
	"github.com/staygraph/staygraph/indexer/partnerfeed/partnerfeedtest"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// A partner that does not answer holds back only its own deliveries: with
// one worker per partner and that partner's posts queued first, another
// partner's event reaches it before a single post to the silent one times
// out (one queue for both would keep it waiting behind them).
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
	const timeout = 4 * time.Second
	_, jobs := partnerfeedtest.Start(t, pool, partners, 1, partnerfeed.Opts{Timeout: timeout, Backoff: func(int) time.Duration { return time.Minute }}, nil)
	for i := range 3 {
		id := fmt.Sprint("chg_silent_", i)
		if _, err := jobs.Insert(t.Context(), partnerfeed.DeliverArgs{Partner: "silent", EventID: id, Body: `{"id":"` + id + `"}`}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := jobs.Insert(t.Context(), partnerfeed.DeliverArgs{Partner: "acme", EventID: "chg_1", Body: `{"id":"chg_1"}`}, nil); err != nil {
		t.Fatal(err)
	}
	acme.Await(t, 1, timeout/2)
}
