package booking_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/email"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

// A guest who holds, confirms and cancels gets three emails, in their
// language, through a real SMTP server; each was enqueued in the same
// transaction as the change it reports.
func TestGuestsHearAboutTheirBooking(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	b := setup(t, time.Time{})
	svc, notices := withNotices(t, b, smtpd, notify.Opts{})

	f := b.fixture(t, fixtureOpts{policy: catalog.CancellationPolicy{Refundable: true}}) // free cancellation
	g := guest("lea")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 20)
	in := holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 2), 1)
	in.Contact = booking.Contact{Email: "lea@example.fr", Language: "fr"}
	h, err := svc.Hold(g, in)
	must(t, err)
	_, err = svc.Confirm(g, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_success")})
	must(t, err)
	_, _, err = svc.Cancel(g, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)

	mails := smtpd.Await(t, 4, 20*time.Second) // held, confirmed, cancelled, refunded
	seen := map[string]bool{}
	for _, m := range mails {
		if m.To[0] != "lea@example.fr" || !strings.Contains(m.Subject, h.Reference) {
			t.Errorf("mail to %v: %q", m.To, m.Subject)
		}
		seen[m.Subject] = true
	}
	if len(seen) != 4 {
		t.Fatalf("subjects %v, want four different messages", seen)
	}
	// The booking lists its notifications; each ends SENT once recorded.
	kinds := map[notify.Kind]notify.Status{}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		byBooking, err := notices.ForBookings(context.Background(), []uuid.UUID{h.ID})
		must(t, err)
		list := byBooking[h.ID]
		sent := 0
		for _, n := range list {
			kinds[n.Kind] = n.Status
			if n.Status == notify.StatusSent {
				sent++
			}
		}
		if sent == 4 && len(list) == 4 {
			return
		}
	}
	t.Fatalf("notifications %v, want held, confirmed, cancelled and refunded SENT", kinds)
}

// withNotices is a booking service whose notifications go through a real
// job queue to smtpd (retried every 200 ms).
func withNotices(t *testing.T, b testBundle, smtpd *notifytest.SMTPServer, opts notify.Opts) (*booking.Service, *notify.Service) {
	t.Helper()
	workers := river.NewWorkers()
	client, err := river.NewClient(riverpgxv5.New(b.pool), &river.Config{
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers: workers, FetchCooldown: 50 * time.Millisecond, FetchPollInterval: 100 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TestOnly: true,
	})
	must(t, err)
	svc := booking.NewService(b.pool, b.catalog, payment.NewRegistry(sandbox.New()), client, booking.Opts{})
	ch, err := email.New(smtpd.Host(), smtpd.Port(), "stays@staygraph.test", email.Opts{})
	must(t, err)
	opts.Jobs = client
	opts.Backoff = func(int) time.Duration { return 200 * time.Millisecond }
	notices := notify.NewService(b.pool, notify.NewRegistry(ch), svc, opts)
	svc.SetNotifier(notices)
	booking.AddWorkers(workers, svc)
	notify.AddWorkers(workers, notices)
	ctx, cancel := context.WithCancel(context.Background())
	must(t, client.Start(ctx))
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = client.Stop(stop)
		cancel()
	})
	return svc, notices
}

// An email the mail server could not take ends on the hotel's list of
// undelivered notifications, for its staff and admins only; once the server
// is back, staff send it again from that list.
func TestStaffSeeAndRetryUndeliveredNotifications(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	smtpd.Stop()
	b := setup(t, time.Time{})
	svc, _ := withNotices(t, b, smtpd, notify.Opts{MaxAttempts: 2})
	f := b.fixture(t, fixtureOpts{})
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 20)
	in := holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 2), 1)
	in.Contact = booking.Contact{Email: "lea@example.fr"}
	h, err := svc.Hold(guest("lea"), in)
	must(t, err)

	staff := staffOf(f.hotel.ID)
	var list []notify.Notification
	for deadline := time.Now().Add(15 * time.Second); len(list) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the HELD email never showed as undelivered")
		}
		list, err = svc.UndeliveredNotifications(staff, f.hotel.ID, 20)
		must(t, err)
	}
	if len(list) != 1 || list[0].BookingID != h.ID || list[0].Kind != notify.Held || list[0].Status != notify.StatusDead || list[0].Attempts != 2 {
		t.Fatalf("undelivered %+v, want the booking's HELD email, DEAD after 2 attempts", list)
	}
	for who, ctx := range map[string]context.Context{"staff of another hotel": staffOf(uuid.New()), "the guest": guest("lea")} {
		if _, err := svc.UndeliveredNotifications(ctx, f.hotel.ID, 20); !apperr.HasCode(err, apperr.Forbidden) {
			t.Errorf("%s: %v, want FORBIDDEN", who, err)
		}
	}

	smtpd.Start()
	if _, err := svc.RetryNotification(staff, list[0].BookingID, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if mail := smtpd.Await(t, 1, 10*time.Second); !strings.Contains(mail[0].Subject, h.Reference) {
		t.Fatalf("subject %q", mail[0].Subject)
	}
	if left, err := svc.UndeliveredNotifications(staff, f.hotel.ID, 20); err != nil || len(left) != 0 {
		t.Fatalf("undelivered after the retry: %+v %v, want none", left, err)
	}
}

// A forced block tells each guest what became of their stay: the guests of
// a confirmed booking that staff will move, the guest of a hold that it
// ended (it is released, nobody will move it).
func TestMaintenanceTellsHoldsTheyEnded(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	b := setup(t, time.Time{})
	svc, notices := withNotices(t, b, smtpd, notify.Opts{})
	f := b.fixture(t, fixtureOpts{rooms: 2})
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 20)
	confirmed, err := svc.Hold(guest("ana"), holdInput(f, "c", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	_, err = svc.Confirm(guest("ana"), booking.ConfirmInput{IdempotencyKey: "c-confirm", BookingID: confirmed.ID, Payment: pay("tok_success")})
	must(t, err)
	held, err := svc.Hold(guest("bo"), holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	_, _, err = svc.BlockRooms(staffOf(f.hotel.ID), b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID, f.rooms[1].ID},
		From: checkIn, To: checkIn.AddDate(0, 0, 1), Reason: "flood", Force: true})
	must(t, err)
	for id, want := range map[uuid.UUID]string{confirmed.ID: "HELD CONFIRMED RELOCATION_NEEDED", held.ID: "HELD EXPIRED"} {
		byBooking, err := notices.ForBookings(context.Background(), []uuid.UUID{id})
		must(t, err)
		list := byBooking[id]
		var kinds []string
		for _, n := range list {
			kinds = append(kinds, string(n.Kind))
		}
		if got := strings.Join(kinds, " "); got != want {
			t.Errorf("notifications of %s: %s, want %s", id, got, want)
		}
	}
}

// A refund the provider refused, which staff then pay back outside
// staygraph, tells the guest it was paid (they used to hear nothing).
func TestGuestsHearOfARefundSettledOutside(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	b := setup(t, time.Time{})
	svc, _ := withNotices(t, b, smtpd, notify.Opts{})
	f := b.fixture(t, fixtureOpts{policy: catalog.CancellationPolicy{Refundable: true}}) // free cancellation
	g := guest("lea")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 20)
	in := holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 2), 1)
	in.Contact = booking.Contact{Email: "lea@example.fr"}
	h, err := svc.Hold(g, in)
	must(t, err)
	_, err = svc.Confirm(g, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_refund_fails")})
	must(t, err)
	_, refund, err := svc.Cancel(g, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)
	smtpd.Await(t, 3, 20*time.Second) // held, confirmed, cancelled
	eventually(t, "the refusal", func() bool {
		refunds, err := svc.RefundsOf(context.Background(), []uuid.UUID{h.ID})
		must(t, err)
		return len(refunds[h.ID]) == 1 && refunds[h.ID][0].Status == "FAILED"
	})
	_, _, err = svc.SettleRefundOutside(staffOf(f.hotel.ID), booking.SettleRefundInput{RefundID: refund.ID, Reference: "TR-0042"})
	must(t, err)
	mails := smtpd.Await(t, 4, 20*time.Second)
	if last := mails[3]; last.To[0] != "lea@example.fr" || !strings.Contains(last.Subject, "Refund paid") || !strings.Contains(last.Subject, h.Reference) {
		t.Fatalf("the fourth mail: to %v %q, want the refund paid", last.To, last.Subject)
	}
}
