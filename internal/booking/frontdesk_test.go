package booking_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

func TestCheckOutKeepsTheNightsUsed(t *testing.T) {
	t.Parallel()
	// 2027-03-01 12:00 in Paris.
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 2})
	ctx := guest("cust-1")
	checkIn, checkOut := day("2027-03-10"), day("2027-03-12")
	held, err := b.svc.Hold(ctx, holdInput(f, "k-hold", checkIn, checkOut, 1))
	must(t, err)
	if _, err := b.svc.CheckOut(b.admin, held.ID); code(err) != booking.InvalidState {
		t.Fatalf("checking out a hold: %v, want INVALID_STATE", err)
	}
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "k-confirm", BookingID: held.ID,
		Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
	must(t, err)
	if _, err := b.svc.CheckOut(b.admin, held.ID); code(err) != booking.InvalidState {
		t.Fatalf("checking out before check-in: %v, want INVALID_STATE", err)
	}

	// On check-out day (11:00 in Paris), the guest may not check out; staff may.
	at := setupClock(b, time.Date(2027, 3, 12, 10, 0, 0, 0, time.UTC))
	if _, err := at.CheckOut(ctx, held.ID); code(err) != apperr.Forbidden {
		t.Fatalf("guest checking out: %v, want FORBIDDEN", err)
	}
	staff := auth.WithPrincipal(t.Context(), &auth.Principal{Role: auth.RoleStaff, Subject: "desk", HotelIDs: []uuid.UUID{f.hotel.ID}})
	out, err := at.CheckOut(staff, held.ID)
	must(t, err)
	if out.Status != booking.StatusCheckedOut || out.ContactEmail != "ana@example.com" {
		t.Fatalf("checked out %+v", out)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); got[0] != 1 || got[1] != 1 {
		t.Fatalf("reserved after check-out %v, want [1 1]", got)
	}
	if _, _, err := at.Cancel(ctx, booking.CancelInput{IdempotencyKey: "k-cancel", BookingID: held.ID}); code(err) != booking.InvalidState {
		t.Fatalf("cancelling a checked-out booking: %v, want INVALID_STATE", err)
	}
	if _, err := at.CheckOut(staff, held.ID); code(err) != booking.InvalidState {
		t.Fatalf("checking out twice: %v, want INVALID_STATE", err)
	}
	b.assertInventoryConsistent(t)
}

// setupClock is b's booking service with its clock standing at now.
func setupClock(b testBundle, now time.Time) *booking.Service {
	return booking.NewService(b.pool, b.catalog, payment.NewRegistry(sandbox.New()), nil, booking.Opts{Now: func() time.Time { return now }})
}

// Arrivals are recorded from the check-in date at the hotel until
// check-out, by its staff, once.
func TestCheckInOnTheHotelsCalendar(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 2})
	ctx := guest("cust-1")
	checkIn, checkOut := day("2027-03-10"), day("2027-03-12")
	bk := b.book(t, ctx, f, "k", checkIn, checkOut)
	staff := staffOf(f.hotel.ID)
	// 2027-03-09 23:30 in Paris: not yet.
	if _, err := setupClock(b, time.Date(2027, 3, 9, 22, 30, 0, 0, time.UTC)).CheckIn(staff, bk.ID); code(err) != booking.InvalidState {
		t.Fatalf("checking in the evening before: %v, want INVALID_STATE", err)
	}
	at := setupClock(b, time.Date(2027, 3, 10, 14, 0, 0, 0, time.UTC))
	if _, err := at.CheckIn(ctx, bk.ID); code(err) != apperr.Forbidden {
		t.Fatalf("a guest checking in: %v, want FORBIDDEN", err)
	}
	if _, err := at.CheckIn(staffOf(uuid.New()), bk.ID); code(err) != apperr.Forbidden && code(err) != apperr.NotFound {
		t.Fatalf("another hotel's staff checking in: %v", err)
	}
	in, err := at.CheckIn(staff, bk.ID)
	must(t, err)
	if in.Status != booking.StatusCheckedIn || in.Version != bk.Version+1 {
		t.Fatalf("checked in %+v", in)
	}
	if _, err := at.CheckIn(staff, bk.ID); code(err) != booking.InvalidState {
		t.Fatalf("checking in twice: %v, want INVALID_STATE", err)
	}
	if _, err := at.MarkNoShow(staff, bk.ID); code(err) != booking.InvalidState {
		t.Fatalf("a no-show of guests who arrived: %v, want INVALID_STATE", err)
	}
	out, err := at.CheckOut(staff, bk.ID)
	must(t, err)
	if out.Status != booking.StatusCheckedOut {
		t.Fatalf("checked out %+v", out)
	}
	// They left on the day they arrived: neither night was used, both go
	// back on sale.
	if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); !slices.Equal(got, []int{0, 0}) {
		t.Fatalf("reserved %v, want [0 0] after leaving on the day of arrival", got)
	}
	b.assertInventoryConsistent(t)
}

// Guests who never came are recorded from the day after check-in: the
// rooms go back on sale, what was paid is kept.
func TestNoShowFreesTheRoomsAndKeepsThePayment(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 1, price: 10000})
	ctx := guest("cust-1")
	checkIn, checkOut := day("2027-03-10"), day("2027-03-13")
	bk := b.book(t, ctx, f, "k", checkIn, checkOut)
	staff := staffOf(f.hotel.ID)
	if _, err := setupClock(b, time.Date(2027, 3, 10, 22, 0, 0, 0, time.UTC)).MarkNoShow(staff, bk.ID); code(err) != booking.InvalidState {
		t.Fatalf("a no-show on the arrival day: %v, want INVALID_STATE", err)
	}
	at := setupClock(b, time.Date(2027, 3, 11, 9, 0, 0, 0, time.UTC))
	gone, err := at.MarkNoShow(staff, bk.ID)
	must(t, err)
	if gone.Status != booking.StatusNoShow {
		t.Fatalf("no-show %+v", gone)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); !slices.Equal(got, []int{0, 0, 0}) {
		t.Fatalf("reserved %v, want the room back on sale [0 0 0]", got)
	}
	if s := fmt.Sprint(b.paymentStatuses(t, bk.ID)); s != "[CAPTURED:30000/30000]" {
		t.Fatalf("payments %s, want the capture kept", s)
	}
	if n := b.count(t, "SELECT count(*) FROM refunds"); n != 0 {
		t.Fatalf("%d refunds", n)
	}
	// The room sells again for the nights left.
	if _, err := at.Hold(guest("cust-2"), holdInput(f, "again", day("2027-03-11"), checkOut, 1)); err != nil {
		t.Fatalf("holding the freed room: %v", err)
	}
	if _, _, err := at.Cancel(ctx, booking.CancelInput{IdempotencyKey: "c", BookingID: bk.ID}); code(err) != booking.InvalidState {
		t.Fatalf("cancelling a no-show: %v, want INVALID_STATE", err)
	}
	b.assertInventoryConsistent(t)
}

// Guests in the house hold their room like any booking, and more: a block
// that needs it is refused naming them, forced or not (relocating them
// would put the nights they are in the room on sale again); once they are
// checked out, the room can be blocked.
func TestMaintenanceSeesCheckedInGuests(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 1})
	bk := b.book(t, guest("g"), f, "k", day("2027-03-10"), day("2027-03-13"))
	staff := staffOf(f.hotel.ID)
	at := setupClock(b, time.Date(2027, 3, 10, 14, 0, 0, 0, time.UTC))
	_, err := at.CheckIn(staff, bk.ID)
	must(t, err)
	in := booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID}, From: day("2027-03-11"), To: day("2027-03-12"), Reason: "leak"}
	for _, force := range []bool{false, true} {
		in.Force = force
		_, affected, err := at.BlockRooms(staff, b.catalog, in)
		if code(err) != booking.MaintenanceConflict || len(affected) != 0 || !strings.Contains(err.Error(), bk.Reference) {
			t.Fatalf("blocking the guests' room (force %v): %v %+v, want MAINTENANCE_CONFLICT naming %s", force, err, affected, bk.Reference)
		}
	}
	got, err := at.Booking(staff, bk.ID)
	must(t, err)
	if got.Status != booking.StatusCheckedIn || got.RelocationRequired {
		t.Fatalf("after the refused blocks: %s, relocation %v", got.Status, got.RelocationRequired)
	}
	if got := b.reserved(t, f.roomType.ID, day("2027-03-10"), day("2027-03-13")); !slices.Equal(got, []int{1, 1, 1}) {
		t.Fatalf("reserved %v, want the guests' room on every night of their stay", got)
	}
	if _, err := at.CheckOut(staff, bk.ID); err != nil { // leaving early, on the 10th
		t.Fatalf("checking out early: %v", err)
	}
	if _, _, err := at.BlockRooms(staff, b.catalog, in); err != nil {
		t.Fatalf("blocking the room once the guests left: %v", err)
	}
	b.assertInventoryConsistent(t)
}

// Guests in the house may still pay what they owe.
func TestCheckedInGuestsPayTheBalance(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 1, price: 10000, deposit: catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30}})
	bk := b.book(t, guest("g"), f, "k", day("2027-03-10"), day("2027-03-12"))
	staff := staffOf(f.hotel.ID)
	at := setupClock(b, time.Date(2027, 3, 10, 14, 0, 0, 0, time.UTC))
	_, err := at.CheckIn(staff, bk.ID)
	must(t, err)
	paid, err := at.PayBalance(guest("g"), booking.PayBalanceInput{IdempotencyKey: "b", BookingID: bk.ID, Payment: pay("tok_success")})
	if err != nil || paid.Status != booking.StatusCheckedIn {
		t.Fatalf("paying the balance in the house: %+v %v", paid.Status, err)
	}
	l, err := ledgerOf(b.admin, at, bk.ID)
	must(t, err)
	if l.Captured != 20000 {
		t.Fatalf("captured %d, want the 20000 total", l.Captured)
	}
}

// Guests who leave early give the nights they did not use back to sale:
// a room booked 10-15 March and checked out on the 12th sells again for
// the 12th-14th; the booking keeps its dates, its price and what was paid.
func TestAnEarlyCheckOutFreesTheNightsLeft(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 1})
	ctx := guest("early")
	checkIn, checkOut := day("2027-03-10"), day("2027-03-15")
	held, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkOut, 1))
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: pay("tok_success")})
	must(t, err)
	at := setupClock(b, time.Date(2027, 3, 12, 9, 0, 0, 0, time.UTC)) // 10:00 on the 12th in Paris
	_, err = at.CheckIn(b.admin, held.ID)
	must(t, err)
	out, err := at.CheckOut(b.admin, held.ID)
	must(t, err)
	if out.DepartedOn == nil || !out.DepartedOn.Equal(day("2027-03-12")) || !out.CheckOut.Equal(checkOut) {
		t.Fatalf("checked out early: departed %v, check-out %v", out.DepartedOn, out.CheckOut)
	}
	if got := fmt.Sprint(b.reserved(t, f.roomType.ID, checkIn, checkOut)); got != "[1 1 0 0 0]" {
		t.Fatalf("reserved after the early check-out %s, want [1 1 0 0 0]", got)
	}
	if _, err := at.Hold(guest("next"), holdInput(f, "next", day("2027-03-12"), day("2027-03-14"), 1)); err != nil {
		t.Fatalf("holding the nights given back: %v", err)
	}
	l, err := ledgerOf(ctx, at, held.ID)
	must(t, err)
	if l.Kept != held.Total {
		t.Fatalf("the hotel kept %d of %d", l.Kept, held.Total)
	}
	b.assertInventoryConsistent(t)

	// Checking out on the check-out date (or later) gives nothing back.
	b2 := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f2 := b2.fixture(t, fixtureOpts{rooms: 1})
	h2, err := b2.svc.Hold(ctx, holdInput(f2, "h", checkIn, checkOut, 1))
	must(t, err)
	_, err = b2.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h2.ID, Payment: pay("tok_success")})
	must(t, err)
	out, err = setupClock(b2, time.Date(2027, 3, 15, 9, 0, 0, 0, time.UTC)).CheckOut(b2.admin, h2.ID)
	must(t, err)
	if out.DepartedOn != nil {
		t.Fatalf("checked out on time, departed %v", out.DepartedOn)
	}
	if got := fmt.Sprint(b2.reserved(t, f2.roomType.ID, checkIn, checkOut)); got != "[1 1 1 1 1]" {
		t.Fatalf("reserved after an on-time check-out %s", got)
	}
	b2.assertInventoryConsistent(t)
}

// The desk's today is the hotel's business date, as a hold's: the day runs
// from 06:00 to 06:00. Guests of the night of the 10th check in at 03:00 on
// the 11th, are no-shows only from 06:00 on the 11th, and guests of the 11th
// check in from 06:00 on the 11th. A departure is dated by the calendar:
// leaving at 05:00 on the check-out date is on time.
func TestTheDeskWorksOnTheBusinessDate(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 3})
	staff := staffOf(f.hotel.ID)
	// Paris is UTC+1 in March.
	paris := func(d, hour, minute int) *booking.Service {
		return setupClock(b, time.Date(2027, 3, d, hour-1, minute, 0, 0, time.UTC))
	}
	late := b.book(t, guest("late"), f, "late", day("2027-03-10"), day("2027-03-11"))
	absent := b.book(t, guest("absent"), f, "absent", day("2027-03-10"), day("2027-03-12"))
	next := b.book(t, guest("next"), f, "next", day("2027-03-11"), day("2027-03-13"))

	// 03:00 on the 11th: the night of the 10th is in progress.
	if _, err := paris(11, 3, 0).CheckIn(staff, late.ID); err != nil {
		t.Fatalf("checking in at 03:00 for the night in progress: %v", err)
	}
	if _, err := paris(11, 3, 0).CheckIn(staff, next.ID); code(err) != booking.InvalidState {
		t.Fatalf("checking in at 03:00 for the coming night: %v, want INVALID_STATE (last night's guests may still be in the room)", err)
	}
	if _, err := paris(11, 5, 59).MarkNoShow(staff, absent.ID); code(err) != booking.InvalidState {
		t.Fatalf("a no-show at 05:59 after the check-in date: %v, want INVALID_STATE (the guests may still arrive)", err)
	}
	// 05:00 on the check-out date: on time, the night stays used.
	out, err := paris(11, 5, 0).CheckOut(staff, late.ID)
	must(t, err)
	if out.DepartedOn != nil {
		t.Fatalf("leaving at 05:00 on the check-out date recorded a departure on %v, want on time", out.DepartedOn)
	}
	// 06:00 on the 11th: the night of the 10th is over.
	if _, err := paris(11, 6, 0).MarkNoShow(staff, absent.ID); err != nil {
		t.Fatalf("a no-show at 06:00 the day after check-in: %v", err)
	}
	if _, err := paris(11, 6, 0).CheckIn(staff, next.ID); err != nil {
		t.Fatalf("checking in at 06:00 on the check-in date: %v", err)
	}
	// 23:00 on the 11th: leaving that evening gives the night of the 11th back.
	out, err = paris(11, 23, 0).CheckOut(staff, next.ID)
	must(t, err)
	if out.DepartedOn == nil || !out.DepartedOn.Equal(day("2027-03-11")) {
		t.Fatalf("leaving at 23:00 on the 11th: departed %v, want 2027-03-11", out.DepartedOn)
	}
	if got := fmt.Sprint(b.reserved(t, f.roomType.ID, day("2027-03-10"), day("2027-03-13"))); got != "[1 0 0]" {
		t.Fatalf("reserved %s, want [1 0 0]: the night of the 10th used, the no-show's and the evening departure's nights back on sale", got)
	}
	b.assertInventoryConsistent(t)
}

// relocatedOnItsFirstNight books f's only room for [checkIn, checkOut) and
// blocks it, forced, for the first night: the booking is flagged for
// relocation. It returns the booking and the block.
func (b testBundle) relocatedOnItsFirstNight(t *testing.T, f fixture, checkIn, checkOut time.Time) (booking.Booking, booking.MaintenanceBlock) {
	t.Helper()
	held := b.book(t, guest("cust-1"), f, "k", checkIn, checkOut)
	blocks, affected, err := b.svc.BlockRooms(staffOf(f.hotel.ID), b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID},
		From: checkIn, To: checkIn.AddDate(0, 0, 1), Reason: "leak", Force: true})
	must(t, err)
	if len(affected) != 1 || affected[0].ID != held.ID {
		t.Fatalf("the block flagged %+v, want the booking", affected)
	}
	return held, blocks[0]
}

// A booking maintenance flagged for relocation is not the guests' doing:
// the desk cannot mark it a no-show (the hotel would keep what was paid for
// a room it took away) nor check it out (the guests never had a room); it
// is checked in once a room is free, or cancelled free of charge.
func TestARelocatedBookingIsNeitherANoShowNorCheckedOut(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 15, 0, 0, 0, time.UTC) // 16:00 in Paris
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 1, price: 10000, policy: flexible})
	staff := staffOf(f.hotel.ID)
	held, _ := b.relocatedOnItsFirstNight(t, f, day("2027-03-01"), day("2027-03-03"))
	morning := setupClock(b, time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC))
	for name, move := range map[string]func(context.Context, uuid.UUID) (booking.Booking, error){
		"no-show": morning.MarkNoShow, "check-out": morning.CheckOut} {
		if got, err := move(staff, held.ID); !apperr.HasCode(err, booking.InvalidState) || !strings.Contains(err.Error(), "relocation") {
			t.Errorf("%s of a relocated booking: %s, %v; want INVALID_STATE naming the relocation", name, got.Status, err)
		}
	}
	cancelled, refund, err := morning.Cancel(guest("cust-1"), booking.CancelInput{IdempotencyKey: "c", BookingID: held.ID})
	must(t, err)
	l, err := ledgerOf(b.admin, morning, held.ID)
	must(t, err)
	if cancelled.Status != booking.StatusCancelled || refund == nil || l.Captured == 0 || refund.Amount != l.Captured {
		t.Errorf("cancelled: %s, refund %+v, ledger %+v; want all that was captured refunded", cancelled.Status, refund, l)
	}
	b.assertInventoryConsistent(t)
}

// A booking maintenance flagged for relocation holds no room. Its guests
// check in only into a room the booking claims back: while the block
// stands, check-in is SOLD_OUT and changes nothing; once the works ended
// early, check-in takes the room type's units for the stay again (in SQL:
// reserved = capacity on each night), the booking is no longer flagged, and
// the hotel's only room is not sold a second time.
func TestARelocatedBookingChecksInOnlyIntoARoomItClaims(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 15, 0, 0, 0, time.UTC) // 16:00 in Paris
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 1, price: 10000, policy: flexible})
	staff := staffOf(f.hotel.ID)
	checkIn, checkOut := day("2027-03-01"), day("2027-03-03")
	held, block := b.relocatedOnItsFirstNight(t, f, checkIn, checkOut)

	_, err := b.svc.CheckIn(staff, held.ID)
	if !apperr.HasCode(err, booking.SoldOut) || !strings.Contains(err.Error(), "relocation") {
		t.Fatalf("checking in a relocated booking while its room is blocked: %v, want SOLD_OUT naming the relocation", err)
	}
	still, err := b.svc.Booking(staff, held.ID)
	must(t, err)
	if still.Status != booking.StatusConfirmed || !still.RelocationRequired {
		t.Fatalf("after the refused check-in the booking is %s (flagged %v), want CONFIRMED and flagged", still.Status, still.RelocationRequired)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); !slices.Equal(got, []int{0, 0}) {
		t.Fatalf("the refused check-in left reserved units %v, want [0 0]", got)
	}

	_, err = endBlock(staff, b.svc, block, "")
	must(t, err)
	in, err := b.svc.CheckIn(staff, held.ID)
	if err != nil || in.Status != booking.StatusCheckedIn || in.RelocationRequired {
		t.Fatalf("check-in once the room is back: %s (flagged %v), %v; want CHECKED_IN, not flagged", in.Status, in.RelocationRequired, err)
	}
	if got, capacity := b.reserved(t, f.roomType.ID, checkIn, checkOut), b.capacity(t, f.roomType.ID, checkIn, checkOut); !slices.Equal(got, []int{1, 1}) || !slices.Equal(capacity, []int{1, 1}) {
		t.Fatalf("after check-in: reserved %v of capacity %v, want [1 1] of [1 1]", got, capacity)
	}
	if other, err := b.svc.Hold(guest("cust-2"), holdInput(f, "h2", checkIn, checkOut, 1)); !apperr.HasCode(err, booking.SoldOut) {
		t.Fatalf("the only room, its guests in the house, was held again: %s %v, want SOLD_OUT", other.Reference, err)
	}
	b.assertInventoryConsistent(t)
}

// Guests of a relocated booking who arrive on a later day of their stay
// (its first night blocked, spent elsewhere) claim their room from that day:
// the past night, still blocked, is not claimed (it could never be), the
// nights left are, and the inventory's invariants hold in SQL (the booking
// holds its rooms from the day it arrived).
func TestARelocatedBookingArrivingLateClaimsTheNightsLeft(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 15, 0, 0, 0, time.UTC) // 16:00 in Paris
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 1, price: 10000, policy: flexible})
	staff := staffOf(f.hotel.ID)
	checkIn, checkOut := day("2027-03-01"), day("2027-03-04")
	held, _ := b.relocatedOnItsFirstNight(t, f, checkIn, checkOut)
	// 01:30 on the 2nd in Paris is still the 1st at the desk (its business
	// date): the blocked night is in progress, so no room to claim
	if _, err := setupClock(b, time.Date(2027, 3, 2, 0, 30, 0, 0, time.UTC)).CheckIn(staff, held.ID); !apperr.HasCode(err, booking.SoldOut) {
		t.Fatalf("checking in during the blocked night: %v, want SOLD_OUT", err)
	}
	// 10:00 on the 2nd: the block is over
	in, err := setupClock(b, time.Date(2027, 3, 2, 9, 0, 0, 0, time.UTC)).CheckIn(staff, held.ID)
	if err != nil || in.Status != booking.StatusCheckedIn || in.RelocationRequired {
		t.Fatalf("arriving on the 2nd, the room free for the nights left: %s (flagged %v), %v; want CHECKED_IN", in.Status, in.RelocationRequired, err)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); !slices.Equal(got, []int{0, 1, 1}) {
		t.Fatalf("reserved %v over the stay, want [0 1 1]: the nights from the day the guests came", got)
	}
	b.assertInventoryConsistent(t)
}

// Guests who leave at 01:00 keep the night they slept; at 02:00 that night
// is still the hotel's today (until 06:00), so taking their room out of
// service would leave fewer rooms than the night used. The refusal says so
// and when the change can be made, rather than blaming "guests in the
// house" it cannot name; at 06:00 it goes through.
func TestARoomLeftDuringTheNightGoesOutOfServiceAtSixInTheMorning(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 1})
	staff := staffOf(f.hotel.ID)
	bk := b.book(t, guest("g"), f, "k", day("2027-03-10"), day("2027-03-12"))
	_, err := setupClock(b, time.Date(2027, 3, 10, 13, 0, 0, 0, time.UTC)).CheckIn(staff, bk.ID)
	must(t, err)
	_, err = setupClock(b, time.Date(2027, 3, 11, 0, 0, 0, 0, time.UTC)).CheckOut(staff, bk.ID) // 01:00 in Paris
	must(t, err)
	night := setupClock(b, time.Date(2027, 3, 11, 1, 0, 0, 0, time.UTC)) // 02:00
	_, _, err = night.SetRoomService(staff, b.catalog, f.rooms[0].ID, f.rooms[0].Version, false, "broken", true)
	if code(err) != booking.MaintenanceConflict || !strings.Contains(err.Error(), "06:00") || strings.Contains(err.Error(), "()") {
		t.Fatalf("out of service at 02:00: %v, want MAINTENANCE_CONFLICT saying it can be done from 06:00", err)
	}
	morning := setupClock(b, time.Date(2027, 3, 11, 5, 0, 0, 0, time.UTC)) // 06:00
	_, _, err = morning.SetRoomService(staff, b.catalog, f.rooms[0].ID, f.rooms[0].Version, false, "broken", true)
	must(t, err)
	c, err := booking.CheckInventory(context.Background(), b.pool, time.Date(2027, 3, 11, 5, 0, 0, 0, time.UTC))
	must(t, err)
	if c != (booking.InventoryCheck{}) {
		t.Errorf("inventory at 06:00: %+v", c)
	}
}
