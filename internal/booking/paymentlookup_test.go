package booking_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

// dark is a payment provider that takes a charge but whose answer is lost
// on the way back, and that cannot say what became of it while down.
type dark struct {
	*sandbox.Provider
	down atomic.Bool
}

func (*dark) Name() string { return "dark" }

func (p *dark) Charge(ctx context.Context, req payment.ChargeRequest) (payment.ChargeResult, error) {
	_, _ = p.Provider.Charge(ctx, req)
	return payment.ChargeResult{Status: payment.Unknown}, errors.New("dark: the answer was lost")
}

func (p *dark) Lookup(ctx context.Context, key string) (payment.ChargeResult, error) {
	if p.down.Load() {
		return payment.ChargeResult{}, errors.New("dark: 503 service unavailable")
	}
	return p.Provider.Lookup(ctx, key)
}

// reconcileJobs is the state and attempts of a payment's reconciliation
// jobs, oldest first.
func (b testBundle) reconcileJobs(t *testing.T, paymentID uuid.UUID) string {
	t.Helper()
	var s string
	must(t, b.pool.QueryRow(context.Background(), `
		SELECT coalesce(string_agg(format('%s after %s attempts', state, attempt), '; ' ORDER BY id), 'none')
		FROM river_job WHERE kind = $1 AND args->>'payment_id' = $2`, booking.ReconcilePaymentArgs{}.Kind(), paymentID.String()).Scan(&s))
	return s
}

// The provider took the money, its answer was lost, and it could not say
// what became of the charge for as long as River asked: the payment stays
// UNKNOWN and the booking pinned, its hold unable to lapse and its room
// taken. Once the provider is back, the hotel's staff ask again: a new
// reconciliation records the capture and confirms the booking. While a
// reconciliation is live, asking again is CONFLICT; once the outcome is in,
// INVALID_STATE. Only the hotel's staff and admins may ask.
func TestAPaymentWhoseReconciliationGaveUpIsAskedAgain(t *testing.T) {
	t.Parallel()
	b := setupWithJobs(t, 15*time.Minute, retryQuickly, func(c *river.Config) { c.MaxAttempts = 2 })
	p := &dark{Provider: sandbox.New()}
	p.down.Store(true)
	b.payments.Register(p)
	f := b.fixture(t, fixtureOpts{})
	other := b.fixture(t, fixtureOpts{zone: "Europe/Rome"})
	ctx := guest("unanswered")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	if _, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID,
		Payment: &booking.PaymentInput{Provider: "dark", Token: "tok_success"}}); code(err) != booking.PaymentPending {
		t.Fatalf("a charge whose answer was lost: %v, want PAYMENT_PENDING", err)
	}
	id := b.unknownPayment(t, h.ID)
	staff := staffOf(f.hotel.ID)

	// The reconciliation the unknown outcome enqueued asks twice and gives
	// up; the one enqueued with the attempt is due once the charge's time
	// is up, and asks by itself meanwhile.
	eventually(t, "the first reconciliation giving up", func() bool { return strings.Contains(b.reconcileJobs(t, id), "discarded") })
	if _, _, err := b.svc.RetryPaymentLookup(staff, id); code(err) != apperr.Conflict || !strings.Contains(err.Error(), "asks the provider by itself, next at") {
		t.Fatalf("asking again while a reconciliation is due: %v, want CONFLICT saying when it asks", err)
	}
	// River gives that one up too once its attempts are spent (weeks in
	// production).
	_, err = b.pool.Exec(t.Context(), `UPDATE river_job SET state = 'discarded', finalized_at = now()
		WHERE kind = $1 AND args->>'payment_id' = $2 AND state = 'scheduled'`, booking.ReconcilePaymentArgs{}.Kind(), id.String())
	must(t, err)
	if got := b.reconcileJobs(t, id); got != "discarded after 0 attempts; discarded after 2 attempts" {
		t.Fatalf("reconciliation jobs: %s, want both given up", got)
	}
	pinned, err := b.svc.Booking(ctx, h.ID)
	must(t, err)
	if pinned.Status != booking.StatusHeld || !pinned.PaymentInFlight {
		t.Fatalf("after reconciliation gave up: %s, pinned %v; want HELD and pinned", pinned.Status, pinned.PaymentInFlight)
	}
	if got := b.gauge(t, "staygraph_payments"); got != `{status="PENDING"} 0 {status="UNKNOWN"} 1` {
		t.Fatalf("payments gauge after reconciliation gave up: %s", got)
	}

	for _, c := range []struct {
		who  string
		ctx  context.Context
		id   uuid.UUID
		code apperr.Code
	}{
		{"another hotel's staff", staffOf(other.hotel.ID), id, apperr.NotFound},
		{"the booking's guest", ctx, id, apperr.Forbidden},
		{"staff, for a payment that does not exist", staff, uuid.New(), apperr.NotFound},
	} {
		if _, _, err := b.svc.RetryPaymentLookup(c.ctx, c.id); code(err) != c.code {
			t.Errorf("%s asking again: %v, want %s", c.who, err, c.code)
		}
	}
	if got := b.texts(t, "SELECT state::text FROM river_job WHERE kind = $1 AND args->>'payment_id' = $2 AND state <> 'discarded'",
		booking.ReconcilePaymentArgs{}.Kind(), id.String()); len(got) != 0 {
		t.Fatalf("refused requests enqueued reconciliations: %v", got)
	}

	p.down.Store(false)
	asked, loaded, err := b.svc.RetryPaymentLookup(staff, id)
	must(t, err)
	if asked.ID != id || asked.Status != "UNKNOWN" || loaded.ID != h.ID {
		t.Fatalf("asking again returned payment %s (%s) of booking %s", asked.ID, asked.Status, loaded.ID)
	}
	eventually(t, "the booking's confirmation", func() bool {
		got, err := b.svc.Booking(ctx, h.ID)
		return err == nil && got.Status == booking.StatusConfirmed
	})
	if got := fmt.Sprint(b.paymentStatuses(t, h.ID)); got != "[CAPTURED:10000/10000]" {
		t.Errorf("payments %s, want the charge recorded once", got)
	}
	if got, err := b.svc.Booking(ctx, h.ID); err != nil || got.PaymentInFlight {
		t.Errorf("the confirmed booking is still pinned (%v)", err)
	}
	if got := b.gauge(t, "staygraph_payments"); got != `{status="PENDING"} 0 {status="UNKNOWN"} 0` {
		t.Errorf("payments gauge once the outcome is in: %s", got)
	}
	if _, _, err := b.svc.RetryPaymentLookup(b.admin, id); code(err) != booking.InvalidState {
		t.Errorf("asking again about a captured payment: %v, want INVALID_STATE", err)
	}
}

// The provider answers that it took a charge only once the stay's first
// night is over (it was down for days, or staff asked again weeks later):
// a hold cannot be confirmed then, as it could not be by the guest. It
// expires at once instead: its rooms go back on sale and the money taken
// is refunded. The same answer while the night is not over confirms.
func TestAChargeReconciledAfterTheFirstNightExpiresTheHold(t *testing.T) {
	t.Parallel()
	start := time.Now()
	b := setup(t, time.Time{})
	providers := payment.NewRegistry(&dark{Provider: sandbox.New()})
	at := func(d time.Duration) *booking.Service {
		return booking.NewService(b.pool, b.catalog, providers, nil, booking.Opts{Now: func() time.Time { return start.Add(d) }})
	}
	f := b.fixture(t, fixtureOpts{rooms: 2, zone: "America/New_York"})
	checkIn := booking.Date(start).AddDate(0, 0, 2)
	ctx := guest("late-answer")
	unanswered := func(key string) (booking.Booking, uuid.UUID) {
		h, err := at(0).Hold(ctx, holdInput(f, key, checkIn, checkIn.AddDate(0, 0, 1), 1))
		must(t, err)
		if _, err := at(0).Confirm(ctx, booking.ConfirmInput{IdempotencyKey: key + "-confirm", BookingID: h.ID,
			Payment: &booking.PaymentInput{Provider: "dark", Token: "tok_success"}}); code(err) != booking.PaymentPending {
			t.Fatalf("a charge whose answer was lost: %v, want PAYMENT_PENDING", err)
		}
		return h, b.unknownPayment(t, h.ID)
	}
	onTime, onTimePayment := unanswered("on-time")
	late, latePayment := unanswered("late")

	must(t, at(24*time.Hour).ReconcilePayment(ctx, onTimePayment))
	must(t, at(4*24*time.Hour).ReconcilePayment(ctx, latePayment))

	for _, c := range []struct {
		name string
		id   uuid.UUID
		want booking.Status
	}{{"answered the day before check-in", onTime.ID, booking.StatusConfirmed}, {"answered after the first night", late.ID, booking.StatusExpired}} {
		got, err := b.svc.Booking(ctx, c.id)
		must(t, err)
		if got.Status != c.want || got.PaymentInFlight {
			t.Errorf("a hold whose charge was %s: %s (pinned %v), want %s", c.name, got.Status, got.PaymentInFlight, c.want)
		}
	}
	if r := b.refundOf(t, late.ID); r.Amount != 10000 || r.Reason != "hold expired" {
		t.Errorf("the expired hold's refund: %d (%q), want its 10000 back", r.Amount, r.Reason)
	}
	if got := fmt.Sprint(b.reserved(t, f.roomType.ID, checkIn, checkIn.AddDate(0, 0, 1))); got != "[1]" {
		t.Errorf("units reserved on the night: %s, want the confirmed booking's alone", got)
	}
	b.assertInventoryConsistent(t)
}

// Reconciliation settles a booking on the one connection of its
// transaction: with a pool of one connection it does not wait for a second
// (the hotel's time zone is read in the transaction too).
func TestReconciliationSettlesOnOneConnection(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	cfg := b.pool.Config().Copy()
	cfg.MaxConns = 1
	small, err := pgxpool.NewWithConfig(context.Background(), cfg)
	must(t, err)
	defer small.Close()
	svc := booking.NewService(small, catalog.NewService(small), payment.NewRegistry(&dark{Provider: sandbox.New()}), nil, booking.Opts{})
	f := b.fixture(t, fixtureOpts{})
	ctx := guest("one-connection")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 7)
	h, err := svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	if _, err := svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID,
		Payment: &booking.PaymentInput{Provider: "dark", Token: "tok_success"}}); code(err) != booking.PaymentPending {
		t.Fatalf("a charge whose answer was lost: %v, want PAYMENT_PENDING", err)
	}
	bounded, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := svc.ReconcilePayment(bounded, b.unknownPayment(t, h.ID)); err != nil {
		t.Fatalf("reconciling on a pool of one connection: %v", err)
	}
	if got, err := b.svc.Booking(ctx, h.ID); err != nil || got.Status != booking.StatusConfirmed {
		t.Fatalf("the booking after reconciliation: %s %v, want CONFIRMED", got.Status, err)
	}
}
