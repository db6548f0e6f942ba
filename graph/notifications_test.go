package graph_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
	"github.com/staygraph/staygraph/internal/notify/sms"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

// A guest reads their booking's notifications with the latest failure: the
// SMS gateway's status code, never its URL (the key in its query, its user
// and password), its address or the body it answered with.
func TestGuestsReadNoGatewaySecretsInNotificationErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	gw := notifytest.NewHTTPPeer(t)
	gw.Respond(http.StatusServiceUnavailable)
	gw.Body(`{"error":"node sms-7.gw.internal:9443 over quota for account GW-ACCOUNT-SECRET","to":"+351912000222"}`)
	ch, err := sms.New(strings.Replace(gw.URL, "http://", "http://gwuser:GW-PASSWORD@", 1)+"/v2/send?api_key=GW-API-KEY-1",
		"tok_test", sms.Opts{Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	jobs, err := river.NewClient(riverpgxv5.New(b.pool), &river.Config{
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers: workers, FetchCooldown: 50 * time.Millisecond, FetchPollInterval: 100 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TestOnly: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := booking.NewService(b.pool, b.resolver.Catalog, payment.NewRegistry(sandbox.New()), jobs, booking.Opts{})
	notices := notify.NewService(b.pool, notify.NewRegistry(ch), svc, notify.Opts{Channels: []string{sms.Name}, Jobs: jobs,
		MaxAttempts: 2, Backoff: func(int) time.Duration { return 100 * time.Millisecond }})
	svc.SetNotifier(notices)
	booking.AddWorkers(workers, svc)
	notify.AddWorkers(workers, notices)
	b.resolver.Reservations = svc
	ctx, cancel := context.WithCancel(context.Background())
	if err := jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = jobs.Stop(stop)
		cancel()
	})

	hotel, plan, _ := b.stayFixture(t, "Europe/Lisbon", 1)
	tok := token(t, auth.RoleGuest)
	vars := holdVars(hotel, plan, "hold-1", booking.Date(time.Now()).AddDate(0, 0, 30), 2)
	vars["input"].(map[string]any)["contact"] = map[string]any{"email": "ana@example.com", "phone": "+351912000222"}
	held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, tok, holdMutation, vars)).HoldBooking.Booking
	if held == nil {
		t.Fatal("no hold")
	}
	type notification struct{ Kind, Channel, Status, LastError string }
	var list []notification
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		list = decode[struct {
			Booking struct{ Notifications []notification }
		}](t, b.do(t, tok, `query($id: ID!) { booking(id: $id) { notifications { kind channel status lastError } } }`,
			map[string]any{"id": held.ID})).Booking.Notifications
		if len(list) == 1 && list[0].Status == "DEAD" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifications %+v, want one DEAD", list)
		}
	}
	if got := list[0].LastError; !strings.Contains(got, "sms gateway answered 503 Service Unavailable") {
		t.Errorf("last error %q, want the gateway's status", got)
	}
	for _, s := range []string{"GW-API-KEY-1", "api_key", "gwuser", "GW-PASSWORD", "/v2/send", "127.0.0.1", strings.TrimPrefix(gw.URL, "http://"),
		"sms-7.gw.internal", "GW-ACCOUNT-SECRET", "quota", "912000222"} {
		if strings.Contains(list[0].LastError, s) {
			t.Errorf("the guest reads %q in %q", s, list[0].LastError)
		}
	}
}
