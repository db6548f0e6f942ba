package booking_test

import (
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// "Free until 48 hours before check-in" at a hotel whose check-in is 15:00
// means free until 15:00 two days before, on the hotel's wall clock, every
// week of the year, across a clock change too (counted in elapsed hours it
// was an hour earlier after a spring-forward change, half an hour at Lord
// Howe, and an hour later after a fall-back one): a guest who cancels at
// 14:30 on the Saturday before a Monday check-in in Berlin, as the terms
// read on every other weekend, is not charged.
func TestPenaltyDeadlinesKeepTheHotelsWallClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	freeUntil48h := catalog.CancellationPolicy{Refundable: true, Penalties: []catalog.PenaltyWindow{{HoursBeforeCheckIn: 48, Percent: 100}}}
	cases := []struct {
		zone              string
		checkIn, checkOut string
		deadline          string // hotel-local wall clock: 15:00 two days before check-in
	}{
		// Berlin springs forward on 2027-03-28, 02:00 -> 03:00.
		{"Europe/Berlin", "2027-03-29", "2027-03-30", "2027-03-27T15:00:00+01:00"},
		// New York springs forward on 2027-03-14, 02:00 -> 03:00.
		{"America/New_York", "2027-03-15", "2027-03-16", "2027-03-13T15:00:00-05:00"},
		// Lord Howe springs forward half an hour on 2027-10-03, 02:00 -> 02:30.
		{"Australia/Lord_Howe", "2027-10-04", "2027-10-05", "2027-10-02T15:00:00+10:30"},
		// Berlin falls back on 2027-10-31, 03:00 -> 02:00.
		{"Europe/Berlin", "2027-11-01", "2027-11-02", "2027-10-30T15:00:00+02:00"},
	}
	for _, c := range cases {
		f := b.fixture(t, fixtureOpts{zone: c.zone, price: 10000, policy: freeUntil48h})
		in := holdInput(f, "dst-deadline-"+c.zone+c.checkIn, day(c.checkIn), day(c.checkOut), 1)
		q, err := b.svc.Quote(guest("cust-1"), booking.QuoteInput{HotelID: f.hotel.ID, CheckIn: in.CheckIn, CheckOut: in.CheckOut, Rooms: in.Rooms})
		must(t, err)
		if len(q.Penalties) != 2 {
			t.Fatalf("%s: penalty windows %+v, want two", c.zone, q.Penalties)
		}
		if got := fmtTime(q.Penalties[0].End); got != c.deadline {
			t.Errorf("%s: check-in %s at 15:00; free cancellation shown until %s, want %s (48 hours before 15:00 on the hotel's clock)",
				c.zone, c.checkIn, got, c.deadline)
		}
	}

	// What the guest is charged: Berlin, cancelling at 14:30 local on the
	// 27th, half an hour before 15:00 two days before check-in.
	f := b.fixture(t, fixtureOpts{zone: "Europe/Berlin", price: 10000, policy: freeUntil48h})
	ctx := guest("cust-2")
	held, err := b.svc.Hold(ctx, holdInput(f, "berlin", day("2027-03-29"), day("2027-03-30"), 1))
	must(t, err)
	confirmed, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "berlin-pay", BookingID: held.ID, Payment: pay("tok_success")})
	must(t, err)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := time.Date(2027, 3, 27, 14, 30, 0, 0, berlin)
	cancelled, _, err := setupClock(b, at).Cancel(ctx, booking.CancelInput{IdempotencyKey: "berlin-cancel", BookingID: confirmed.ID})
	must(t, err)
	if cancelled.PenaltyAmount != 0 {
		t.Errorf("cancelled at %s, before 15:00 two days before a 15:00 check-in: penalty %d, want 0", at.Format(time.RFC3339), cancelled.PenaltyAmount)
	}
}
