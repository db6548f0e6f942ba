package notify_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
)

// docs/extending.md: a channel that should get every notice besides the
// guest's (the hotel's Slack) goes in Opts.Channels, each channel on its own
// row and job. The guest's email of an event that waits through a short
// mail outage must still reach the guest once the server is back: the
// staff's copy of the SAME notice is not "a later notice of the booking's
// state" and must not supersede it.
func TestAGuestEmailIsNotSupersededByTheStaffCopyOfTheSameNotice(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	ch := emailChannel(t, smtpd)
	smtpd.Stop()
	hook := notifytest.NewHTTPPeer(t)
	hook.Respond(http.StatusOK)
	b := setup(t, notify.Opts{Backoff: func(int) time.Duration { return time.Second }, MaxAttempts: 100,
		Channels: []string{"email", "slack"}}, ch, slackChannel{url: hook.URL + "/hook"})
	id := b.booking(t, notify.Contact{Email: "ana@example.com", Language: "en"})
	b.enqueue(t, id, notify.Confirmed)
	deadline := time.Now().Add(deliveryWait)
	for b.count(t, `SELECT count(*) FROM notifications WHERE booking_id = $1 AND channel = 'email' AND attempts >= 1`, id) < 1 ||
		b.count(t, `SELECT count(*) FROM notifications WHERE booking_id = $1 AND channel = 'slack' AND status = 'SENT'`, id) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the email was never tried or the Slack copy never sent")
		}
		time.Sleep(50 * time.Millisecond)
	}
	smtpd.Start() // the mail server is back
	for {
		var status string
		must(t, b.pool.QueryRow(t.Context(), `SELECT status FROM notifications WHERE booking_id = $1 AND channel = 'email'`, id).Scan(&status))
		if status == string(notify.StatusSent) {
			break
		}
		if status != string(notify.StatusPending) || time.Now().After(deadline.Add(deliveryWait)) {
			t.Fatalf("the guest's confirmation email ended %s with %d emails received, want SENT", status, len(smtpd.Mail()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
