package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/email"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
	"github.com/staygraph/staygraph/internal/notify/sms"
	"github.com/staygraph/staygraph/internal/postgres"
)

// (a) Guests get their email through a real SMTP server, in their language.
func TestEmailArrivesInTheGuestsLanguage(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	b := setup(t, notify.Opts{Backoff: shortBackoff}, emailChannel(t, smtpd))
	guests := map[string]struct{ lang, subject string }{
		"ana@example.fr":  {"fr", "confirmée"},
		"luis@example.es": {"es-MX", "confirmada"},
		"kai@example.de":  {"de", "confirmed"}, // no German templates: English
	}
	bookings := map[string]uuid.UUID{}
	for addr, g := range guests {
		bookings[addr] = b.booking(t, notify.Contact{Email: addr, Language: g.lang})
		b.enqueue(t, bookings[addr], notify.Confirmed)
	}
	for _, m := range smtpd.Await(t, len(guests), deliveryWait) {
		g := guests[m.To[0]]
		if !strings.Contains(m.Subject, g.subject) || !strings.Contains(m.Subject, "Hôtel Étoile") {
			t.Errorf("%s got the subject %q, want it to say %q", m.To[0], m.Subject, g.subject)
		}
		if m.Text == "" || m.HTML == "" {
			t.Errorf("%s got text %q and html %q", m.To[0], m.Text, m.HTML)
		}
	}
	for addr, id := range bookings {
		n := b.await(t, id, "recording the email as sent", sent)
		if n.Channel != "email" || n.Attempts != 1 || n.SentAt == nil || n.Kind != notify.Confirmed || n.LastError != "" {
			t.Errorf("%s: notification %+v", addr, n)
		}
		if want := map[string]string{"fr": "fr", "es-MX": "es", "de": "en"}[guests[addr].lang]; n.Language != want {
			t.Errorf("%s: recorded language %q, want %q", addr, n.Language, want)
		}
	}
	// Nothing personal is stored with the notification.
	if n := b.count(t, `SELECT count(*) FROM notifications n WHERE n::text ~ '@example'`); n != 0 {
		t.Fatalf("%d notification rows hold an email address", n)
	}
}

// (b) The mail server is down when the booking changes: delivery is retried
// and the email arrives once the server is back.
func TestEmailArrivesWhenTheServerComesBack(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	ch := emailChannel(t, smtpd)
	smtpd.Stop()
	b := setup(t, notify.Opts{Backoff: shortBackoff, MaxAttempts: 100}, ch)
	id := b.booking(t, notify.Contact{Email: "ana@example.com", Language: "fr"})
	b.enqueue(t, id, notify.Held)

	failed := b.await(t, id, "a failed attempt", func(n notify.Notification) bool { return n.Attempts >= 1 && n.LastError != "" })
	if failed.Status != notify.StatusPending || !strings.Contains(failed.LastError, "email") {
		t.Fatalf("after a failed attempt: %+v", failed)
	}
	smtpd.Start()
	mail := smtpd.Await(t, 1, deliveryWait)
	if !strings.Contains(mail[0].Subject, "réservées") {
		t.Fatalf("subject %q", mail[0].Subject)
	}
	n := b.await(t, id, "recording the email as sent", sent)
	if n.Attempts < 2 || n.Channel != "email" {
		t.Fatalf("sent after %d attempts on %s, want ≥ 2 on email", n.Attempts, n.Channel)
	}
	if got := len(smtpd.Mail()); got != 1 {
		t.Fatalf("%d emails arrived, want 1", got)
	}
}

// (c) The SMS gateway's answers decide: 5xx is retried until it accepts,
// 4xx gives up at once, a guest without a phone number cannot get an SMS.
func TestSMSGateway(t *testing.T) {
	t.Parallel()
	t.Run("5xx then 200: retried and sent", func(t *testing.T) {
		t.Parallel()
		gw := notifytest.NewHTTPPeer(t)
		gw.Respond(http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusOK)
		b := setup(t, notify.Opts{Backoff: shortBackoff}, smsChannel(t, gw))
		id := b.booking(t, notify.Contact{Phone: "+34600000001", Language: "es"})
		b.enqueue(t, id, notify.Confirmed, "sms")
		n := b.await(t, id, "sending the SMS", sent)
		if n.Attempts != 3 || !strings.Contains(n.LastError, "503") {
			t.Fatalf("sent after %d attempts, last error %q; want 3 attempts after a 503", n.Attempts, n.LastError)
		}
		reqs := gw.Requests()
		if len(reqs) != 3 {
			t.Fatalf("%d requests reached the gateway, want 3", len(reqs))
		}
		var body struct{ ID, To, Text string }
		must(t, json.Unmarshal(reqs[2].Body, &body))
		if body.ID != n.ID.String() || body.To != "+34600000001" || !strings.Contains(body.Text, "confirmada") {
			t.Fatalf("gateway got %+v", body)
		}
		if ids := []string{reqs[0].Header.Get("Idempotency-Key"), reqs[2].Header.Get("Idempotency-Key")}; ids[0] != ids[1] {
			t.Fatalf("retries carry different idempotency keys %v", ids)
		}
	})
	t.Run("400: dead at once", func(t *testing.T) {
		t.Parallel()
		gw := notifytest.NewHTTPPeer(t)
		gw.Respond(http.StatusBadRequest)
		b := setup(t, notify.Opts{Backoff: shortBackoff}, smsChannel(t, gw))
		id := b.booking(t, notify.Contact{Phone: "+34600000002"})
		b.enqueue(t, id, notify.Confirmed, "sms")
		n := b.await(t, id, "giving up", dead)
		if n.Attempts != 1 || !strings.Contains(n.LastError, "400") {
			t.Fatalf("dead after %d attempts with %q, want 1 attempt and the 400", n.Attempts, n.LastError)
		}
		if strings.Contains(n.LastError, "+34600000002") {
			t.Fatalf("last error keeps the phone number: %q", n.LastError)
		}
		b.awaitJobs(t, n.ID, "cancelled") // not retried
	})
	t.Run("no phone number: dead", func(t *testing.T) {
		t.Parallel()
		gw := notifytest.NewHTTPPeer(t)
		b := setup(t, notify.Opts{Backoff: shortBackoff}, smsChannel(t, gw))
		id := b.booking(t, notify.Contact{Email: "ana@example.com"})
		b.enqueue(t, id, notify.Confirmed, "sms")
		n := b.await(t, id, "giving up", dead)
		if !strings.Contains(n.LastError, "no address") || len(gw.Requests()) != 0 {
			t.Fatalf("notification %+v after %d gateway requests", n, len(gw.Requests()))
		}
	})
}

// A booking the booking core no longer knows cannot be announced: the
// notification is DEAD at once, for staff to see.
func TestUnknownContactIsDead(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	b := setup(t, notify.Opts{Backoff: shortBackoff}, emailChannel(t, smtpd))
	id := b.booking(t, notify.Contact{Email: "ana@example.com"})
	b.recipients.Delete(id)
	b.enqueue(t, id, notify.Expired)
	n := b.await(t, id, "giving up", dead)
	if n.Attempts != 0 || !strings.Contains(n.LastError, "not found") {
		t.Fatalf("notification %+v, want no send attempt and the lookup error", n)
	}
	b.awaitJobs(t, n.ID, "cancelled")
}

// (d) When email keeps failing, delivery switches to SMS and succeeds there.
func TestFallsBackToSMSWhenEmailKeepsFailing(t *testing.T) {
	t.Parallel()
	t.Run("temporary failures", func(t *testing.T) {
		t.Parallel()
		smtpd := notifytest.NewSMTPServer(t)
		smtpd.RejectRecipients(451, "4.3.0 mailbox busy, try again later")
		gw := notifytest.NewHTTPPeer(t)
		b := setup(t, notify.Opts{Backoff: shortBackoff, Fallback: map[string]string{"email": "sms"}, FallbackAfter: 2},
			emailChannel(t, smtpd), smsChannel(t, gw))
		id := b.booking(t, notify.Contact{Email: "ana@example.com", Phone: "+33600000003", Language: "fr"})
		b.enqueue(t, id, notify.RelocationNeeded)
		n := b.await(t, id, "sending by SMS", sent)
		if n.Channel != "sms" || !slices.Equal(n.Channels, []string{"email", "sms"}) || n.Attempts != 3 {
			t.Fatalf("notification %+v, want sent by sms on the third attempt", n)
		}
		if !strings.Contains(n.LastError, "451") {
			t.Fatalf("last error %q, want the email failure", n.LastError)
		}
		if len(smtpd.Mail()) != 0 || len(gw.Requests()) != 1 {
			t.Fatalf("%d emails and %d SMS sent, want 0 and 1", len(smtpd.Mail()), len(gw.Requests()))
		}
	})
	t.Run("a permanent refusal falls back at once", func(t *testing.T) {
		t.Parallel()
		smtpd := notifytest.NewSMTPServer(t)
		smtpd.RejectRecipients(550, "5.1.1 <ana@example.com>: no such user")
		gw := notifytest.NewHTTPPeer(t)
		b := setup(t, notify.Opts{Backoff: shortBackoff, Fallback: map[string]string{"email": "sms"}},
			emailChannel(t, smtpd), smsChannel(t, gw))
		id := b.booking(t, notify.Contact{Email: "ana@example.com", Phone: "+33600000004"})
		b.enqueue(t, id, notify.Cancelled)
		n := b.await(t, id, "sending by SMS", sent)
		if n.Channel != "sms" || n.Attempts != 2 {
			t.Fatalf("notification %+v, want sent by sms on the second attempt", n)
		}
		// The peer echoed the address; neither the row nor the job keeps it.
		if !strings.Contains(n.LastError, "550") || strings.Contains(n.LastError, "ana@example.com") {
			t.Fatalf("last error %q, want the 550 without the address", n.LastError)
		}
		if c := b.count(t, `SELECT count(*) FROM river_job WHERE errors::text ILIKE '%ana@example.com%'`); c != 0 {
			t.Fatalf("%d jobs keep the address in their errors", c)
		}
	})
}

// (e) A booking change that rolls back announces nothing; one that commits
// leaves a notification and a delivery job per channel.
func TestRolledBackChangeEnqueuesNothing(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	gw := notifytest.NewHTTPPeer(t)
	b := setupIdle(t, notify.Opts{}, emailChannel(t, smtpd), smsChannel(t, gw))
	id := b.booking(t, notify.Contact{Email: "ana@example.com"})
	ctx := context.Background()
	counts := func() (rows, jobs int) {
		return b.count(t, "SELECT count(*) FROM notifications"), b.count(t, "SELECT count(*) FROM river_job WHERE kind = 'notify.deliver'")
	}

	tx, err := b.pool.Begin(ctx)
	must(t, err)
	must(t, b.svc.EnqueueTx(ctx, tx, id, notify.Confirmed, "email", "sms"))
	must(t, tx.Rollback(ctx))
	if rows, jobs := counts(); rows != 0 || jobs != 0 {
		t.Fatalf("after rollback: %d notifications, %d jobs; want none", rows, jobs)
	}

	b.enqueue(t, id, notify.Confirmed, "email", "sms", "email")
	if rows, jobs := counts(); rows != 2 || jobs != 2 {
		t.Fatalf("after commit: %d notifications, %d jobs; want 2 and 2 (one per channel)", rows, jobs)
	}
	all, err := b.svc.ForBookings(ctx, []uuid.UUID{id})
	must(t, err)
	for _, n := range all[id] {
		if n.Status != notify.StatusPending || n.Attempts != 0 || n.Language != "" {
			t.Fatalf("fresh notification %+v", n)
		}
		if states := b.jobStates(t, n.ID); !slices.Equal(states, []string{"available"}) {
			t.Fatalf("delivery jobs of %s: %v", n.Channel, states)
		}
	}

	// Mistakes fail the caller's transaction instead of enqueuing something odd.
	tx, err = b.pool.Begin(ctx)
	must(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck
	if err := b.svc.EnqueueTx(ctx, tx, id, notify.Confirmed, "pigeon"); !errors.Is(err, notify.ErrUnknownChannel) {
		t.Fatalf("unknown channel: %v", err)
	}
	if err := b.svc.EnqueueTx(ctx, tx, id, "PAID"); err == nil {
		t.Fatal("unknown kind enqueued")
	}
}

// (f) Staff retry a DEAD notification once the peer is back, and it is sent.
func TestRetryOfADeadNotification(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	ch := emailChannel(t, smtpd)
	smtpd.Stop()
	b := setup(t, notify.Opts{Backoff: shortBackoff, MaxAttempts: 2}, ch)
	id := b.booking(t, notify.Contact{Email: "ana@example.com", Language: "es"})
	b.enqueue(t, id, notify.Refunded)
	ctx := context.Background()

	deadN := b.await(t, id, "giving up", dead)
	if deadN.Attempts != 2 || deadN.LastError == "" {
		t.Fatalf("dead notification %+v, want 2 attempts and an error", deadN)
	}
	b.awaitJobs(t, deadN.ID, "discarded")
	list, err := b.svc.Undelivered(ctx, b.hotelID, 10)
	must(t, err)
	if len(list) != 1 || list[0].ID != deadN.ID {
		t.Fatalf("dead list %+v", list)
	}
	if other, err := b.svc.Undelivered(ctx, uuid.New(), 10); err != nil || len(other) != 0 {
		t.Fatalf("another hotel's list: %+v %v, want it empty", other, err)
	}
	// a column a later release adds does not break the list of this one
	if _, err := b.pool.Exec(ctx, `ALTER TABLE notifications ADD COLUMN added_later text`); err != nil {
		t.Fatal(err)
	}
	if again, err := b.svc.Undelivered(ctx, b.hotelID, 10); err != nil || len(again) != 1 || again[0].ID != deadN.ID {
		t.Fatalf("dead list with a column added to the table: %+v %v", again, err)
	}

	smtpd.Start()
	retried, err := b.svc.Retry(ctx, deadN.ID)
	must(t, err)
	if retried.Status != notify.StatusPending || retried.Channel != "email" {
		t.Fatalf("retried notification %+v", retried)
	}
	mail := smtpd.Await(t, 1, deliveryWait)
	if !strings.Contains(mail[0].Subject, "Reembolso") {
		t.Fatalf("subject %q", mail[0].Subject)
	}
	n := b.await(t, id, "sending after the retry", sent)
	if n.Attempts != 3 {
		t.Fatalf("sent after %d attempts, want 3", n.Attempts)
	}

	_, err = b.svc.Retry(ctx, n.ID)
	if !apperr.HasCode(err, apperr.Conflict) {
		t.Fatalf("retrying a sent notification: %v, want CONFLICT", err)
	}
	if _, err := b.svc.Retry(ctx, uuid.New()); !apperr.HasCode(err, apperr.NotFound) {
		t.Fatalf("retrying an unknown notification: %v, want NOT_FOUND", err)
	}
	if got := len(smtpd.Mail()); got != 1 {
		t.Fatalf("%d emails, want 1", got)
	}
}

// A process that stops during a notification's last attempt leaves it
// PENDING with its job discarded by the queue's rescuer: it shows among
// the given-up ones and staff can retry it. While its job lives, it is
// neither.
func TestANotificationWhoseJobIsGoneCanBeRetried(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	b := setupIdle(t, notify.Opts{}, emailChannel(t, smtpd))
	id := b.booking(t, notify.Contact{Email: "ana@example.com"})
	b.enqueue(t, id, notify.Confirmed)
	n := b.only(t, id)
	ctx := context.Background()
	if list, err := b.svc.Undelivered(ctx, b.hotelID, 10); err != nil || len(list) != 0 {
		t.Fatalf("given up while its job waits: %+v %v", list, err)
	}
	if _, err := b.svc.Retry(ctx, n.ID); !apperr.HasCode(err, apperr.Conflict) {
		t.Fatalf("retrying while its job waits: %v, want CONFLICT", err)
	}
	// What the rescuer does to a job whose last attempt never finished.
	_, err := b.pool.Exec(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = now()
		WHERE kind = 'notify.deliver' AND args->>'notification_id' = $1`, n.ID.String())
	must(t, err)
	list, err := b.svc.Undelivered(ctx, b.hotelID, 10)
	must(t, err)
	if len(list) != 1 || list[0].ID != n.ID {
		t.Fatalf("given up: %+v, want the orphaned notification", list)
	}
	retried, err := b.svc.Retry(ctx, n.ID)
	must(t, err)
	if retried.Status != notify.StatusPending {
		t.Fatalf("retried %+v", retried)
	}
	if states := b.jobStates(t, n.ID); !slices.Equal(states, []string{"discarded", "available"}) {
		t.Fatalf("delivery jobs %v, want the discarded one and a new one", states)
	}
}

// What a failed delivery stored is for the guest's and staff's eyes: the
// gateway's status code or a short reason, never the gateway's URL (its
// key in the query, its user and password), its address or its body, and
// not the mail server's address or its reply's text either. The job queue
// keeps no more.
func TestStoredErrorsHoldNoGatewaySecrets(t *testing.T) {
	t.Parallel()
	// down is an address nothing listens on.
	down := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		addr := ln.Addr().String()
		must(t, ln.Close())
		return addr
	}
	secretURL := func(hostPort string) string {
		return "http://staygraph:gw-PASSWORD-7@" + hostPort + "/v1/messages?api_key=GW-API-KEY-42&region=eu"
	}
	assertSafe := func(t *testing.T, b testBundle, n notify.Notification, want string, secrets ...string) {
		t.Helper()
		if !strings.Contains(n.LastError, want) {
			t.Errorf("last error %q, want it to say %q", n.LastError, want)
		}
		var jobErrors string
		must(t, b.pool.QueryRow(context.Background(), `SELECT coalesce(string_agg(errors::text, ' '), '') FROM river_job`).Scan(&jobErrors))
		for _, s := range append(secrets, "api_key", "GW-API-KEY-42", "gw-PASSWORD-7", "staygraph:", "/v1/messages", "127.0.0.1") {
			if strings.Contains(n.LastError, s) || strings.Contains(jobErrors, s) {
				t.Errorf("%q is stored:\nlast error %q\njob errors %s", s, n.LastError, jobErrors)
			}
		}
	}
	smsTo := func(t *testing.T, url string) *sms.Channel {
		ch, err := sms.New(url, "tok_test", sms.Opts{Timeout: 2 * time.Second})
		must(t, err)
		return ch
	}

	t.Run("sms gateway down", func(t *testing.T) {
		t.Parallel()
		addr := down(t)
		b := setup(t, notify.Opts{Backoff: shortBackoff, MaxAttempts: 2}, smsTo(t, secretURL(addr)))
		id := b.booking(t, notify.Contact{Phone: "+34600000011"})
		b.enqueue(t, id, notify.Confirmed, "sms")
		n := b.await(t, id, "giving up", dead)
		_, port, _ := net.SplitHostPort(addr)
		assertSafe(t, b, n, "sms gateway unreachable (connection refused)", ":"+port)
	})
	t.Run("sms gateway answers 500 with a secret in its body", func(t *testing.T) {
		t.Parallel()
		gw := notifytest.NewHTTPPeer(t)
		gw.Respond(http.StatusInternalServerError)
		gw.Body(`{"error":"upstream 10.20.30.40:8443 refused account GW-ACCOUNT-SECRET for +34600000012","trace":"TRACE-SECRET-99"}`)
		b := setup(t, notify.Opts{Backoff: shortBackoff, MaxAttempts: 2}, smsTo(t, secretURL(strings.TrimPrefix(gw.URL, "http://"))))
		id := b.booking(t, notify.Contact{Phone: "+34600000012"})
		b.enqueue(t, id, notify.Confirmed, "sms")
		n := b.await(t, id, "giving up", dead)
		if got := len(gw.Requests()); got != 2 {
			t.Fatalf("%d requests reached the gateway, want 2", got)
		}
		assertSafe(t, b, n, "sms gateway answered 500 Internal Server Error", "GW-ACCOUNT-SECRET", "TRACE-SECRET-99", "10.20.30.40", "upstream")
	})
	t.Run("mail server down", func(t *testing.T) {
		t.Parallel()
		addr := down(t)
		host, portText, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(portText)
		ch, err := email.New(host, port, "stays@staygraph.test", email.Opts{Timeout: 2 * time.Second})
		must(t, err)
		b := setup(t, notify.Opts{Backoff: shortBackoff, MaxAttempts: 2}, ch)
		id := b.booking(t, notify.Contact{Email: "ana@example.com"})
		b.enqueue(t, id, notify.Confirmed, "email")
		n := b.await(t, id, "giving up", dead)
		assertSafe(t, b, n, "smtp server unreachable (connection refused)", ":"+portText)
	})
	t.Run("mail server refuses with internal names in its reply", func(t *testing.T) {
		t.Parallel()
		smtpd := notifytest.NewSMTPServer(t)
		smtpd.RejectRecipients(554, "5.7.1 relay mx7.corp.internal (10.9.8.7) denies smtp-user RELAY-SECRET")
		b := setup(t, notify.Opts{Backoff: shortBackoff}, emailChannel(t, smtpd))
		id := b.booking(t, notify.Contact{Email: "ana@example.com"})
		b.enqueue(t, id, notify.Confirmed, "email")
		n := b.await(t, id, "giving up", dead)
		assertSafe(t, b, n, "smtp server answered 554 (5.7.1)", "mx7.corp.internal", "10.9.8.7", "RELAY-SECRET", "relay")
	})
}

// Errors stored before delivery kept them to status codes and short reasons
// are rewritten by migration 00026 to the same shape; errors stored since
// stay as they are.
func TestStoredErrorsOfEarlierReleasesAreRedacted(t *testing.T) {
	t.Parallel()
	b := setupIdle(t, notify.Opts{})
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	must(t, postgres.MigrateWith(ctx, b.pool, log, postgres.MigrateOpts{To: 25})) // the schema before 00026
	id := b.booking(t, notify.Contact{Email: "ana@example.com"})
	cases := map[string]string{
		`sms: sms gateway: Post "https://gw:pw@sms.example/v1/send?api_key=GW-KEY-1": dial tcp 10.0.0.9:443: connect: connection refused`: "sms: sms gateway unreachable",
		`sms: sms gateway: 503 Service Unavailable: {"error":"quota of account ACCT-SECRET","node":"10.2.3.4"}`:                           "sms: sms gateway answered 503",
		`sms: sms gateway refused the message: 400 Bad Request: {"detail":"token tok_SECRET invalid"}`:                                    "sms: sms gateway refused the message: answered 400",
		`email: smtp: 554 "5.7.1 relay mx7.corp.internal (10.9.8.7) denied"`:                                                              "email: smtp server answered 554 (5.7.1)",
		`email: smtp: 451 mailbox busy at mx7.corp.internal`:                                                                              "email: smtp server answered 451",
		`email: smtp: dial tcp 10.0.0.7:25: connect: connection refused`:                                                                  "email: smtp server unreachable",
		`email: smtp: the server does not offer authentication`:                                                                           "email: smtp: the server does not offer authentication",
		`read the booking's contact: lookup via https://user:pw@internal.example/x?k=SECRET failed`:                                       "read the booking's contact: lookup via [url] failed",
		// Written by this release: kept.
		"sms: sms gateway answered 503 Service Unavailable":   "sms: sms gateway answered 503 Service Unavailable",
		"email: smtp server unreachable (connection refused)": "email: smtp server unreachable (connection refused)",
		"sms: the contact has no address on this channel":     "sms: the contact has no address on this channel",
	}
	rows := map[uuid.UUID]string{}
	for stored := range cases {
		n := uuid.New()
		_, err := b.pool.Exec(ctx, `INSERT INTO notifications (id, booking_id, kind, channels, channel, status, attempts, last_error)
			VALUES ($1, $2, 'CONFIRMED', '{email,sms}', 'sms', 'DEAD', 3, $3)`, n, id, stored)
		must(t, err)
		rows[n] = stored
	}
	must(t, postgres.MigrateWith(ctx, b.pool, log, postgres.MigrateOpts{}))
	for n, stored := range rows {
		var got string
		must(t, b.pool.QueryRow(ctx, `SELECT last_error FROM notifications WHERE id = $1`, n).Scan(&got))
		if got != cases[stored] {
			t.Errorf("%q became %q, want %q", stored, got, cases[stored])
		}
	}
}

// A channel added outside the package (here the Slack channel of
// docs/extending.md, posting to a real HTTP peer) is registered, routed and
// delivered like the built-in ones: nothing in the service changes for it.
func TestAChannelAddedOutsideThePackageDelivers(t *testing.T) {
	t.Parallel()
	hook := notifytest.NewHTTPPeer(t)
	hook.Respond(http.StatusServiceUnavailable, http.StatusOK) // retried, then delivered
	b := setup(t, notify.Opts{Backoff: shortBackoff, Channels: []string{"slack"}}, slackChannel{url: hook.URL + "/hook"})
	id := b.booking(t, notify.Contact{Email: "ana@example.com", Reference: "SG-SLACK1", Language: "fr"})
	b.enqueue(t, id, notify.RelocationNeeded)
	n := b.await(t, id, "posting to the staff's Slack", sent)
	if n.Channel != "slack" || n.Attempts != 2 || n.Kind != notify.RelocationNeeded || !strings.Contains(n.LastError, "503") {
		t.Fatalf("notification %+v, want sent on slack on the second attempt after a 503", n)
	}
	got := hook.Requests()
	if len(got) != 2 {
		t.Fatalf("the webhook got %d posts, want 2 (a 503, then the delivery)", len(got))
	}
	var post struct{ Text string }
	must(t, json.Unmarshal(got[1].Body, &post))
	if !strings.Contains(post.Text, "SG-SLACK1") || !strings.Contains(post.Text, "Hôtel Étoile") {
		t.Fatalf("posted %q, want the booking's reference and hotel", post.Text)
	}
}

// slackChannel is docs/extending.md's worked example, cut to what the test needs.
type slackChannel struct{ url string }

func (slackChannel) Name() string { return "slack" }

var slackClient = notify.NewClient(10 * time.Second)

func (c slackChannel) Send(ctx context.Context, msg notify.Message) error {
	body, err := json.Marshal(map[string]string{"text": msg.Subject + "\n" + msg.Short})
	if err != nil {
		return notify.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return notify.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	err = notify.Post(slackClient, req)
	if _, refused := notify.Refusal(err); refused {
		return notify.Permanent(err)
	}
	return err
}

// A channel written without notify.Post, whose HTTP client's error names the
// webhook's URL (for Slack, the credential: anyone holding it posts into the
// hotel's channel): the URL is in neither the notification's lastError,
// which guests and staff read, nor the job's recorded errors.
func TestAChannelsURLIsNeverStored(t *testing.T) {
	t.Parallel()
	hook := notifytest.NewHTTPPeer(t)
	hook.Delay(3 * time.Second) // answers too late
	webhook := hook.URL + "/services/T0HOTEL/B0DESK/XOXB-WEBHOOK-SECRET-42"
	b := setup(t, notify.Opts{Backoff: shortBackoff, MaxAttempts: 1, SendTimeout: 300 * time.Millisecond, Channels: []string{"slack"}},
		plainHTTPChannel{url: webhook})
	id := b.booking(t, notify.Contact{Email: "ana@example.com", Reference: "SG-SLACK2"})
	b.enqueue(t, id, notify.RelocationNeeded)
	n := b.await(t, id, "giving up", dead)
	if !strings.Contains(n.LastError, "slack") || !strings.Contains(n.LastError, "timed out") {
		t.Errorf("last error %q, want the channel and why", n.LastError)
	}
	for _, secret := range []string{"XOXB-WEBHOOK-SECRET-42", "/services/", strings.TrimPrefix(hook.URL, "http://")} {
		if strings.Contains(n.LastError, secret) {
			t.Errorf("the notification's lastError holds %q: %q", secret, n.LastError)
		}
		if c := b.count(t, `SELECT count(*) FROM river_job WHERE errors::text LIKE '%' || $1 || '%'`, secret); c != 0 {
			t.Errorf("%d jobs hold %q in their errors", c, secret)
		}
	}
}

// plainHTTPChannel posts with Go's default client and returns its errors
// as they are.
type plainHTTPChannel struct{ url string }

func (plainHTTPChannel) Name() string { return "slack" }

func (c plainHTTPChannel) Send(ctx context.Context, msg notify.Message) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(msg.Short))
	if err != nil {
		return notify.Permanent(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	resp.Body.Close()
	return nil
}

// A guest without a phone number whose mail server is down for a moment:
// delivery does not move to SMS, which has no address for them (the notice
// would be DEAD at once), but is retried on email, and arrives when the
// server is back.
func TestAGuestWithoutAPhoneStaysOnEmailThroughAnOutage(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	ch := emailChannel(t, smtpd)
	smtpd.Stop()
	gw := notifytest.NewHTTPPeer(t)
	b := setup(t, notify.Opts{Backoff: shortBackoff, MaxAttempts: 100, FallbackAfter: 2, Fallback: map[string]string{"email": "sms"}},
		ch, smsChannel(t, gw))
	id := b.booking(t, notify.Contact{Email: "ana@example.com", Language: "fr"}) // no phone number
	b.enqueue(t, id, notify.Confirmed)
	n := b.await(t, id, "a few failed attempts", func(n notify.Notification) bool { return n.Attempts >= 4 || n.Status == notify.StatusDead })
	if n.Status == notify.StatusDead || n.Channel != "email" {
		t.Fatalf("after %d attempts: %s on %s (%s), want still PENDING on email", n.Attempts, n.Status, n.Channel, n.LastError)
	}
	smtpd.Start()
	smtpd.Await(t, 1, deliveryWait)
	if n := b.await(t, id, "recording the email as sent", sent); n.Channel != "email" || len(gw.Requests()) != 0 {
		t.Fatalf("notification %+v and %d SMS, want sent by email only", n, len(gw.Requests()))
	}
}

// A "rooms held" email that waits for a retry through a mail outage while
// the booking is cancelled does not reach the guest after the cancellation
// email: it ends SUPERSEDED, unsent. A refund notice is news of its own and
// still goes out.
func TestAStaleNoticeIsNotSentAfterALaterOne(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	ch := emailChannel(t, smtpd)
	smtpd.Stop()
	b := setup(t, notify.Opts{Backoff: func(int) time.Duration { return 2 * time.Second }}, ch)
	id := b.booking(t, notify.Contact{Email: "ana@example.com", Language: "en"})
	b.enqueue(t, id, notify.Held)
	b.enqueue(t, id, notify.Refunded)
	deadline := time.Now().Add(deliveryWait)
	for b.count(t, `SELECT count(*) FROM notifications WHERE booking_id = $1 AND attempts >= 1`, id) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the notices were never tried")
		}
		time.Sleep(50 * time.Millisecond)
	}
	smtpd.Start()
	b.enqueue(t, id, notify.Cancelled) // the booking is cancelled meanwhile
	mail := smtpd.Await(t, 2, deliveryWait)
	var subjects []string
	for _, m := range mail {
		subjects = append(subjects, m.Subject)
	}
	if len(subjects) != 2 || slices.ContainsFunc(subjects, func(s string) bool { return strings.Contains(s, "held") }) {
		t.Fatalf("emails %q, want the cancellation and the refund only", subjects)
	}
	// the held notice's retry finds the cancellation sent
	for b.count(t, `SELECT count(*) FROM notifications WHERE booking_id = $1 AND kind = 'HELD' AND status = 'SUPERSEDED'`, id) != 1 {
		if time.Now().After(deadline.Add(deliveryWait)) {
			t.Fatal("the held notice did not end SUPERSEDED")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if all := smtpd.Mail(); len(all) != 2 {
		t.Errorf("%d emails in all, want 2", len(all))
	}
}
