package booking_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// A group books rooms of several room types, each room with its own party
// and guests, in one hold: every room or none. While one room type is full
// on one night of the stay, the hold is SOLD_OUT and reserves nothing of
// the others; once that night is free, every night of every room type
// counts the group's rooms, each room keeps its party and guests, and
// cancelling hands every unit back.
func TestGroupHoldIsEveryRoomOrNone(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 3, policy: flexible})
	familyType, err := b.catalog.CreateRoomType(b.admin, f.hotel.ID,
		catalog.RoomTypeFields{Name: "Family", MaxAdults: 2, MaxChildren: 2, MaxOccupancy: 4})
	must(t, err)
	_, err = b.svc.AddRooms(b.admin, b.catalog, familyType.ID, []string{"201"})
	must(t, err)
	family := fixture{hotel: f.hotel, roomType: familyType}
	family.plan = b.ratePlan(t, family, flexible, catalog.DepositPolicy{Kind: catalog.DepositFull}, time.Time{}, 18000)

	in, out := day("2027-03-20"), day("2027-03-23")
	group := func(key string) booking.HoldInput {
		g := holdInput(f, key, in, out, 2) // two doubles, two adults each
		g.Rooms = append(g.Rooms, booking.RoomRequest{RatePlanID: family.plan.ID,
			Party:  booking.Party{Adults: 2, ChildAges: []int{4, 9}},
			Guests: []booking.GuestName{{GivenName: "Léa", FamilyName: "Martin"}, {GivenName: "Tom", FamilyName: "Martin"}}})
		return g
	}
	organiser := guest("organiser")

	// Someone else has the only family room on the middle night.
	other, err := b.svc.Hold(guest("other"), holdInput(family, "other", day("2027-03-21"), day("2027-03-22"), 1))
	must(t, err)
	_, err = b.svc.Hold(organiser, group("g1"))
	if code(err) != booking.SoldOut {
		t.Fatalf("group hold with the family room taken on one night: %v (code %q), want SOLD_OUT", err, code(err))
	}
	// The error names the room that cannot be had: the third, the family room.
	if all, _ := apperr.All(err); !slices.Equal(all[0].Field, []string{"input", "rooms", "2"}) || !strings.Contains(all[0].Message, "room 3, Family") {
		t.Fatalf("SOLD_OUT %+v, want it on input.rooms.2 (room 3, Family)", all[0])
	}
	if got := b.reserved(t, f.roomType.ID, in, out); !slices.Equal(got, []int{0, 0, 0}) {
		t.Fatalf("doubles reserved %v after the refused group, want none", got)
	}
	if got := b.reserved(t, familyType.ID, in, out); !slices.Equal(got, []int{0, 1, 0}) {
		t.Fatalf("family rooms reserved %v after the refused group, want only the other guest's night", got)
	}
	if mine, err := b.svc.ViewerBookings(organiser, uuid.NullUUID{}, 10); err != nil || len(mine) != 0 {
		t.Fatalf("the refused group left bookings %v (%v)", bookingIDs(mine), err)
	}

	// The other guest lets the room go: the same group now gets every room.
	_, _, err = b.svc.Cancel(guest("other"), booking.CancelInput{IdempotencyKey: "c-other", BookingID: other.ID})
	must(t, err)
	held, err := b.svc.Hold(organiser, group("g2"))
	must(t, err)
	if got := b.reserved(t, f.roomType.ID, in, out); !slices.Equal(got, []int{2, 2, 2}) {
		t.Fatalf("doubles reserved %v, want the group's 2 every night", got)
	}
	if got := b.reserved(t, familyType.ID, in, out); !slices.Equal(got, []int{1, 1, 1}) {
		t.Fatalf("family rooms reserved %v, want the group's 1 every night", got)
	}
	if want := int64(3 * (2*10000 + 18000)); held.RoomAmount != want {
		t.Fatalf("group room amount %d, want %d (3 nights of two doubles and a family room)", held.RoomAmount, want)
	}
	rooms, err := b.svc.RoomsOf(context.Background(), []uuid.UUID{held.ID})
	must(t, err)
	got := rooms[held.ID]
	slices.SortFunc(got, func(a, b booking.BookedRoom) int { return a.Position - b.Position })
	if len(got) != 3 || got[0].RoomTypeID != f.roomType.ID || got[1].RoomTypeID != f.roomType.ID || got[2].RoomTypeID != familyType.ID ||
		got[2].Adults != 2 || !slices.Equal(got[2].ChildAges, []int{4, 9}) || got[0].Adults != 2 || len(got[0].ChildAges) != 0 {
		t.Fatalf("booked rooms %+v, want two doubles of 2 adults then the family room of 2 adults and children of 4 and 9", got)
	}
	guests, err := b.svc.GuestsOf(context.Background(), []uuid.UUID{held.ID})
	must(t, err)
	var inFamilyRoom []string
	for _, g := range guests[held.ID] {
		if g.Room != nil && *g.Room == got[2].Position {
			inFamilyRoom = append(inFamilyRoom, g.GivenName)
		}
	}
	if len(guests[held.ID]) != 4 || !slices.Equal(inFamilyRoom, []string{"Léa", "Tom"}) {
		t.Fatalf("guests %+v, want 4 with Léa and Tom in the family room", guests[held.ID])
	}
	b.assertInventoryConsistent(t)

	// Cancelling the group hands back every unit of every room type.
	_, _, err = b.svc.Cancel(organiser, booking.CancelInput{IdempotencyKey: "c-group", BookingID: held.ID})
	must(t, err)
	if got := append(b.reserved(t, f.roomType.ID, in, out), b.reserved(t, familyType.ID, in, out)...); !slices.Equal(got, []int{0, 0, 0, 0, 0, 0}) {
		t.Fatalf("reserved after cancelling the group %v, want none", got)
	}
	b.assertInventoryConsistent(t)
}

// Four rooms of a type with three free: the room that cannot be had is the
// fourth, not the first of the type.
func TestSoldOutNamesTheRoomBeyondWhatIsFree(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 3, policy: flexible})
	_, err := b.svc.Hold(guest("four"), holdInput(f, "four", day("2027-03-20"), day("2027-03-22"), 4))
	if all, _ := apperr.All(err); code(err) != booking.SoldOut || !slices.Equal(all[0].Field, []string{"input", "rooms", "3"}) ||
		!strings.Contains(all[0].Message, "room 4,") {
		t.Fatalf("four rooms of three: %v, want SOLD_OUT on input.rooms.3 (room 4)", err)
	}
	// One already held elsewhere: the third is the one short.
	_, err = b.svc.Hold(guest("one"), holdInput(f, "one", day("2027-03-21"), day("2027-03-22"), 1))
	must(t, err)
	_, err = b.svc.Hold(guest("three"), holdInput(f, "three", day("2027-03-20"), day("2027-03-22"), 3))
	if all, _ := apperr.All(err); code(err) != booking.SoldOut || !slices.Equal(all[0].Field, []string{"input", "rooms", "2"}) {
		t.Fatalf("three rooms of two free: %v, want SOLD_OUT on input.rooms.2", err)
	}
	// Nights that differ: 2 free on the first, none on the second. The stay
	// has none: the first room is already short.
	_, err = b.svc.Hold(guest("all"), holdInput(f, "all", day("2027-03-25"), day("2027-03-26"), 3))
	must(t, err)
	_, err = b.svc.Hold(guest("one more"), holdInput(f, "one more", day("2027-03-24"), day("2027-03-25"), 1))
	must(t, err)
	_, err = b.svc.Hold(guest("late"), holdInput(f, "late", day("2027-03-24"), day("2027-03-26"), 3))
	if all, _ := apperr.All(err); code(err) != booking.SoldOut || !slices.Equal(all[0].Field, []string{"input", "rooms", "0"}) {
		t.Fatalf("three rooms, 2 and 0 free: %v, want SOLD_OUT on input.rooms.0", err)
	}
}

// A guest's name that shows as nothing (a zero-width space, a Hangul
// filler) is as empty as a blank one: the hold names the guest at fault and
// reserves nothing.
func TestInvisibleGuestNamesAreEmpty(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 3})
	in := holdInput(f, "blank", day("2027-03-10"), day("2027-03-11"), 2)
	in.Rooms[1].Guests = []booking.GuestName{{GivenName: "Rui", FamilyName: "Lima"}, {GivenName: "\u200b", FamilyName: "\u3164 \u2800"}}
	_, err := b.svc.Hold(guest("ana"), in)
	if all, _ := apperr.All(err); len(all) != 1 || all[0].Code != apperr.InvalidInput || join(all[0].Field) != "input.rooms.1.guests.1" {
		t.Fatalf("a guest named only by invisible characters: %v, want INVALID_INPUT on input.rooms.1.guests.1", err)
	}
	if got := b.reserved(t, f.roomType.ID, day("2027-03-10"), day("2027-03-11")); got[0] > 0 {
		t.Fatalf("reserved %v after the refused hold, want nothing", got)
	}
}
