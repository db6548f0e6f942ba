package booking_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// correctZoneWest books guests (one room each) for the night of the 9th in a
// Paris hotel of two rooms, takes its second room out of service at 07:00 in
// Paris on the 10th (the night of the 9th is over there), then corrects the
// hotel's zone to New York, where it is 01:00 and that night is in progress
// and on sale again. It returns the hotel, a desk on that clock and what
// the correction answered.
func correctZoneWest(t *testing.T, guests int) (testBundle, fixture, *booking.Service, time.Time, error) {
	t.Helper()
	b := setup(t, time.Date(2027, 3, 9, 11, 0, 0, 0, time.UTC)) // 12:00 in Paris on the 9th
	f := b.fixture(t, fixtureOpts{rooms: 2})
	for i := range guests {
		b.book(t, guest(fmt.Sprint("g", i)), f, fmt.Sprint("k", i), day("2027-03-09"), day("2027-03-10"))
	}
	at := time.Date(2027, 3, 10, 6, 0, 0, 0, time.UTC)
	desk := setupClock(b, at)
	_, _, err := desk.SetRoomService(staffOf(f.hotel.ID), b.catalog, f.rooms[1].ID, f.rooms[1].Version, false, "broken window", false)
	must(t, err)
	zone := "America/New_York"
	h, err := b.catalog.Hotel(b.admin, f.hotel.ID)
	must(t, err)
	_, err = b.catalog.WithClock(func() time.Time { return at }).UpdateHotel(b.admin, f.hotel.ID, h.Version, catalog.HotelPatch{TimeZone: &zone})
	return b, f, desk, at, err
}

// A hotel whose zone is corrected westwards may find its business date a
// day earlier: the night in progress there is on sale again. A room taken
// out of service after that night ended on the old clock is not sold for
// it: the zone change computes the night's capacity again. (It kept the
// capacity it had, and the room was sold twice.)
func TestAZoneCorrectedWestSellsNoRoomOutOfService(t *testing.T) {
	t.Parallel()
	b, f, desk, at, err := correctZoneWest(t, 1)
	must(t, err)
	c, err := booking.CheckInventory(t.Context(), b.pool, at)
	must(t, err)
	if c.WrongCapacity != 0 {
		t.Errorf("CheckInventory at %s: %d night(s) on sale whose capacity counts a room out of service", at.Format(time.RFC3339), c.WrongCapacity)
	}
	// One room is in service, and the first guest has it.
	held, err := desk.Hold(guest("g2"), holdInput(f, "second", day("2027-03-09"), day("2027-03-10"), 1))
	if code(err) != booking.SoldOut {
		t.Fatalf("holding the night of the 9th with its only room in service taken: %v (booking %s), want SOLD_OUT; capacity %v reserved %v",
			err, held.Reference, b.capacity(t, f.roomType.ID, day("2027-03-09"), day("2027-03-10")),
			fmt.Sprint(b.reserved(t, f.roomType.ID, day("2027-03-09"), day("2027-03-10"))))
	}
}

// The same correction where both rooms were sold for the night in progress
// is refused (CONFLICT, naming the night): the night would be on sale with
// two guests and one room, and guests of a night in progress cannot be
// moved. Nothing changes: the hotel keeps its zone, the night its capacity.
// (The correction had kept the night at its two guests, and a cancellation
// then sold the room out of service again; ending a block or putting a room
// back failed on it.)
func TestAZoneCorrectedWestOverAFullNightIsRefused(t *testing.T) {
	t.Parallel()
	b, f, desk, at, err := correctZoneWest(t, 2)
	if code(err) != "CONFLICT" || !strings.Contains(err.Error(), "the night of 2027-03-09 is still on sale") {
		t.Fatalf("correcting the zone over a night of two guests and one room: %v, want CONFLICT naming the night", err)
	}
	h, err := b.catalog.Hotel(b.admin, f.hotel.ID)
	must(t, err)
	if h.TimeZone != "Europe/Paris" {
		t.Errorf("the hotel's zone is %s after the refusal", h.TimeZone)
	}
	if got := fmt.Sprint(b.capacity(t, f.roomType.ID, day("2027-03-09"), day("2027-03-10"))); got != "[2]" {
		t.Errorf("capacity of the night of the 9th: %s, want [2] (over on the hotel's clock)", got)
	}
	// the correction goes through once the night is over in New York
	later, newYork := at.Add(6*time.Hour), "America/New_York"
	_, err = b.catalog.WithClock(func() time.Time { return later }).UpdateHotel(b.admin, f.hotel.ID, h.Version, catalog.HotelPatch{TimeZone: &newYork})
	must(t, err)
	c, err := booking.CheckInventory(t.Context(), b.pool, later)
	must(t, err)
	if c != (booking.InventoryCheck{}) {
		t.Errorf("CheckInventory after the correction: %+v", c)
	}
	if _, err := desk.Hold(guest("g3"), holdInput(f, "third", day("2027-03-10"), day("2027-03-11"), 2)); code(err) != booking.SoldOut {
		t.Errorf("holding two rooms of the 10th with one in service: %v, want SOLD_OUT", err)
	}
}

// A room taken out of service while the zone correction commits counts
// from the business date of the zone it committed: it reads the zone after
// the room type's lock, which the correction holds. (It read the zone
// before, counted from the old zone's later date, and left the reopened
// night selling the room.)
func TestARoomLeavingServiceDuringAZoneCorrectionCountsTheReopenedNight(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 9, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 2})
	b.book(t, guest("g"), f, "k", day("2027-03-09"), day("2027-03-10"))
	at := time.Date(2027, 3, 10, 6, 0, 0, 0, time.UTC) // 07:00 in Paris, 01:00 in New York
	desk := setupClock(b, at)

	// the correction, as UpdateHotel makes it, not yet committed
	ctx := t.Context()
	correction, err := b.pool.Begin(ctx)
	must(t, err)
	defer correction.Rollback(ctx) //nolint:errcheck
	_, err = correction.Exec(ctx, `SELECT 1 FROM room_types WHERE hotel_id = $1 ORDER BY id FOR NO KEY UPDATE`, f.hotel.ID)
	must(t, err)
	_, err = correction.Exec(ctx, `UPDATE hotels SET time_zone = 'America/New_York', version = version + 1 WHERE id = $1`, f.hotel.ID)
	must(t, err)

	out := make(chan error, 1)
	go func() {
		_, _, err := desk.SetRoomService(staffOf(f.hotel.ID), b.catalog, f.rooms[1].ID, f.rooms[1].Version, false, "broken window", false)
		out <- err
	}()
	waitForLockWait(t, b, "%room_types%FOR NO KEY UPDATE%")
	must(t, correction.Commit(ctx))
	must(t, <-out)

	if got := fmt.Sprint(b.capacity(t, f.roomType.ID, day("2027-03-09"), day("2027-03-10"))); got != "[1]" {
		t.Errorf("capacity of the night of the 9th, in progress in New York: %s, want [1]", got)
	}
	if _, err := desk.Hold(guest("g2"), holdInput(f, "k2", day("2027-03-09"), day("2027-03-10"), 1)); code(err) != booking.SoldOut {
		t.Errorf("holding the night of the 9th, its only room in service taken: %v, want SOLD_OUT", err)
	}
}
