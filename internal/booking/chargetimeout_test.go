package booking_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

// silent is a payment provider that takes a charge and never answers (a
// network partition after the request went out): it returns only when its
// call's time is up.
type silent struct{ *sandbox.Provider }

func (silent) Name() string { return "silent" }

func (silent) Charge(ctx context.Context, _ payment.ChargeRequest) (payment.ChargeResult, error) {
	<-ctx.Done()
	return payment.ChargeResult{Status: payment.Unknown}, ctx.Err()
}

// A charge the provider never answers is bounded (Opts.ChargeTimeout): the
// guest is told PAYMENT_PENDING and the attempt is UNKNOWN, reconciled
// later, instead of the request hanging for as long as the connection stays
// open and the reconciliation running while the charge is still under way.
// The sandbox's tok_timeout_then_* answer at once.
func TestAChargeTheProviderNeverAnswersEndsPending(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	svc := booking.NewService(b.pool, b.catalog, payment.NewRegistry(silent{sandbox.New()}), nil,
		booking.Opts{ChargeTimeout: 300 * time.Millisecond})
	f := b.fixture(t, fixtureOpts{rooms: 1})
	ctx := guest("waiting")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 14)
	h, err := svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)

	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID,
			Payment: &booking.PaymentInput{Provider: "silent", Token: "tok_success"}})
		done <- err
	}()
	select {
	case err := <-done:
		if code(err) != booking.PaymentPending {
			t.Fatalf("confirmation through a provider that never answers: %v (code %q), want PAYMENT_PENDING", err, code(err))
		}
		if waited := time.Since(start); waited < 300*time.Millisecond {
			t.Fatalf("PAYMENT_PENDING after %v, before the charge's time was up", waited)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the confirmation still waits on a provider that never answers after %v; want PAYMENT_PENDING once the charge's 300 ms are up",
			time.Since(start).Round(time.Millisecond))
	}
	if got := fmt.Sprint(b.paymentStatuses(t, h.ID)); got != "[UNKNOWN:0/10000]" {
		t.Fatalf("payments %s, want the attempt UNKNOWN (to be reconciled)", got)
	}
}
