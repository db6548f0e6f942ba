package booking_test

import (
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

// A Los Angeles hotel sells tonight's night (20:00 on Jan 10, PST) and the
// charge's answer is lost. While it is reconciled, the hotel corrects its
// zone to Asia/Tokyo; the provider then says the money was taken. The
// night is not over on the clock the hold was sold on (it ends 06:00 Jan 11
// in Los Angeles), so reconciliation confirms the booking. It used to count
// the night on Tokyo's clock, find it over and expire the hold, which its
// expiry (on the sold clock) refused: the booking stayed HELD with its
// deposit captured and nothing refunded, and a Confirm with no payment at
// all then confirmed it.
func TestReconciliationCountsTheNightOnTheSoldClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2027, 1, 11, 4, 0, 0, 0, time.UTC) // Jan 10 20:00 in Los Angeles
	b := setup(t, start)
	providers := payment.NewRegistry(&dark{Provider: sandbox.New()})
	at := func(d time.Duration) *booking.Service {
		return booking.NewService(b.pool, b.catalog, providers, nil,
			booking.Opts{HoldTTL: 24 * time.Hour, Now: func() time.Time { return start.Add(d) }})
	}
	f := b.fixture(t, fixtureOpts{zone: "America/Los_Angeles", price: 10000, policy: catalog.CancellationPolicy{Refundable: true}})
	ctx := guest("zone")
	h, err := at(0).Hold(ctx, holdInput(f, "h", day("2027-01-10"), day("2027-01-11"), 1))
	must(t, err)
	if _, err := at(0).Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID,
		Payment: &booking.PaymentInput{Provider: "dark", Token: "tok_success"}}); code(err) != booking.PaymentPending {
		t.Fatalf("confirm: %v, want PAYMENT_PENDING", err)
	}
	pid := b.unknownPayment(t, h.ID)

	zone := "Asia/Tokyo"
	hotel, err := b.catalog.Hotel(b.admin, f.hotel.ID)
	must(t, err)
	_, err = b.catalog.UpdateHotel(b.admin, f.hotel.ID, hotel.Version, catalog.HotelPatch{TimeZone: &zone})
	must(t, err)

	must(t, at(time.Hour).ReconcilePayment(ctx, pid))
	got, err := b.svc.Booking(ctx, h.ID)
	must(t, err)
	if got.Status != booking.StatusConfirmed || got.PaymentInFlight {
		t.Fatalf("after reconciliation: %s (payment in flight %v), want CONFIRMED: the night is not over where it was sold", got.Status, got.PaymentInFlight)
	}
}
