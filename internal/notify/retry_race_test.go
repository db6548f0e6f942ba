package notify_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
)

// Two staff members (or one double-click) retry the same orphaned PENDING
// notification at once: one retry wins and the other answers CONFLICT, as
// when they come one after the other. Both used to succeed: the second,
// having waited for the first's row lock, did not see the job it queued,
// queued another, and the guest got the email twice.
func TestConcurrentRetriesSendOnce(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	b := setupIdle(t, notify.Opts{}, emailChannel(t, smtpd))
	id := b.booking(t, notify.Contact{Email: "ana@example.com"})
	b.enqueue(t, id, notify.Confirmed)
	n := b.only(t, id)
	ctx := context.Background()
	// What River's rescuer does to a job whose last attempt never finished.
	_, err := b.pool.Exec(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = now()
		WHERE kind = 'notify.deliver' AND args->>'notification_id' = $1`, n.ID.String())
	must(t, err)

	// Line both retries up behind a momentary row lock (a delivery
	// recording its outcome, say), so that they run together.
	blocker, err := b.pool.Begin(ctx)
	must(t, err)
	_, err = blocker.Exec(ctx, `SELECT 1 FROM notifications WHERE id = $1 FOR UPDATE`, n.ID)
	must(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = b.svc.Retry(ctx, n.ID)
		}()
	}
	time.Sleep(500 * time.Millisecond)
	must(t, blocker.Commit(ctx))
	wg.Wait()

	active := b.count(t, `SELECT count(*) FROM river_job WHERE kind = 'notify.deliver' AND args->>'notification_id' = $1
		AND state IN ('available', 'pending', 'retryable', 'running', 'scheduled')`, n.ID.String())
	t.Logf("retry errors: %v; active delivery jobs: %d", errs, active)

	// Work the queue: how many emails does the guest get?
	b.work(t)
	smtpd.Await(t, 1, deliveryWait)
	b.await(t, id, "sending", sent)
	time.Sleep(2 * time.Second) // let any other job run
	if conflicts := apperr.HasCode(errs[0], apperr.Conflict) || apperr.HasCode(errs[1], apperr.Conflict); !conflicts || errs[0] == nil && errs[1] == nil {
		t.Fatalf("two concurrent retries answered %v, want one success and one CONFLICT", errs)
	}
	if active != 1 || len(smtpd.Mail()) != 1 {
		t.Fatalf("after two concurrent retries: %d active delivery jobs, %d emails to the guest; want 1 and 1 (retry errors %v)",
			active, len(smtpd.Mail()), errs)
	}
}
