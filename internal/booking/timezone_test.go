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
)

// One instant is two business dates: 2027-06-10 17:00 UTC is already
// 2027-06-11 07:00 in Kiritimati (UTC+14) but 2027-06-10 06:00 in Pago Pago
// (UTC-11), the first minute of the 10th there (a hotel's day runs from
// 06:00 to 06:00). A check-in on the 10th is in the past at the first hotel
// only; the caller's own zone plays no part.
func TestCheckInIsCheckedAgainstTheHotelsBusinessDate(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 6, 10, 17, 0, 0, 0, time.UTC)
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
		t.Errorf("the rejection should name the hotel's today (2027-06-11 in Pacific/Kiritimati): %q", msg)
	}
	// A quote says the same, without any principal.
	if _, err := b.svc.Quote(ctx, booking.QuoteInput{HotelID: kiritimati.hotel.ID, CheckIn: day("2027-06-10"), CheckOut: day("2027-06-12"),
		Rooms: holdInput(kiritimati, "", day("2027-06-10"), day("2027-06-12"), 1).Rooms}); code(err) != apperr.InvalidInput {
		t.Fatalf("quote for 2027-06-10 at Kiritimati: %v", err)
	}

	// The 10th in Pago Pago: 06:00 exactly, the first minute of its day.
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

// Until 06:00 at the hotel the night that began the evening before is in
// progress and still sold, as a walk-in would get it: at 02:00 on the 10th
// in Pago Pago a traveller landing at 02:30 quotes, holds and books the
// night of the 9th, and the desk checks them in. Guests booked for that
// night who have not come are no-shows from 06:00, and from 06:00 the night
// is refused with the error of a check-in before today. Maintenance reaches
// the night in progress too; the booking horizon counts from the same date.
func TestTheNightInProgressSellsUntilSix(t *testing.T) {
	t.Parallel()
	// Pago Pago is UTC-11: 13:00 UTC is 02:00 on the 10th there.
	local := func(hour, minute int) time.Time { return time.Date(2027, 6, 10, hour+11, minute, 0, 0, time.UTC) }
	b := setup(t, local(2, 0))
	f := b.fixture(t, fixtureOpts{zone: "Pacific/Pago_Pago", rooms: 3})
	staff := staffOf(f.hotel.ID)
	ctx := guest("late")
	night, morning := day("2027-06-09"), day("2027-06-10")

	in := holdInput(f, "late", night, morning, 1)
	q, err := b.svc.Quote(ctx, booking.QuoteInput{HotelID: f.hotel.ID, CheckIn: night, CheckOut: morning, Rooms: in.Rooms})
	must(t, err)
	if len(q.Rooms) != 1 || len(q.Rooms[0].Nightly) != 1 || !q.Rooms[0].Nightly[0].Night.Equal(night) {
		t.Fatalf("quote of the night in progress: %+v, want the night of 2027-06-09", q)
	}
	late := b.book(t, ctx, f, "late", night, morning)
	if !late.CheckIn.Equal(night) || !late.CheckOut.Equal(morning) {
		t.Fatalf("booked %s..%s, want 2027-06-09..2027-06-10", late.CheckIn.Format(time.DateOnly), late.CheckOut.Format(time.DateOnly))
	}
	// Booked earlier for the same night, and not here yet.
	absent := b.book(t, guest("absent"), f, "absent", night, morning)

	// 02:30: the guests who just booked arrive; their check-in date is
	// still today at the hotel.
	in2, err := setupClock(b, local(2, 30)).CheckIn(staff, late.ID)
	must(t, err)
	if in2.Status != booking.StatusCheckedIn {
		t.Fatalf("checked in %+v", in2)
	}
	// 03:00: a room breaks; it can be taken out of the night in progress.
	if _, _, err := setupClock(b, local(3, 0)).BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[2].ID},
		From: night, To: morning, Reason: "leak"}); err != nil {
		t.Fatalf("blocking the night in progress at 03:00: %v", err)
	}
	// 05:00: they leave on their check-out date: on time, the night they
	// slept stays theirs.
	out, err := setupClock(b, local(5, 0)).CheckOut(staff, late.ID)
	must(t, err)
	if out.Status != booking.StatusCheckedOut || out.DepartedOn != nil {
		t.Fatalf("checked out at 05:00 on the check-out date: %s, departed %v; want CHECKED_OUT on time", out.Status, out.DepartedOn)
	}
	// 05:59: the other guests may still come for their night.
	if _, err := setupClock(b, local(5, 59)).MarkNoShow(staff, absent.ID); code(err) != booking.InvalidState {
		t.Fatalf("a no-show at 05:59, the night still in progress: %v, want INVALID_STATE", err)
	}
	if got := b.reserved(t, f.roomType.ID, night, morning); got[0] != 2 {
		t.Fatalf("reserved on the night in progress %v, want [2]", got)
	}

	// 06:00: the night is over. The guests who never came are no-shows.
	six := setupClock(b, local(6, 0))
	gone, err := six.MarkNoShow(staff, absent.ID)
	must(t, err)
	if gone.Status != booking.StatusNoShow {
		t.Fatalf("no-show at 06:00: %+v", gone)
	}
	// 06:30: the night of the 9th is refused with the error of a check-in
	// before today, which names the hotel's today, the 10th.
	halfPastSix := setupClock(b, local(6, 30))
	if _, err := halfPastSix.Quote(ctx, booking.QuoteInput{HotelID: f.hotel.ID, CheckIn: night, CheckOut: morning, Rooms: in.Rooms}); code(err) != apperr.InvalidInput {
		t.Fatalf("quote of the night of the 9th at 06:30: %v, want INVALID_INPUT", err)
	}
	_, err = halfPastSix.Hold(ctx, holdInput(f, "too-late", night, morning, 1))
	all, _ := apperr.All(err)
	if len(all) != 1 || all[0].Code != apperr.InvalidInput || join(all[0].Field) != "input.checkIn" ||
		!strings.Contains(all[0].Message, "before today at the hotel (2027-06-10 in Pacific/Pago_Pago") {
		t.Fatalf("hold of the night of the 9th at 06:30: %v, want one INVALID_INPUT on input.checkIn naming 2027-06-10", err)
	}
	if _, _, err := halfPastSix.BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[1].ID},
		From: night, To: morning, Reason: "leak"}); code(err) != apperr.InvalidInput {
		t.Fatalf("blocking the night of the 9th at 06:30: %v, want INVALID_INPUT", err)
	}
	if _, err := halfPastSix.Hold(ctx, holdInput(f, "tonight", morning, morning.AddDate(0, 0, 1), 1)); err != nil {
		t.Fatalf("hold of the night of the 10th at 06:30: %v", err)
	}

	// At 02:00 on the 10th the horizon is 365 days from the 9th.
	farIn := night.AddDate(0, 0, booking.MaxDaysAhead+1) // 2028-06-09: 365 days after the calendar's 10th
	_, err = b.svc.Quote(ctx, booking.QuoteInput{HotelID: f.hotel.ID, CheckIn: farIn, CheckOut: farIn.AddDate(0, 0, 1), Rooms: in.Rooms})
	if all, _ := apperr.All(err); len(all) != 1 || all[0].Code != apperr.InvalidInput || !strings.Contains(all[0].Message, "days ahead") {
		t.Fatalf("quote of %s at 02:00 on 2027-06-10: %v, want INVALID_INPUT: more than %d days ahead", farIn.Format(time.DateOnly), err, booking.MaxDaysAhead)
	}
	b.assertInventoryConsistent(t)
}

// A hold of the night in progress lapses when the night ends at 06:00, not
// a hold's time after it was made: paid at 06:03, it would sell a night
// that is over (no longer sold, its guests no longer checked in) and keep
// the money, non-refundable as its check-in is past.
func TestAHoldOfTheNightInProgressEndsWithIt(t *testing.T) {
	t.Parallel()
	// Pago Pago is UTC-11: local(5, 50) is 05:50 on 2027-06-10 there.
	local := func(hour, minute int) time.Time { return time.Date(2027, 6, 10, hour+11, minute, 0, 0, time.UTC) }
	b := setup(t, local(5, 50))
	f := b.fixture(t, fixtureOpts{zone: "Pacific/Pago_Pago", rooms: 2})
	ctx := guest("dawn")
	night, morning := day("2027-06-09"), day("2027-06-10")
	held, err := b.svc.Hold(ctx, holdInput(f, "dawn", night, morning, 1))
	must(t, err)
	if !held.HoldExpiresAt.Equal(local(6, 0)) {
		t.Fatalf("a hold of the night in progress made at 05:50 ends at %s, want 06:00 local (%s)", held.HoldExpiresAt, local(6, 0))
	}
	tonight, err := b.svc.Hold(ctx, holdInput(f, "tonight", morning, morning.AddDate(0, 0, 1), 1))
	must(t, err)
	if want := local(5, 50).Add(15 * time.Minute); !tonight.HoldExpiresAt.Equal(want) {
		t.Fatalf("a hold of tonight made at 05:50 ends at %s, want %s", tonight.HoldExpiresAt, want)
	}

	// 06:03: paying for the night that ended is refused as for any lapsed
	// hold, and nothing is charged.
	at := setupClock(b, local(6, 3))
	if _, err := at.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "dawn-pay", BookingID: held.ID, Payment: pay("tok_success")}); code(err) != booking.HoldExpired {
		t.Fatalf("confirming at 06:03 the hold of the night that ended at 06:00: %v, want HOLD_EXPIRED", err)
	}
	if got := b.paymentStatuses(t, held.ID); len(got) != 0 {
		t.Fatalf("payments of the lapsed hold %v, want none", got)
	}
	if _, err := at.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "tonight-pay", BookingID: tonight.ID, Payment: pay("tok_success")}); err != nil {
		t.Fatalf("confirming tonight's hold at 06:03: %v", err)
	}
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
	at := func(instant time.Time) *booking.Service { return setupClock(b, instant) }

	early := book("early")
	// The booking keeps the same deadline, in the hotel's offset.
	kept := penaltiesOf(t, b, ctx, early)
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
