package booking_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

func pay(token string) *booking.PaymentInput {
	return &booking.PaymentInput{Provider: "sandbox", Token: token}
}

func (b testBundle) paymentStatuses(t *testing.T, id uuid.UUID) []string {
	t.Helper()
	return b.texts(t, "SELECT status || ':' || captured_amount || '/' || amount FROM payments WHERE booking_id = $1 ORDER BY created_at, id", id)
}

// texts runs a query of one text column and returns its rows.
func (b testBundle) texts(t *testing.T, sql string, args ...any) []string {
	t.Helper()
	rows, err := b.pool.Query(context.Background(), sql, args...)
	must(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	return out
}

// Every sandbox outcome through confirmBooking: the booking ends where a
// guest would expect, and the payments say what happened.
func TestConfirmOutcomes(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{rooms: 9, price: 10000}) // one night: 100.00, deposit FULL
	ctx := guest("payer")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 14)
	hold := func(key string) booking.Booking {
		h, err := b.svc.Hold(ctx, holdInput(f, key, checkIn, checkIn.AddDate(0, 0, 1), 1))
		must(t, err)
		return h
	}
	cases := []struct {
		token    string
		code     string
		status   booking.Status
		payments []string
	}{
		{"tok_success", "", booking.StatusConfirmed, []string{"CAPTURED:10000/10000"}},
		{"tok_decline", "PAYMENT_DECLINED", booking.StatusHeld, []string{"FAILED:0/10000"}},
		{"tok_insufficient_funds", "PAYMENT_DECLINED", booking.StatusHeld, []string{"FAILED:0/10000"}},
		{"tok_giftcard_4000", "PAYMENT_PARTIAL", booking.StatusHeld, []string{"CAPTURED:4000/10000"}},
		{"tok_timeout_then_success", "PAYMENT_PENDING", booking.StatusHeld, []string{"UNKNOWN:0/10000"}},
		{"tok_timeout_then_failure", "PAYMENT_PENDING", booking.StatusHeld, []string{"UNKNOWN:0/10000"}},
		{" ", "INVALID_INPUT", booking.StatusHeld, nil}, // no token: nothing asked of the provider
	}
	for i, c := range cases {
		h := hold(fmt.Sprint("h", i))
		_, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: fmt.Sprint("c", i), BookingID: h.ID, Payment: pay(c.token)})
		if string(code(err)) != c.code {
			t.Errorf("%s: got %v, want %s", c.token, err, c.code)
		}
		after, err := b.svc.Booking(ctx, h.ID)
		must(t, err)
		if after.Status != c.status || fmt.Sprint(b.paymentStatuses(t, h.ID)) != fmt.Sprint(c.payments) {
			t.Errorf("%s: booking %s payments %v, want %s %v", c.token, after.Status, b.paymentStatuses(t, h.ID), c.status, c.payments)
		}
		// An unknown outcome pins the hold: it does not expire meanwhile.
		// What the guest reads of it does not carry the provider's error
		// (its hosts and request ids).
		if c.code == "PAYMENT_PENDING" {
			if got := b.texts(t, "SELECT failure_message FROM payments WHERE booking_id = $1", h.ID); len(got) != 1 ||
				strings.Contains(got[0], sandbox.ErrTimeout.Error()) || !strings.Contains(got[0], "reconciled") {
				t.Errorf("%s: failure message %q, want the reconciliation notice without the provider's error", c.token, got)
			}
			later := booking.NewService(b.pool, b.catalog, nil, nil, booking.Opts{Now: func() time.Time { return time.Now().Add(time.Hour) }})
			wait, err := later.ExpireHold(ctx, h.ID)
			must(t, err)
			if still, _ := b.svc.Booking(ctx, h.ID); wait == 0 || still.Status != booking.StatusHeld {
				t.Errorf("%s: a hold with a payment in flight expired (wait %v, %s)", c.token, wait, still.Status)
			}
		}
	}
}

// A gift card pays part; a card pays the rest; the booking is confirmed once
// what is due is covered, by several payments of several methods.
func TestPartialPaymentsAddUp(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{price: 10000, deposit: catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30}})
	ctx := guest("payer")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 2), 1)) // 200.00, 60.00 due now
	must(t, err)
	if _, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c1", BookingID: h.ID, Payment: pay("tok_giftcard_2500")}); code(err) != booking.PaymentPartial {
		t.Fatalf("gift card: %v", err)
	}
	confirmed, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c2", BookingID: h.ID, Payment: pay("tok_visa")})
	must(t, err)
	if confirmed.Status != booking.StatusConfirmed {
		t.Fatalf("after covering the deposit: %s", confirmed.Status)
	}
	if got := fmt.Sprint(b.paymentStatuses(t, h.ID)); got != "[CAPTURED:2500/6000 CAPTURED:3500/3500]" {
		t.Fatalf("payments %s", got)
	}
	if _, err := b.svc.PayBalance(ctx, booking.PayBalanceInput{IdempotencyKey: "b1", BookingID: h.ID, Payment: pay("tok_decline")}); code(err) != booking.PaymentDeclined {
		t.Fatalf("declined balance: %v", err)
	}
	paid, err := b.svc.PayBalance(ctx, booking.PayBalanceInput{IdempotencyKey: "b2", BookingID: h.ID, Payment: pay("tok_success")})
	must(t, err)
	if paid.ContactEmail != h.ContactEmail || paid.ContactEmail == "" {
		t.Fatalf("the paid booking's contact %q, want %q as held", paid.ContactEmail, h.ContactEmail)
	}
	// The same key again answers the same and charges nothing.
	if _, err := b.svc.PayBalance(ctx, booking.PayBalanceInput{IdempotencyKey: "b2", BookingID: h.ID, Payment: pay("tok_success")}); err != nil {
		t.Fatal(err)
	}
	l, err := ledgerOf(ctx, b.svc, h.ID)
	must(t, err)
	if l.Captured != 20000 || l.Kept != 20000 {
		t.Fatalf("ledger %+v, want 200.00 captured", l)
	}
	if _, err := b.svc.PayBalance(ctx, booking.PayBalanceInput{IdempotencyKey: "b3", BookingID: h.ID, Payment: pay("tok_success")}); code(err) != booking.InvalidState {
		t.Fatalf("nothing left to pay: %v", err)
	}
}

// A mixed run of payments, partial payments, cancellations, expiries and
// refunds: every booking's money reconciles, captured − refunded = kept,
// and kept is exactly the penalty of cancelled bookings.
func TestLedgerReconcilesAfterAMixedRun(t *testing.T) {
	t.Parallel()
	now := time.Now()
	b := setup(t, time.Time{})
	flexible := catalog.CancellationPolicy{Refundable: true, Penalties: []catalog.PenaltyWindow{{HoursBeforeCheckIn: 24 * 365, Percent: 20}}}
	f := b.fixture(t, fixtureOpts{rooms: 9, price: 10000, policy: flexible})
	ctx := guest("mixed")
	checkIn := booking.Date(now).AddDate(0, 0, 10)
	var ids []uuid.UUID
	for i, tokens := range [][]string{
		{"tok_success"},                      // confirmed, kept
		{"tok_giftcard_3000", "tok_success"}, // two payments, then cancelled
		{"tok_giftcard_3000"},                // partial, then the hold expires: refunded
		{"tok_decline", "tok_visa"},          // declined, then paid, then cancelled
		{"tok_refund_fails"},                 // paid, cancelled, the refund is refused
		{"tok_timeout_then_success"},         // unknown, reconciled as captured
	} {
		h, err := b.svc.Hold(ctx, holdInput(f, fmt.Sprint("h", i), checkIn, checkIn.AddDate(0, 0, 1), 1))
		must(t, err)
		for j, tok := range tokens {
			_, _ = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: fmt.Sprint("c", i, "-", j), BookingID: h.ID, Payment: pay(tok)})
		}
		ids = append(ids, h.ID)
	}
	// The unknown payment is reconciled: the provider answers later.
	var unknown uuid.UUID
	must(t, b.pool.QueryRow(ctx, "SELECT id FROM payments WHERE status = 'UNKNOWN'").Scan(&unknown))
	must(t, b.svc.ReconcilePayment(ctx, unknown))
	if r, _ := b.svc.Booking(ctx, ids[5]); r.Status != booking.StatusConfirmed {
		t.Fatalf("reconciled payment did not confirm: %s", r.Status)
	}
	for _, i := range []int{1, 3, 4} {
		_, _, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: fmt.Sprint("x", i), BookingID: ids[i]})
		must(t, err)
	}
	later := booking.NewService(b.pool, b.catalog, nil, nil, booking.Opts{Now: func() time.Time { return now.Add(time.Hour) }})
	_, err := later.ExpireHold(ctx, ids[2])
	must(t, err)
	// Pay every pending refund, as the refund job does.
	rows, err := b.pool.Query(ctx, "SELECT id FROM refunds WHERE status = 'PENDING'")
	must(t, err)
	var refunds []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		must(t, rows.Scan(&id))
		refunds = append(refunds, id)
	}
	rows.Close()
	if len(refunds) != 4 {
		t.Fatalf("%d refunds pending, want 4 (3 cancellations, 1 expiry)", len(refunds))
	}
	for _, id := range refunds {
		must(t, b.svc.PayRefund(ctx, id))
		must(t, b.svc.PayRefund(ctx, id)) // twice: pays once
	}
	want := map[int][3]int64{ // captured, refunded, kept
		0: {10000, 0, 10000},
		1: {10000, 8000, 2000}, // 20% penalty kept
		2: {3000, 3000, 0},     // expired: everything back
		3: {10000, 8000, 2000},
		4: {10000, 0, 10000}, // the provider refused: still owed, refund FAILED
		5: {10000, 0, 10000},
	}
	for i, id := range ids {
		l, err := ledgerOf(ctx, b.svc, id)
		must(t, err)
		if got := [3]int64{l.Captured, l.Refunded, l.Kept}; got != want[i] || l.Captured-l.Refunded != l.Kept {
			t.Errorf("booking %d ledger %v, want %v", i, got, want[i])
		}
	}
	var failed int
	must(t, b.pool.QueryRow(ctx, "SELECT count(*) FROM refunds WHERE status = 'FAILED' AND failure_message <> ''").Scan(&failed))
	if failed != 1 {
		t.Fatalf("%d failed refunds visible, want 1", failed)
	}
	// Refunded payments say so.
	if got := fmt.Sprint(b.paymentStatuses(t, ids[2])); got != "[REFUNDED:3000/10000]" {
		t.Fatalf("expired hold's payment %s", got)
	}
}

// The provider answers only later: the reconciliation job, run by River,
// confirms the booking once it does.
func TestReconciliationJobConfirmsLater(t *testing.T) {
	t.Parallel()
	b := setupWithJobs(t, 15*time.Minute)
	f := b.fixture(t, fixtureOpts{})
	ctx := guest("late")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 7)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	if _, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_timeout_then_success")}); code(err) != booking.PaymentPending {
		t.Fatalf("timeout: %v", err)
	}
	deadline := time.Now().Add(expiryWait)
	for time.Now().Before(deadline) {
		if got, _ := b.svc.Booking(ctx, h.ID); got.Status == booking.StatusConfirmed {
			if s := fmt.Sprint(b.paymentStatuses(t, h.ID)); s != "[CAPTURED:10000/10000]" {
				t.Fatalf("payments %s", s)
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("not confirmed after %v; payments %v", expiryWait, b.paymentStatuses(t, h.ID))
}

// crashing is a provider whose process dies right after the charge: the
// money is taken and nothing of the answer is recorded.
type crashing struct{ *sandbox.Provider }

func (crashing) Name() string { return "crashing" }

func (c crashing) Charge(ctx context.Context, req payment.ChargeRequest) (payment.ChargeResult, error) {
	_, _ = c.Provider.Charge(ctx, req)
	panic("the process stops here")
}

// stopMidCharge holds a stay for guest "stopped" and confirms it through a
// provider whose process stops while charging: the hold, the service
// (whose jobs go to the bundle's River client) and the bundle.
func stopMidCharge(t *testing.T) (jobsBundle, *booking.Service, booking.Booking) {
	t.Helper()
	b := setupWithJobs(t, 15*time.Minute)
	f := b.fixture(t, fixtureOpts{})
	svc := booking.NewService(b.pool, b.catalog, payment.NewRegistry(crashing{sandbox.New()}), b.jobs, booking.Opts{})
	ctx := guest("stopped")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 7)
	h, err := svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the charge did not stop the request")
			}
		}()
		_, _ = svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID,
			Payment: &booking.PaymentInput{Provider: "crashing", Token: "tok_success"}})
	}()
	return b, svc, h
}

// A process that stops while the provider is asked leaves a PENDING attempt
// and a pinned booking; the reconciliation enqueued with the attempt settles
// both once the charge's time is up, instead of the hold staying pinned.
func TestAStopMidChargeIsReconciled(t *testing.T) {
	t.Parallel()
	b, svc, h := stopMidCharge(t)
	ctx := guest("stopped")
	if s := fmt.Sprint(b.paymentStatuses(t, h.ID)); s != "[PENDING:0/10000]" {
		t.Fatalf("payments after the stop %s", s)
	}
	if got, err := svc.Booking(ctx, h.ID); err != nil || !got.PaymentInFlight {
		t.Fatalf("the booking must be pinned meanwhile: %+v %v", got, err)
	}
	var paymentID uuid.UUID
	var due time.Time
	must(t, b.pool.QueryRow(context.Background(), `
		SELECT (args->>'payment_id')::uuid, scheduled_at FROM river_job
		WHERE kind = $1 AND args->>'payment_id' = (SELECT id::text FROM payments WHERE booking_id = $2)`,
		booking.ReconcilePaymentArgs{}.Kind(), h.ID).Scan(&paymentID, &due))
	if wait := time.Until(due); wait < 30*time.Second || wait > 2*time.Minute {
		t.Fatalf("reconciliation due in %v, want after the charge's 30 s", wait)
	}
	// What the job runs when it is due: the provider has the charge.
	must(t, svc.ReconcilePayment(context.Background(), paymentID))
	got, err := svc.Booking(ctx, h.ID)
	must(t, err)
	if got.Status != booking.StatusConfirmed || got.PaymentInFlight {
		t.Fatalf("after reconciliation: %s, in flight %v", got.Status, got.PaymentInFlight)
	}
	if s := fmt.Sprint(b.paymentStatuses(t, h.ID)); s != "[CAPTURED:10000/10000]" {
		t.Fatalf("payments %s", s)
	}
}

// A confirmation answered PAYMENT_PENDING and retried after reconciliation
// confirmed the booking gets the confirmed booking, as any retry gets the
// first request's result; another request is told a payment is under way
// before, and that the booking is confirmed after.
func TestConfirmRetriedAfterReconciliation(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{})
	ctx := guest("patient")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 7)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	in := booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_timeout_then_success")}
	if _, err := b.svc.Confirm(ctx, in); code(err) != booking.PaymentPending {
		t.Fatalf("first answer: %v, want PAYMENT_PENDING", err)
	}
	// Another request while the outcome is unknown is told a payment is
	// under way (the booking is still held), not that the booking changed.
	other := booking.ConfirmInput{IdempotencyKey: "meanwhile", BookingID: h.ID, Payment: pay("tok_success")}
	if _, err := b.svc.Confirm(ctx, other); code(err) != booking.PaymentPending {
		t.Fatalf("another request while the payment is pending: %v, want PAYMENT_PENDING", err)
	}
	must(t, b.svc.ReconcilePayment(context.Background(), b.unknownPayment(t, h.ID)))
	again, err := b.svc.Confirm(ctx, in)
	if err != nil || again.Status != booking.StatusConfirmed || again.ContactEmail == "" {
		t.Fatalf("the retry: %+v %v, want the confirmed booking", again, err)
	}
	if s := fmt.Sprint(b.paymentStatuses(t, h.ID)); s != "[CAPTURED:10000/10000]" {
		t.Fatalf("payments %s, want the one capture", s)
	}
	in.IdempotencyKey = "another"
	if _, err := b.svc.Confirm(ctx, in); code(err) != booking.InvalidState {
		t.Fatalf("another request: %v, want INVALID_STATE", err)
	}
}

// Maintenance takes a hold's rooms while its payment's outcome is unknown:
// the hold cannot be released while the money may be moving, so
// reconciliation records the capture, does not confirm the hold, and
// releases it then, giving the money back as its expiry would.
func TestReconciledHoldTakenByMaintenanceIsNotConfirmed(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 1, price: 10000})
	ctx := guest("unlucky")
	h, err := b.svc.Hold(ctx, holdInput(f, "h", day("2027-03-10"), day("2027-03-11"), 1))
	must(t, err)
	if _, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_timeout_then_success")}); code(err) != booking.PaymentPending {
		t.Fatalf("confirm: %v, want PAYMENT_PENDING", err)
	}
	_, affected, err := b.svc.BlockRooms(staffOf(f.hotel.ID), b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID},
		From: day("2027-03-10"), To: day("2027-03-11"), Reason: "leak", Force: true})
	must(t, err)
	if len(affected) != 1 || affected[0].Status != booking.StatusHeld {
		t.Fatalf("affected %+v, want the hold, still HELD while its payment is in flight", affected)
	}
	if got, err := b.svc.Booking(ctx, h.ID); err != nil || got.Status != booking.StatusHeld || !got.PaymentInFlight || !got.RelocationRequired {
		t.Fatalf("while the payment is unknown: %+v %v; want HELD, pinned, flagged", got, err)
	}
	must(t, b.svc.ReconcilePayment(context.Background(), b.unknownPayment(t, h.ID)))
	got, err := b.svc.Booking(ctx, h.ID)
	must(t, err)
	if got.Status != booking.StatusExpired || got.PaymentInFlight || !got.RelocationRequired || got.RefundDue != 10000 {
		t.Fatalf("after reconciliation: %s, in flight %v, relocation %v, refund due %d; want EXPIRED, unpinned, flagged, owing the 10000 back",
			got.Status, got.PaymentInFlight, got.RelocationRequired, got.RefundDue)
	}
	var refunded int64
	must(t, b.pool.QueryRow(context.Background(), "SELECT coalesce(sum(amount), 0) FROM refunds WHERE booking_id = $1", h.ID).Scan(&refunded))
	if refunded != 10000 {
		t.Fatalf("refunded %d on release, want the 10000 captured", refunded)
	}
	// The hold's own expiry, when its time comes, finds nothing more to do.
	if _, err := setupClock(b, now.Add(time.Hour)).ExpireHold(context.Background(), h.ID); err != nil {
		t.Fatal(err)
	}
	if n := b.count(t, "SELECT count(*) FROM refunds WHERE booking_id = $1", h.ID); n != 1 {
		t.Fatalf("%d refunds after the expiry job, want the one", n)
	}
	b.assertInventoryConsistent(t)
}

// A process that stopped after recording a capture but before confirming
// left the hold pinned: the reconciliation enqueued with the attempt
// confirms it.
func TestReconciliationSettlesAPinLeftAfterTheOutcome(t *testing.T) {
	t.Parallel()
	b, svc, h := stopMidCharge(t)
	ctx := guest("stopped")
	// As if the outcome had been recorded just before the process stopped.
	var paymentID uuid.UUID
	must(t, b.pool.QueryRow(context.Background(), `UPDATE payments SET status = 'CAPTURED', captured_amount = amount
		WHERE booking_id = $1 RETURNING id`, h.ID).Scan(&paymentID))
	must(t, svc.ReconcilePayment(context.Background(), paymentID))
	got, err := svc.Booking(ctx, h.ID)
	must(t, err)
	if got.Status != booking.StatusConfirmed || got.PaymentInFlight {
		t.Fatalf("after reconciliation: %s, in flight %v; want CONFIRMED", got.Status, got.PaymentInFlight)
	}
}

// stalling is a payment provider in an outage for refunds: while down, a
// refund fails at once; otherwise each refund tells asked its idempotency
// key and waits until release is closed (or its call's time is up).
type stalling struct {
	*sandbox.Provider
	down    atomic.Bool
	asked   chan string
	release chan struct{}
}

func (*stalling) Name() string { return "stalling" }

func (p *stalling) Refund(ctx context.Context, req payment.RefundRequest) (payment.RefundResult, error) {
	if p.down.Load() {
		return payment.RefundResult{}, errors.New("outage: 503 service unavailable")
	}
	p.asked <- req.IdempotencyKey
	select {
	case <-p.release:
	case <-ctx.Done():
		return payment.RefundResult{}, ctx.Err()
	}
	return p.Provider.Refund(ctx, req)
}

// Refunds waiting on a provider that does not answer hold no database
// connection and no lock: with more of them than the pool has connections,
// every one reaches the provider and bookings go on meanwhile.
func TestAStalledRefundProviderHoldsNoConnection(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{rooms: 9, policy: catalog.CancellationPolicy{Refundable: true}}) // free cancellation
	cfg := b.pool.Config().Copy()
	cfg.MaxConns = 2
	small, err := pgxpool.NewWithConfig(context.Background(), cfg)
	must(t, err)
	defer small.Close()
	const refunds = 3 // more than the pool's connections
	p := &stalling{Provider: sandbox.New(), asked: make(chan string, refunds), release: make(chan struct{})}
	release := sync.OnceFunc(func() { close(p.release) })
	defer release() // before the pool closes, should the test fail midway
	svc := booking.NewService(small, catalog.NewService(small), payment.NewRegistry(p), nil, booking.Opts{})
	ctx := guest("refunded")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	owed := map[uuid.UUID]int64{} // booking -> refund amount
	var ids []uuid.UUID
	for i := range refunds {
		h, err := svc.Hold(ctx, holdInput(f, fmt.Sprint("h", i), checkIn, checkIn.AddDate(0, 0, 1), 1))
		must(t, err)
		_, err = svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: fmt.Sprint("c", i), BookingID: h.ID,
			Payment: &booking.PaymentInput{Provider: "stalling", Token: "tok_success"}})
		must(t, err)
		_, refund, err := svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: fmt.Sprint("x", i), BookingID: h.ID})
		must(t, err)
		if refund == nil || refund.Amount <= 0 {
			t.Fatalf("cancellation %d refunds nothing", i)
		}
		owed[h.ID] = refund.Amount
		ids = append(ids, refund.ID)
	}

	done := make(chan error, refunds)
	for _, id := range ids {
		go func() { done <- svc.PayRefund(ctx, id) }()
	}
	for i := range refunds {
		select {
		case <-p.asked:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d refunds reached the provider; the others wait for a connection", i, refunds)
		}
	}
	holdCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := svc.Hold(holdCtx, holdInput(f, "meanwhile", checkIn, checkIn.AddDate(0, 0, 1), 1)); err != nil {
		t.Fatalf("a hold while refunds wait on the provider: %v", err)
	}
	var open int
	must(t, b.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&open))
	if open != 0 {
		t.Fatalf("%d transactions left open while the provider is asked", open)
	}

	release()
	for range refunds {
		must(t, <-done)
	}
	for id, amount := range owed {
		l, err := ledgerOf(ctx, svc, id)
		must(t, err)
		if l.Refunded != amount {
			t.Errorf("booking %s: %d refunded, want %d", id, l.Refunded, amount)
		}
	}
	var settled int
	must(t, b.pool.QueryRow(ctx, "SELECT count(*) FROM refunds WHERE status = 'SUCCEEDED'").Scan(&settled))
	if settled != refunds {
		t.Fatalf("%d refunds succeeded, want %d", settled, refunds)
	}
}

// forgetful refunds at the provider, then loses the answer of the first
// call (a timeout after the money moved).
type forgetful struct {
	*sandbox.Provider
	keys *[]string // the idempotency key of each call
}

func (forgetful) Name() string { return "forgetful" }

func (p forgetful) Refund(ctx context.Context, req payment.RefundRequest) (payment.RefundResult, error) {
	res, err := p.Provider.Refund(ctx, req)
	if *p.keys = append(*p.keys, req.IdempotencyKey); len(*p.keys) == 1 {
		return payment.RefundResult{}, context.DeadlineExceeded
	}
	return res, err
}

// A refund whose outcome is unknown is not guessed: it stays pending, and
// the retry, with the same idempotency key, records it once.
func TestARefundWithAnUnknownOutcomeIsRecordedOnceOnRetry(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{policy: catalog.CancellationPolicy{Refundable: true}})
	var keys []string
	svc := booking.NewService(b.pool, b.catalog, payment.NewRegistry(forgetful{Provider: sandbox.New(), keys: &keys}), nil, booking.Opts{})
	ctx := guest("unknown")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	h, err := svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	_, err = svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID,
		Payment: &booking.PaymentInput{Provider: "forgetful", Token: "tok_success"}})
	must(t, err)
	_, refund, err := svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)
	state := func() string {
		var s string
		must(t, b.pool.QueryRow(ctx, `SELECT r.status || ' ' || p.status || ' ' || p.refunded_amount || '/' || p.captured_amount
			FROM refunds r JOIN payments p ON p.booking_id = r.booking_id WHERE r.id = $1`, refund.ID).Scan(&s))
		return s
	}
	if err := svc.PayRefund(ctx, refund.ID); err == nil {
		t.Fatal("an unanswered refund call reported success")
	}
	if got := state(); got != "PENDING CAPTURED 0/10000" {
		t.Fatalf("after the unanswered call: %s, want the refund pending and nothing recorded", got)
	}
	must(t, svc.PayRefund(ctx, refund.ID))
	must(t, svc.PayRefund(ctx, refund.ID)) // a duplicate run changes nothing
	if got := state(); got != "SUCCEEDED REFUNDED 10000/10000" {
		t.Fatalf("after the retry: %s", got)
	}
	// The provider pays once because the retry sends the first call's key.
	if len(keys) != 2 || keys[0] != keys[1] {
		t.Fatalf("the provider was asked with keys %q, want the same key twice", keys)
	}
}

// unknownPayment is the id of the booking's payment whose outcome is unknown.
func (b testBundle) unknownPayment(t *testing.T, booking uuid.UUID) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	must(t, b.pool.QueryRow(context.Background(), "SELECT id FROM payments WHERE booking_id = $1 AND status = 'UNKNOWN'", booking).Scan(&id))
	return id
}

// A balance payment answered PAYMENT_PENDING and reconciled since: its
// retry returns the booking, paid, instead of "nothing is left to pay".
func TestAPayBalanceRetriedAfterReconciliationGetsTheBooking(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	ctx := guest("balance")
	h, in := b.reconciledBalance(t, ctx)
	got, err := b.svc.PayBalance(ctx, in)
	if err != nil {
		t.Fatalf("the retry: %v", err)
	}
	if got.PaymentInFlight || got.Status != booking.StatusConfirmed {
		t.Fatalf("the retry returned %s, pinned %v", got.Status, got.PaymentInFlight)
	}
	if s := fmt.Sprint(b.paymentStatuses(t, h.ID)); s != "[CAPTURED:3000/3000 CAPTURED:7000/7000]" {
		t.Fatalf("payments %s", s)
	}
	if again, err := b.svc.PayBalance(ctx, in); err != nil || again.ID != h.ID {
		t.Fatalf("a further retry: %v", err)
	}
}

// reconciledBalance is a confirmed booking of a stay of 100.00 whose
// balance payment (in) was answered PAYMENT_PENDING and reconciled since.
func (b testBundle) reconciledBalance(t *testing.T, ctx context.Context) (booking.Booking, booking.PayBalanceInput) {
	t.Helper()
	f := b.fixture(t, fixtureOpts{price: 10000, deposit: catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30}})
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 14)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_success")})
	must(t, err)
	in := booking.PayBalanceInput{IdempotencyKey: "bal", BookingID: h.ID, Payment: pay("tok_timeout_then_success")}
	if _, err := b.svc.PayBalance(ctx, in); code(err) != booking.PaymentPending {
		t.Fatalf("timeout: %v", err)
	}
	must(t, b.svc.ReconcilePayment(ctx, b.unknownPayment(t, h.ID)))
	return h, in
}

// reconciledDeposit is a hold of a stay of 100.00 whose deposit of 30 %
// was paid under key and confirmed by reconciliation (the confirmation
// answered PAYMENT_PENDING).
func (b testBundle) reconciledDeposit(t *testing.T, ctx context.Context, key string) booking.Booking {
	t.Helper()
	f := b.fixture(t, fixtureOpts{price: 10000, deposit: catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30}})
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 14)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	if _, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: key, BookingID: h.ID, Payment: pay("tok_timeout_then_success")}); code(err) != booking.PaymentPending {
		t.Fatalf("timeout: %v", err)
	}
	must(t, b.svc.ReconcilePayment(ctx, b.unknownPayment(t, h.ID)))
	return h
}

// The key of a confirmation that reconciliation settled is not taken for
// the balance's payment: the balance is charged, not reported paid.
func TestAConfirmationsKeyDoesNotPayTheBalance(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	ctx := guest("reuse")
	h := b.reconciledDeposit(t, ctx, "K")
	if _, err := b.svc.PayBalance(ctx, booking.PayBalanceInput{IdempotencyKey: "K", BookingID: h.ID, Payment: pay("tok_success")}); err != nil {
		t.Fatalf("pay the balance: %v", err)
	}
	l, err := ledgerOf(ctx, b.svc, h.ID)
	must(t, err)
	if l.Captured != 10000 {
		t.Fatalf("%d captured after the balance was paid, want 10000", l.Captured)
	}
}

// A confirmation answered PAYMENT_PENDING by the release before the
// provider key took the whole request in, and retried after reconciliation
// confirmed it, still gets its booking.
func TestAPendingConfirmationFromTheLastReleaseGetsItsBooking(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{})
	ctx := guest("upgraded")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 14)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	in := booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_timeout_then_success")}
	if _, err := b.svc.Confirm(ctx, in); code(err) != booking.PaymentPending {
		t.Fatalf("timeout: %v", err)
	}
	must(t, b.svc.ReconcilePayment(ctx, b.unknownPayment(t, h.ID)))
	// The key the previous release gave the attempt.
	sum := sha256.Sum256([]byte(h.ID.String() + "\x00" + "GUEST:upgraded" + "\x00" + "c"))
	_, err = b.pool.Exec(ctx, "UPDATE payments SET idempotency_key = $1 WHERE booking_id = $2", "sg_"+hex.EncodeToString(sum[:16]), h.ID)
	must(t, err)
	got, err := b.svc.Confirm(ctx, in)
	if err != nil || got.Status != booking.StatusConfirmed {
		t.Fatalf("the retry: %v %s", err, got.Status)
	}
}

// flaky is a payment provider in trouble when refunding: its first refund
// call fails before any money moves (unavailable), its second moves the
// money and loses the answer (a timeout), and later calls answer.
type flaky struct {
	*sandbox.Provider
	mu    sync.Mutex
	calls []string         // the idempotency key of each refund call
	paid  map[string]int64 // what was paid back, by idempotency key
}

func (*flaky) Name() string { return "flaky" }

func (p *flaky) Refund(ctx context.Context, req payment.RefundRequest) (payment.RefundResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, req.IdempotencyKey)
	if len(p.calls) == 1 {
		return payment.RefundResult{}, errors.New("flaky: 503 service unavailable")
	}
	res, err := p.Provider.Refund(ctx, req)
	if err == nil && res.Succeeded {
		p.paid[req.IdempotencyKey] = req.Amount.Amount // the sandbox pays a key once
	}
	if len(p.calls) == 2 {
		return payment.RefundResult{}, context.DeadlineExceeded
	}
	return res, err
}

// retryQuickly has River retry a failed job 100 ms later instead of after
// its backoff (seconds, then tens of seconds).
func retryQuickly(c *river.Config) { c.RetryPolicy = quickRetry{} }

type quickRetry struct{}

func (quickRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(100 * time.Millisecond)
}

// refundJob is the state, attempts and recorded errors of a refund's jobs, oldest first.
func (b testBundle) refundJob(t *testing.T, refundID uuid.UUID) string {
	t.Helper()
	var s string
	must(t, b.pool.QueryRow(context.Background(), `
		SELECT coalesce(string_agg(format('%s after %s attempts, %s errors', state, attempt, coalesce(cardinality(errors), 0)), '; ' ORDER BY id), 'none')
		FROM river_job WHERE kind = $1 AND args->>'refund_id' = $2`, booking.RefundArgs{}.Kind(), refundID.String()).Scan(&s))
	return s
}

// A cancellation's refund is paid by its job, through River: the provider
// is unavailable, then times out after paying, and River retries the job
// until the provider answers. The money goes back once, all of it, under
// one idempotency key, and the refund, its payment and the ledger say so.
// A refund the provider refuses for good is FAILED at once, for staff to
// settle, and not asked again.
func TestARefundJobRetriedThroughTheQueuePaysOnce(t *testing.T) {
	t.Parallel()
	b := setupWithJobs(t, 15*time.Minute, retryQuickly)
	p := &flaky{Provider: sandbox.New(), paid: map[string]int64{}}
	b.payments.Register(p)
	f := b.fixture(t, fixtureOpts{price: 10000, policy: catalog.CancellationPolicy{Refundable: true}}) // free cancellation
	ctx := guest("refunded")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	cancel := func(key string, in *booking.PaymentInput) (uuid.UUID, *booking.Refund) {
		t.Helper()
		h, err := b.svc.Hold(ctx, holdInput(f, "h"+key, checkIn, checkIn.AddDate(0, 0, 2), 1))
		must(t, err)
		_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c" + key, BookingID: h.ID, Payment: in})
		must(t, err)
		_, refund, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x" + key, BookingID: h.ID})
		must(t, err)
		if refund == nil || refund.Amount != 20000 || refund.Status != "PENDING" {
			t.Fatalf("refund %+v, want 20000 pending", refund)
		}
		return h.ID, refund
	}

	id, refund := cancel("1", &booking.PaymentInput{Provider: "flaky", Token: "tok_success"})
	eventually(t, "the refund job's completion", func() bool {
		return strings.HasPrefix(b.refundJob(t, refund.ID), "completed")
	})
	if got := b.refundJob(t, refund.ID); got != "completed after 3 attempts, 2 errors" {
		t.Fatalf("refund job %s, want completed on the third attempt", got)
	}
	p.mu.Lock()
	calls, paid := slices.Clone(p.calls), maps.Clone(p.paid)
	p.mu.Unlock()
	if len(paid) != 1 || paid[calls[len(calls)-1]] != 20000 {
		t.Fatalf("the provider paid back %v, want 20000 once", paid)
	}
	if len(calls) != 3 || calls[1] != calls[0] || calls[2] != calls[0] {
		t.Fatalf("the provider was asked with keys %q, want one key three times", calls)
	}
	var state string
	must(t, b.pool.QueryRow(ctx, `
		SELECT format('%s %s; parts %s; payment %s %s/%s', r.status, r.amount,
		              (SELECT string_agg(rp.status || ' ' || rp.amount, ', ') FROM refund_parts rp WHERE rp.refund_id = r.id),
		              p.status, p.refunded_amount, p.captured_amount)
		FROM refunds r JOIN payments p ON p.booking_id = r.booking_id WHERE r.id = $1`, refund.ID).Scan(&state))
	if state != "SUCCEEDED 20000; parts SUCCEEDED 20000; payment REFUNDED 20000/20000" {
		t.Fatalf("after the retries: %s", state)
	}
	l, err := ledgerOf(ctx, b.svc, id)
	must(t, err)
	if l.Captured != 20000 || l.Refunded != 20000 || l.Kept != 0 {
		t.Fatalf("ledger %+v, want 20000 captured and refunded", l)
	}

	// The issuer refuses the refund: an answer, not retried.
	id, refund = cancel("2", pay("tok_refund_fails"))
	eventually(t, "the refused refund's job completion", func() bool {
		return strings.HasPrefix(b.refundJob(t, refund.ID), "completed")
	})
	if got := b.refundJob(t, refund.ID); got != "completed after 1 attempts, 0 errors" {
		t.Fatalf("refused refund's job %s, want completed on its first attempt", got)
	}
	var status, message string
	must(t, b.pool.QueryRow(ctx, "SELECT status, failure_message FROM refunds WHERE id = $1", refund.ID).Scan(&status, &message))
	if status != "FAILED" || message == "" {
		t.Fatalf("refused refund %s %q, want FAILED with the provider's reason", status, message)
	}
	if l, err = ledgerOf(ctx, b.svc, id); err != nil || l.Refunded != 0 || l.Kept != 20000 {
		t.Fatalf("ledger after a refused refund %+v %v, want nothing refunded", l, err)
	}
}

// A deposit paid under a provider key of the release before (which did not
// name the operation), answered PAYMENT_PENDING and confirmed by
// reconciliation, is not taken for a balance payment sent later under the
// same idempotency key: the balance is charged.
func TestALegacyDepositIsNotTakenForTheBalance(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	ctx := guest("legacy")
	h := b.reconciledDeposit(t, ctx, "k")
	if got, err := b.svc.Booking(ctx, h.ID); err != nil || got.Status != booking.StatusConfirmed {
		t.Fatalf("after reconciliation: %v %s", err, got.Status)
	}
	// The deposit as the earlier release keyed it: the booking, the caller
	// and their key, no operation.
	sum := sha256.Sum256([]byte(h.ID.String() + "\x00" + "GUEST:legacy" + "\x00" + "k"))
	if _, err := b.pool.Exec(context.Background(), "UPDATE payments SET idempotency_key = $2 WHERE booking_id = $1",
		h.ID, "sg_"+hex.EncodeToString(sum[:16])); err != nil {
		t.Fatal(err)
	}
	paid, err := b.svc.PayBalance(ctx, booking.PayBalanceInput{IdempotencyKey: "k", BookingID: h.ID, Payment: pay("tok_success")})
	must(t, err)
	if s := fmt.Sprint(b.paymentStatuses(t, h.ID)); s != "[CAPTURED:3000/3000 CAPTURED:7000/7000]" || paid.Status != booking.StatusConfirmed {
		t.Fatalf("after paying the balance under the deposit's key: %s, payments %s; want the balance charged", paid.Status, s)
	}
}

// lost is a payment provider whose charge calls time out before they reach
// it: it has no charge under their keys.
type lost struct{ *sandbox.Provider }

func (lost) Name() string { return "lost" }

func (lost) Charge(ctx context.Context, req payment.ChargeRequest) (payment.ChargeResult, error) {
	return payment.ChargeResult{Status: payment.Unknown}, errors.New("lost: the call timed out")
}

// A charge the provider does not know right after a timed-out call may
// still be in its hands: reconciliation asks again rather than take it as
// declined, and does so only a while after the attempt. The hold stays
// pinned until then.
func TestAnUnknownChargeIsDeclinedOnlyAfterAWhile(t *testing.T) {
	t.Parallel()
	start := time.Now() // the clock the database stamps the attempt with
	b := setup(t, time.Time{})
	providers := payment.NewRegistry(lost{sandbox.New()})
	at := func(d time.Duration) *booking.Service {
		return booking.NewService(b.pool, b.catalog, providers, nil, booking.Opts{Now: func() time.Time { return start.Add(d) }})
	}
	f := b.fixture(t, fixtureOpts{})
	ctx := guest("lost")
	checkIn := booking.Date(start).AddDate(0, 0, 14)
	h, err := at(0).Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	if _, err := at(0).Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID,
		Payment: &booking.PaymentInput{Provider: "lost", Token: "tok_success"}}); code(err) != booking.PaymentPending {
		t.Fatalf("the timed-out charge: %v, want PAYMENT_PENDING", err)
	}
	id := b.unknownPayment(t, h.ID)
	if err := at(5*time.Minute).ReconcilePayment(ctx, id); err == nil {
		t.Fatal("a charge unknown to the provider 5 minutes after the call was taken as declined")
	}
	if got := fmt.Sprint(b.paymentStatuses(t, h.ID)); got != "[UNKNOWN:0/10000]" {
		t.Fatalf("payments %s after asking early, want it still unknown", got)
	}
	must(t, at(20*time.Minute).ReconcilePayment(ctx, id))
	if got := fmt.Sprint(b.paymentStatuses(t, h.ID)); got != "[FAILED:0/10000]" {
		t.Fatalf("payments %s 20 minutes after the call, want it failed", got)
	}
	if after, err := b.svc.Booking(ctx, h.ID); err != nil || after.PaymentInFlight {
		t.Fatalf("the booking after the decline: pinned %v, %v", after.PaymentInFlight, err)
	}
}

// Two reconciliations of one payment (the job enqueued with the attempt and
// the one its unknown outcome enqueued) may ask the provider at once. The
// one answered first records the capture and confirms the booking, which
// is then cancelled and paid back; the late one's answer, from before the
// refund, must not write the payment back to CAPTURED.
func TestALateReconciliationDoesNotUndoARefund(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	sb := sandbox.New()
	b.svc = booking.NewService(b.pool, b.catalog, payment.NewRegistry(sb), nil, booking.Opts{})
	late := &gatedLookup{Provider: sb, entered: make(chan struct{}), gate: make(chan struct{})}
	lateSvc := booking.NewService(b.pool, b.catalog, payment.NewRegistry(late), nil, booking.Opts{})
	f := b.fixture(t, fixtureOpts{price: 10000, policy: catalog.CancellationPolicy{Refundable: true}})
	ctx := guest("payer")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	if _, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_timeout_then_success")}); code(err) != booking.PaymentPending {
		t.Fatalf("confirm: %v, want PAYMENT_PENDING", err)
	}
	paymentID := b.unknownPayment(t, h.ID)

	lateDone := make(chan error, 1)
	go func() { lateDone <- lateSvc.ReconcilePayment(context.Background(), paymentID) }()
	<-late.entered // the late one has read the payment and asks the provider
	must(t, b.svc.ReconcilePayment(context.Background(), paymentID))
	_, refund, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)
	must(t, b.svc.PayRefund(ctx, refund.ID))
	close(late.gate)
	if err := <-lateDone; err != nil {
		t.Logf("the late reconciliation: %v", err)
	}
	if got := fmt.Sprint(b.paymentStatuses(t, h.ID)); got != "[REFUNDED:10000/10000]" {
		t.Fatalf("payments %s, want the refund kept", got)
	}
	if got := b.ledger(t, h.ID); got != [3]int64{10000, 10000, 0} {
		t.Fatalf("ledger %v, want 100.00 captured and refunded", got)
	}
}

// gatedLookup is the sandbox whose Lookup, once asked, waits for gate.
type gatedLookup struct {
	*sandbox.Provider
	entered, gate chan struct{}
}

func (g *gatedLookup) Lookup(ctx context.Context, key string) (payment.ChargeResult, error) {
	res, err := g.Provider.Lookup(ctx, key)
	close(g.entered)
	<-g.gate
	return res, err
}

// chargeOutlastingItsReconciliation confirms a hold of a refundable
// booking through a provider that takes the money and then does not answer
// in time: the confirm runs in the background, and once the provider has
// taken the charge the reconciliation records it and confirms the booking.
// The returned func lets the charge call fail on our side (it timed out)
// and returns what the confirm answered. b.svc is the service of that
// provider's money from then on.
func chargeOutlastingItsReconciliation(t *testing.T, b *testBundle) (booking.Booking, func() (booking.Booking, error)) {
	t.Helper()
	sb := sandbox.New()
	b.svc = booking.NewService(b.pool, b.catalog, payment.NewRegistry(sb), nil, booking.Opts{})
	slow := &gatedCharge{Provider: sb, entered: make(chan struct{}), gate: make(chan struct{})}
	slowSvc := booking.NewService(b.pool, b.catalog, payment.NewRegistry(slow), nil, booking.Opts{})
	f := b.fixture(t, fixtureOpts{price: 10000, policy: catalog.CancellationPolicy{Refundable: true}})
	ctx := guest("payer")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	type answer struct {
		b   booking.Booking
		err error
	}
	done := make(chan answer, 1)
	go func() {
		confirmed, err := slowSvc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_success")})
		done <- answer{confirmed, err}
	}()
	<-slow.entered
	var paymentID uuid.UUID
	must(t, b.pool.QueryRow(context.Background(), "SELECT id FROM payments WHERE booking_id = $1", h.ID).Scan(&paymentID))
	must(t, b.svc.ReconcilePayment(context.Background(), paymentID))
	return h, func() (booking.Booking, error) {
		close(slow.gate)
		got := <-done
		return got.b, got.err
	}
}

// A charge call that outlasts its reconciliation's delay: the provider took
// the money, the reconciliation recorded it and confirmed the booking, and
// the call then fails on our side (it timed out). The guest is told the
// booking is confirmed, and the payment stays CAPTURED, not written back to
// UNKNOWN.
func TestAChargeAnsweredAfterItsReconciliationKeepsItsOutcome(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	h, answer := chargeOutlastingItsReconciliation(t, &b)
	if got, err := answer(); err != nil || got.Status != booking.StatusConfirmed {
		t.Fatalf("confirm: %v (%s), want the booking confirmed", err, got.Status)
	}
	if p := fmt.Sprint(b.paymentStatuses(t, h.ID)); p != "[CAPTURED:10000/10000]" {
		t.Fatalf("payments %s, want the capture the reconciliation recorded", p)
	}
}

// gatedCharge is the sandbox whose Charge, once the provider took it, waits
// for gate and then fails as a call that timed out on our side.
type gatedCharge struct {
	*sandbox.Provider
	entered, gate chan struct{}
}

func (g *gatedCharge) Charge(ctx context.Context, req payment.ChargeRequest) (payment.ChargeResult, error) {
	if _, err := g.Provider.Charge(ctx, req); err != nil {
		return payment.ChargeResult{Status: payment.Unknown}, err
	}
	close(g.entered)
	<-g.gate
	return payment.ChargeResult{Status: payment.Unknown}, context.DeadlineExceeded
}

// The same, but the booking was meanwhile cancelled and paid back: the
// charge's request answers with the booking as it is (cancelled), not that
// a payment long captured and refunded is still being processed.
func TestAChargeAnsweredAfterItsBookingWasRefundedSaysSo(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	h, answer := chargeOutlastingItsReconciliation(t, &b)
	ctx := guest("payer")
	_, refund, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)
	must(t, b.svc.PayRefund(ctx, refund.ID))
	if _, err := answer(); code(err) != booking.InvalidState {
		t.Fatalf("confirm: %v, want INVALID_STATE: the booking was cancelled meanwhile", err)
	}
	if got := fmt.Sprint(b.paymentStatuses(t, h.ID)); got != "[REFUNDED:10000/10000]" {
		t.Fatalf("payments %s, want the capture refunded", got)
	}
}
