package booking_test

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the hotels' zones resolve even where the host has no zoneinfo

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

// One instant is two calendar dates: 2027-06-10 11:00 UTC is already
// 2027-06-11 01:00 in Kiritimati (UTC+14) but still 2027-06-10 00:00 in Pago
// Pago (UTC-11). A check-in on the 10th is in the past at the first hotel
// only; the caller's own zone plays no part.
func TestCheckInIsCheckedAgainstTheHotelsLocalToday(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 6, 10, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	kiritimati := b.fixture(t, fixtureOpts{zone: "Pacific/Kiritimati", rooms: 2})
	pagoPago := b.fixture(t, fixtureOpts{zone: "Pacific/Pago_Pago", rooms: 2})
	ctx := guest("cust-1")

	_, err := b.svc.Hold(ctx, holdInput(kiritimati, "kir-10", day("2027-06-10"), day("2027-06-12"), 1))
	all, _ := apperr.All(err)
	if len(all) != 1 || all[0].Code != apperr.InvalidInput || join(all[0].Field) != "input.checkIn" {
		t.Fatalf("check-in 2027-06-10 at Kiritimati: got %v, want one INVALID_INPUT on input.checkIn", err)
	}
	if msg := all[0].Message; !strings.Contains(msg, "2027-06-11") || !strings.Contains(msg, "Pacific/Kiritimati") {
		t.Errorf("the rejection should name the hotel's local today (2027-06-11 in Pacific/Kiritimati): %q", msg)
	}
	// A quote says the same, without any principal.
	if _, err := b.svc.Quote(ctx, booking.QuoteInput{HotelID: kiritimati.hotel.ID, CheckIn: day("2027-06-10"), CheckOut: day("2027-06-12"),
		Rooms: holdInput(kiritimati, "", day("2027-06-10"), day("2027-06-12"), 1).Rooms}); code(err) != apperr.InvalidInput {
		t.Fatalf("quote for 2027-06-10 at Kiritimati: %v", err)
	}

	// Still the 10th in Pago Pago: midnight exactly, the first minute of the day.
	pp10, err := b.svc.Hold(ctx, holdInput(pagoPago, "pp-10", day("2027-06-10"), day("2027-06-12"), 1))
	must(t, err)
	if !pp10.CheckIn.Equal(day("2027-06-10")) || pp10.Status != booking.StatusHeld {
		t.Fatalf("Pago Pago hold %+v", pp10)
	}
	// The 11th is fine everywhere.
	for _, f := range []fixture{kiritimati, pagoPago} {
		held, err := b.svc.Hold(ctx, holdInput(f, "k11-"+f.hotel.TimeZone, day("2027-06-11"), day("2027-06-12"), 1))
		if err != nil {
			t.Fatalf("check-in 2027-06-11 at %s: %v", f.hotel.TimeZone, err)
		}
		if !held.CheckIn.Equal(day("2027-06-11")) {
			t.Fatalf("check-in stored as %v", held.CheckIn)
		}
	}
	if got := b.reserved(t, kiritimati.roomType.ID, day("2027-06-10"), day("2027-06-12")); got[0] != 0 || got[1] != 1 {
		t.Fatalf("Kiritimati reserved %v, want [0 1]: the rejected hold must reserve nothing", got)
	}
	if got := b.reserved(t, pagoPago.roomType.ID, day("2027-06-10"), day("2027-06-12")); got[0] != 1 || got[1] != 2 {
		t.Fatalf("Pago Pago reserved %v, want [1 2]", got)
	}
	var bookings int
	must(t, b.pool.QueryRow(b.admin, "SELECT count(*) FROM bookings").Scan(&bookings))
	if bookings != 3 {
		t.Fatalf("%d bookings, want 3 (the rejected hold writes none)", bookings)
	}
	// Maintenance follows the same calendar.
	block := func(f fixture) error {
		_, _, err := b.svc.BlockRooms(staffOf(f.hotel.ID), b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[1].ID},
			From: day("2027-06-10"), To: day("2027-06-11"), Reason: "repairs"})
		return err
	}
	if err := block(kiritimati); code(err) != apperr.InvalidInput {
		t.Fatalf("blocking 2027-06-10 at Kiritimati, where it is already the 11th: %v, want INVALID_INPUT", err)
	}
	if err := block(pagoPago); err != nil {
		t.Fatalf("blocking 2027-06-10 at Pago Pago, where it is the 10th: %v", err)
	}
	b.assertInventoryConsistent(t)
}

// A stay across a DST change is counted in local nights (not 24-hour
// periods) and priced per night; its check-in and check-out instants carry
// the offset in force on each day.
func TestStayAcrossDSTChange(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	cases := []struct {
		name, zone            string
		checkIn, checkOut     string
		checkInAt, checkOutAt string
	}{
		// Paris springs forward on 2027-03-28, 02:00 -> 03:00.
		{"spring forward", "Europe/Paris", "2027-03-27", "2027-03-30", "2027-03-27T15:00:00+01:00", "2027-03-30T11:00:00+02:00"},
		// New York falls back on 2027-11-07, 02:00 -> 01:00.
		{"fall back", "America/New_York", "2027-11-06", "2027-11-09", "2027-11-06T15:00:00-04:00", "2027-11-09T11:00:00-05:00"},
	}
	for _, c := range cases {
		f := b.fixture(t, fixtureOpts{zone: c.zone, price: 10000})
		in := holdInput(f, "dst-"+c.zone, day(c.checkIn), day(c.checkOut), 1)
		q, err := b.svc.Quote(guest("cust-1"), booking.QuoteInput{HotelID: f.hotel.ID, CheckIn: in.CheckIn, CheckOut: in.CheckOut, Rooms: in.Rooms})
		must(t, err)
		if got := q.CheckInAt.Format(time.RFC3339); got != c.checkInAt {
			t.Errorf("%s: check-in at %s, want %s", c.name, got, c.checkInAt)
		}
		if got := q.CheckOutAt.Format(time.RFC3339); got != c.checkOutAt {
			t.Errorf("%s: check-out at %s, want %s", c.name, got, c.checkOutAt)
		}
		if len(q.Rooms) != 1 || len(q.Rooms[0].Nightly) != 3 || q.RoomAmount != 30000 || q.Total != 30000 {
			t.Fatalf("%s: quote %+v, want 3 nights at 100.00", c.name, q)
		}
		for i, n := range q.Rooms[0].Nightly {
			if want := day(c.checkIn).AddDate(0, 0, i); !n.Night.Equal(want) || n.Amount != 10000 {
				t.Errorf("%s: night %d is %v at %d, want %v at 10000", c.name, i, n.Night, n.Amount, want)
			}
		}
		held, err := b.svc.Hold(guest("cust-1"), in)
		must(t, err)
		if held.Nights() != 3 || held.Total != 30000 {
			t.Fatalf("%s: held %d nights for %d, want 3 for 30000", c.name, held.Nights(), held.Total)
		}
		if got := b.reserved(t, f.roomType.ID, day(c.checkIn), day(c.checkOut)); len(got) != 3 || got[0] != 1 || got[1] != 1 || got[2] != 1 {
			t.Fatalf("%s: reserved %v, want [1 1 1]", c.name, got)
		}
	}
	b.assertInventoryConsistent(t)
}

// A check-in time that does not exist on the check-in date (02:30 when Paris
// jumps from 02:00 to 03:00) is moved forward to a real instant, not an error.
func TestCheckInTimeInDSTGapMovesForward(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{zone: "Europe/Paris", checkIn: 2*60 + 30})
	in := holdInput(f, "gap", day("2027-03-28"), day("2027-03-29"), 1)
	q, err := b.svc.Quote(guest("cust-1"), booking.QuoteInput{HotelID: f.hotel.ID, CheckIn: in.CheckIn, CheckOut: in.CheckOut, Rooms: in.Rooms})
	must(t, err)
	if want := time.Date(2027, 3, 28, 1, 30, 0, 0, time.UTC); !q.CheckInAt.Equal(want) || q.CheckInAt.Format(time.RFC3339) != "2027-03-28T03:30:00+02:00" {
		t.Fatalf("check-in at %s, want 2027-03-28T03:30:00+02:00", q.CheckInAt.Format(time.RFC3339))
	}
	if !q.CheckOutAt.After(q.CheckInAt) {
		t.Fatalf("check-out %v not after check-in %v", q.CheckOutAt, q.CheckInAt)
	}
	if _, err := b.svc.Hold(guest("cust-1"), in); err != nil {
		t.Fatalf("hold with check-in in the DST gap: %v", err)
	}
}

// "Free until 48 hours before check-in" is measured from the check-in time in
// the hotel's zone (15:00 in Tokyo, 06:00 UTC): one minute before the
// deadline everything paid comes back, one minute after nothing does.
func TestCancellationDeadlineInHotelZone(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 6, 1, 3, 0, 0, 0, time.UTC)
	b := setup(t, now)
	freeUntil48h := catalog.CancellationPolicy{Refundable: true, Penalties: []catalog.PenaltyWindow{{HoursBeforeCheckIn: 48, Percent: 100}}}
	f := b.fixture(t, fixtureOpts{zone: "Asia/Tokyo", price: 12000, taxBps: 1000, policy: freeUntil48h})
	ctx := guest("cust-1")
	checkIn, checkOut := day("2027-06-20"), day("2027-06-22")
	// Check-in 2027-06-20 15:00 JST; the free window ends 2027-06-18 15:00 JST.
	deadline := time.Date(2027, 6, 18, 6, 0, 0, 0, time.UTC)
	const total = 2 * 12000 * 110 / 100

	in := holdInput(f, "quote", checkIn, checkOut, 1)
	q, err := b.svc.Quote(ctx, booking.QuoteInput{HotelID: f.hotel.ID, CheckIn: checkIn, CheckOut: checkOut, Rooms: in.Rooms})
	must(t, err)
	if q.Total != total || len(q.Penalties) != 2 {
		t.Fatalf("quote total %d, penalty windows %+v; want %d and two windows", q.Total, q.Penalties, total)
	}
	free, full := q.Penalties[0], q.Penalties[1]
	if free.Start != nil || fmtTime(free.End) != "2027-06-18T15:00:00+09:00" || free.Amount != 0 {
		t.Errorf("first window %s..%s costs %d, want now..2027-06-18T15:00:00+09:00 free", fmtTime(free.Start), fmtTime(free.End), free.Amount)
	}
	if fmtTime(full.Start) != "2027-06-18T15:00:00+09:00" || full.End != nil || full.Amount != total {
		t.Errorf("second window %s..%s costs %d, want 2027-06-18T15:00:00+09:00.. %d", fmtTime(full.Start), fmtTime(full.End), full.Amount, total)
	}
	if free.End != nil && !free.End.Equal(deadline) {
		t.Errorf("deadline %v, want %v", free.End, deadline)
	}

	book := func(key string) booking.Booking {
		held, err := b.svc.Hold(ctx, holdInput(f, key, checkIn, checkOut, 1))
		must(t, err)
		c, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: key + "-pay", BookingID: held.ID,
			Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
		must(t, err)
		return c
	}
	at := func(instant time.Time) *booking.Service {
		return booking.NewService(b.pool, b.catalog, payment.NewRegistry(sandbox.New()), nil, booking.Opts{Now: func() time.Time { return instant }})
	}

	early := book("early")
	// The booking keeps the same deadline, in the hotel's offset.
	rooms, err := b.svc.RoomsOf(ctx, []uuid.UUID{early.ID})
	must(t, err)
	kept, err := b.svc.Penalties(ctx, early, rooms[early.ID])
	must(t, err)
	if len(kept) != 2 || fmtTime(kept[0].End) != "2027-06-18T15:00:00+09:00" || kept[0].Amount != 0 || kept[1].Amount != total {
		t.Fatalf("the booking's penalty windows %+v, want free until 2027-06-18T15:00:00+09:00 then %d", kept, total)
	}

	cancelled, refund, err := at(deadline.Add(-time.Minute)).Cancel(ctx, booking.CancelInput{IdempotencyKey: "cancel-early", BookingID: early.ID})
	must(t, err)
	if cancelled.PenaltyAmount != 0 || cancelled.RefundDue != total || refund == nil || refund.Amount != total {
		t.Fatalf("cancelled a minute before the deadline: penalty %d, refund due %d, refund %+v; want 0, %d, %d",
			cancelled.PenaltyAmount, cancelled.RefundDue, refund, total, total)
	}

	late := book("late")
	cancelled, refund, err = at(deadline.Add(time.Minute)).Cancel(ctx, booking.CancelInput{IdempotencyKey: "cancel-late", BookingID: late.ID})
	must(t, err)
	if cancelled.PenaltyAmount != total || cancelled.RefundDue != 0 || refund != nil {
		t.Fatalf("cancelled a minute after the deadline: penalty %d, refund due %d, refund %+v; want %d, 0, none",
			cancelled.PenaltyAmount, cancelled.RefundDue, refund, total)
	}
	var refunds int
	must(t, b.pool.QueryRow(b.admin, "SELECT count(*) FROM refunds WHERE booking_id = $1", late.ID).Scan(&refunds))
	if refunds != 0 {
		t.Fatalf("%d refunds recorded for a cancellation that refunds nothing", refunds)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); got[0] != 0 || got[1] != 0 {
		t.Fatalf("reserved after both cancellations %v, want zeros", got)
	}
	b.assertInventoryConsistent(t)
}
