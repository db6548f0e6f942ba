package booking_test

import (
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/payment"
)

// A server with no payment provider (serve without --sandbox-payments or
// --stripe-secret-key) says so when a payment is given, rather than
// naming an empty list of the providers it takes.
func TestAServerWithoutProvidersSaysItTakesNoPayments(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{})
	svc := booking.NewService(b.pool, b.catalog, payment.NewRegistry(), nil, booking.Opts{})
	ctx := guest("cust-1")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 20)
	held, err := svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 2), 1))
	must(t, err)
	_, err = svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c1", BookingID: held.ID,
		Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
	if err == nil || !strings.Contains(err.Error(), "(this server takes: no payments: no provider is configured)") {
		t.Errorf("a payment on a server without providers: %v", err)
	}
}
