package booking_test

import (
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// The deadlines a stay was sold with do not move when the hotel later
// changes its time zone (cancellationPenalties: "later changes of the
// hotel's check-in time or time zone do not move them"). A Berlin hotel sells
// "free until 48 hours before check-in" for a 15:00 Monday check-in after
// the spring clock change: free until Saturday 15:00 Berlin (14:00 UTC). The
// hotel then corrects its zone to one without a clock change (Asia/Tokyo):
// the booking still shows that deadline (in the new offset), and a guest who
// cancels at 14:30 Berlin time on the Saturday is charged nothing (counted
// on Tokyo's clock, the window ended an hour earlier).
func TestAZoneChangeDoesNotMoveSoldDeadlines(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	freeUntil48h := catalog.CancellationPolicy{Refundable: true, Penalties: []catalog.PenaltyWindow{{HoursBeforeCheckIn: 48, Percent: 100}}}
	f := b.fixture(t, fixtureOpts{zone: "Europe/Berlin", price: 10000, policy: freeUntil48h})
	ctx := guest("cust-1")
	held, err := b.svc.Hold(ctx, holdInput(f, "h", day("2027-03-29"), day("2027-03-30"), 1))
	must(t, err)
	confirmed, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: pay("tok_success")})
	must(t, err)
	sold := penaltiesOf(t, b, ctx, confirmed)
	const deadline = "2027-03-27T14:00:00Z" // Saturday 15:00 in Berlin
	if len(sold) != 2 || sold[0].End.UTC().Format(time.RFC3339) != deadline {
		t.Fatalf("terms at sale: %+v, want free until %s", sold, deadline)
	}

	zone := "Asia/Tokyo"
	h, err := b.catalog.Hotel(b.admin, f.hotel.ID)
	must(t, err)
	_, err = b.catalog.UpdateHotel(b.admin, f.hotel.ID, h.Version, catalog.HotelPatch{TimeZone: &zone})
	must(t, err)

	if got := penaltiesOf(t, b, ctx, confirmed); len(got) != 2 || got[0].End.UTC().Format(time.RFC3339) != deadline {
		t.Errorf("after the hotel changed its zone, free cancellation shown until %s, want %s as sold", got[0].End.UTC().Format(time.RFC3339), deadline)
	}
	at := time.Date(2027, 3, 27, 13, 30, 0, 0, time.UTC) // 14:30 in Berlin, half an hour before the deadline sold
	cancelled, _, err := setupClock(b, at).Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: confirmed.ID})
	must(t, err)
	if cancelled.PenaltyAmount != 0 {
		t.Errorf("cancelled at %s, before the free-cancellation deadline sold (%s): penalty %d, want 0",
			at.Format(time.RFC3339), deadline, cancelled.PenaltyAmount)
	}
}
