package booking_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// A group of a double and the family room, 30 % deposit each, confirmed.
// Maintenance takes the family room for the stay (forced): the booking is
// flagged for relocation and its family room no longer holds a unit.
// Paying the balance then must not charge the guest the full total (the
// family room the hotel cannot give them included): a flagged booking is
// refused by every other money/front-desk move until staff move the guests
// (check-out, no-show) and cancelling it is free.
func TestRelocatedGroupIsNotChargedItsBalance(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	deposit := catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30}
	doubles := b.fixture(t, fixtureOpts{rooms: 2, price: 10000, deposit: deposit})
	rt, err := b.catalog.CreateRoomType(b.admin, doubles.hotel.ID, catalog.RoomTypeFields{Name: "Family", MaxAdults: 2, MaxChildren: 2, MaxOccupancy: 4})
	must(t, err)
	rooms, err := b.svc.AddRooms(b.admin, b.catalog, rt.ID, []string{"201"})
	must(t, err)
	family := fixture{hotel: doubles.hotel, roomType: rt, rooms: rooms}
	family.plan = b.ratePlan(t, family, flexible, deposit, time.Time{}, 18000)

	in, out := day("2027-04-10"), day("2027-04-13")
	ctx := guest("group")
	held, err := b.svc.Hold(ctx, groupInput(doubles, family, "group", in, out))
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: pay("tok_success")})
	must(t, err)
	_, affected, err := b.svc.BlockRooms(staffOf(doubles.hotel.ID), b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{family.rooms[0].ID},
		From: in, To: out, Reason: "leak", Force: true})
	must(t, err)
	if len(affected) != 1 || affected[0].ID != held.ID {
		t.Fatalf("affected %+v, want the group", affected)
	}

	_, err = b.svc.PayBalance(ctx, booking.PayBalanceInput{IdempotencyKey: "bal", BookingID: held.ID, Payment: pay("tok_success")})
	l, lerr := ledgerOf(ctx, b.svc, held.ID)
	must(t, lerr)
	if err == nil && l.Captured == held.Total {
		t.Fatalf("a group whose family room maintenance took was charged its whole balance: captured %d of total %d "+
			"(%d of it for the family room it no longer has); want INVALID_STATE (flagged for relocation) and nothing charged",
			l.Captured, held.Total, 3*18000)
	}
	if code(err) != booking.InvalidState {
		t.Fatalf("paying the balance of a booking flagged for relocation: %v, want INVALID_STATE", err)
	}
}

// A hold asks for 1 to booking.MaxRooms rooms. A request for more is refused
// for that, on input.rooms, whatever else is wrong with it: the caller must
// not get one error per room (a 12-room group, or 6,000 rooms in a 256 KB
// body, answered with as many "name at least one guest" errors and never
// told the real limit).
func TestHoldOfTooManyRoomsIsRefusedByCount(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 3})
	in := holdInput(f, "many", day("2027-03-10"), day("2027-03-11"), 500)
	for i := range in.Rooms {
		in.Rooms[i].Guests = nil // a client that names guests later
	}
	_, err := b.svc.Hold(guest("agent"), in)
	all, _ := apperr.All(err)
	limit := slices.ContainsFunc(all, func(e *apperr.Error) bool {
		return join(e.Field) == "input.rooms" && strings.Contains(e.Message, "1 to 9 rooms")
	})
	if !limit || len(all) > 10 {
		t.Fatalf("a hold of 500 rooms: %d errors (first %v), want the rooms limit (INVALID_INPUT on input.rooms: ask for 1 to %d rooms) among at most a few",
			len(all), all[0], booking.MaxRooms)
	}
}
