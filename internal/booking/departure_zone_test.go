package booking_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// Guests of a relocated booking who arrive on a later day hold their room
// from that day (holds_from). When the hotel's zone is then corrected far
// westwards (Tokyo to Los Angeles), the calendar date they leave on at the
// desk can fall before the day they arrived: their departure counts from
// the day they arrived. It handed back a night their room never held,
// taking another booking's unit off the count, and that night was sold a
// second time.
func TestAnEarlyDepartureNeverReleasesANightBeforeTheArrival(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 5, 0, 0, 0, time.UTC)) // 14:00 on the 1st in Tokyo
	f := b.fixture(t, fixtureOpts{zone: "Asia/Tokyo", rooms: 2, price: 10000, policy: flexible})
	staff := staffOf(f.hotel.ID)
	other := b.book(t, guest("other"), f, "other", day("2027-03-01"), day("2027-03-02"))
	late := b.book(t, guest("late"), f, "late", day("2027-03-01"), day("2027-03-04"))
	// the first night's room breaks: the newest booking is relocated
	_, affected, err := b.svc.BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID},
		From: day("2027-03-01"), To: day("2027-03-02"), Reason: "leak", Force: true})
	must(t, err)
	if len(affected) != 1 || affected[0].ID != late.ID {
		t.Fatalf("relocated %+v, want %s", affected, late.Reference)
	}
	// 10:00 on the 2nd in Tokyo: they arrive, their room is theirs from the 2nd
	_, err = setupClock(b, time.Date(2027, 3, 2, 1, 0, 0, 0, time.UTC)).CheckIn(staff, late.ID)
	must(t, err)
	if got := fmt.Sprint(b.reserved(t, f.roomType.ID, day("2027-03-01"), day("2027-03-04"))); got != "[1 1 1]" {
		t.Fatalf("reserved after the late arrival %s, want [1 1 1]", got)
	}
	// The zone was wrong: the hotel is in Los Angeles (18:00 on the 1st there).
	at := time.Date(2027, 3, 2, 2, 0, 0, 0, time.UTC)
	zone := "America/Los_Angeles"
	h, err := b.catalog.Hotel(b.admin, f.hotel.ID)
	must(t, err)
	_, err = b.catalog.WithClock(func() time.Time { return at }).UpdateHotel(b.admin, f.hotel.ID, h.Version, catalog.HotelPatch{TimeZone: &zone})
	must(t, err)
	desk := setupClock(b, at)
	out, err := desk.CheckOut(staff, late.ID)
	if err != nil {
		t.Fatalf("checking out the guests in the house: %v", err)
	}
	if got := out.DepartedOn; got == nil || got.Format(time.DateOnly) != "2027-03-02" {
		t.Errorf("departed on %v, want 2027-03-02, the day they arrived", got)
	}
	if got := fmt.Sprint(b.reserved(t, f.roomType.ID, day("2027-03-01"), day("2027-03-04"))); got != "[1 0 0]" {
		t.Errorf("reserved after the early departure %s, want [1 0 0]: the night of the 1st is %s's, the late guests never held it", got, other.Reference)
	}
	c, err := booking.CheckInventory(t.Context(), b.pool, at)
	must(t, err)
	if c.Miscounted != 0 || c.Oversold != 0 {
		t.Errorf("CheckInventory after the early departure: %+v", c)
	}
	// The night of the 1st (in progress in Los Angeles) has one room in
	// service, and it is the other guests'.
	if again, err := desk.Hold(guest("third"), holdInput(f, "third", day("2027-03-01"), day("2027-03-02"), 1)); code(err) != booking.SoldOut {
		t.Errorf("holding the night of the 1st, its only room in service taken by %s: booking %s, %v; want SOLD_OUT", other.Reference, again.Reference, err)
	}
}
