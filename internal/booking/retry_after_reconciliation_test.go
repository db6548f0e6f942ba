package booking_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// A client retrying one balance payment (same key, same card) while the
// first attempt is under way is charged once, and every attempt is told the
// paid booking or PAYMENT_PENDING.
func TestConcurrentRetriesOfOneBalancePaymentChargeOnce(t *testing.T) {
	t.Parallel()
	const retries = 8
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	b.svc = slowPayments(b)
	f := b.fixture(t, fixtureOpts{price: 10000, deposit: catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30}})
	ctx := guest("cust-1")
	held, err := b.svc.Hold(ctx, holdInput(f, "hold", day("2027-03-10"), day("2027-03-12"), 1))
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "confirm", BookingID: held.ID, Payment: slowly("tok_success")})
	must(t, err)
	in := booking.PayBalanceInput{IdempotencyKey: "balance", BookingID: held.ID, Payment: slowly("tok_success")}
	results := make([]booking.Booking, retries)
	errs := race(retries, func(i int) (err error) {
		results[i], err = b.svc.PayBalance(ctx, in)
		return err
	})
	if got := fmt.Sprint(b.paymentStatuses(t, held.ID)); got != "[CAPTURED:6000/6000 CAPTURED:14000/14000]" {
		t.Fatalf("payments %s", got)
	}
	for i, err := range errs {
		if !(err == nil && results[i].ID == held.ID || code(err) == booking.PaymentPending) {
			t.Errorf("retry %d: %v (code %q)", i, err, code(err))
		}
	}
	again, err := b.svc.PayBalance(ctx, in)
	if err != nil || again.ID != held.ID || again.PaymentInFlight {
		t.Fatalf("a retry after the race: %+v %v", again.Status, err)
	}
}

// A confirmation answered PAYMENT_PENDING, confirmed by reconciliation, and
// the booking cancelled since: the retry of the confirmation (same key, same
// input) gets the booking as it is now, as the retry of a confirmation
// answered at once does. It was INVALID_STATE "cannot be confirmed", while
// the money had been taken.
func TestAConfirmationRetriedAfterReconciliationAndCancellation(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	ctx := guest("patient")
	h := b.reconciledDeposit(t, ctx, "c")
	_, _, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)
	again, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_timeout_then_success")})
	if err != nil || again.ID != h.ID || again.Status != booking.StatusCancelled {
		t.Fatalf("the retry of the confirmation after cancellation: %v (code %q); want the booking as it is now (CANCELLED)", err, code(err))
	}
}

// Retries of one confirmation of a pay-at-hotel hold (nothing due now)
// racing each other all get the confirmed booking.
func TestConcurrentRetriesOfAPayAtHotelConfirmation(t *testing.T) {
	t.Parallel()
	const retries = 8
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{deposit: catalog.DepositPolicy{Kind: catalog.DepositPayAtHotel}})
	ctx := guest("cust-1")
	held, err := b.svc.Hold(ctx, holdInput(f, "hold", day("2027-03-10"), day("2027-03-12"), 1))
	must(t, err)
	in := booking.ConfirmInput{IdempotencyKey: "confirm", BookingID: held.ID}
	results := make([]booking.Booking, retries)
	errs := race(retries, func(i int) (err error) {
		results[i], err = b.svc.Confirm(ctx, in)
		return err
	})
	for i, err := range errs {
		if err != nil || results[i].Status != booking.StatusConfirmed {
			t.Errorf("retry %d: %v", i, err)
		}
	}
	if n := b.count(t, "SELECT count(*) FROM notifications WHERE booking_id = $1", held.ID); n > 2 {
		t.Errorf("%d notifications", n)
	}
}

// The same for a balance payment answered PAYMENT_PENDING, reconciled, and
// the booking cancelled since (it was INVALID_STATE "its balance is paid
// only while it is CONFIRMED or CHECKED_IN").
func TestABalancePaymentRetriedAfterReconciliationAndCancellation(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	ctx := guest("balance")
	h, in := b.reconciledBalance(t, ctx)
	_, _, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)
	again, err := b.svc.PayBalance(ctx, in)
	if err != nil || again.ID != h.ID || again.Status != booking.StatusCancelled {
		t.Fatalf("the retry of the balance payment after cancellation: %v (code %q); want the booking as it is now (CANCELLED)", err, code(err))
	}
}
