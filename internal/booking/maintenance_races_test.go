package booking_test

// Maintenance racing other operations on the same room type, against the
// real database.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/booking"
)

// The guests of a confirmed booking arrive (the desk checks them in) while
// another member of staff blocks the hotel's only room, forced, for
// tonight. Either the check-in wins and the block is refused (a guest in
// the house is never relocated: MAINTENANCE_CONFLICT), or the block wins
// and the check-in is refused (the booking changed, or its room is gone).
// Never both: a booking CHECKED_IN whose room went back on sale, flagged for
// relocation, after the desk was told the check-in succeeded.
func TestCheckInRacingAForcedBlockNeverRelocatesTheGuestsInTheHouse(t *testing.T) {
	t.Parallel()
	for _, outOfService := range []bool{false, true} {
		t.Run(map[bool]string{false: "forced block", true: "forced out of service"}[outOfService], func(t *testing.T) {
			t.Parallel()
			checkInRacingForcedMaintenance(t, outOfService)
		})
	}
}

func checkInRacingForcedMaintenance(t *testing.T, outOfService bool) {
	const rounds = 30
	base := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC) // 12:00 in Paris
	b := setup(t, base)
	f := b.fixture(t, fixtureOpts{rooms: 1})
	staff := staffOf(f.hotel.ID)
	bad := 0
	for i := range rounds {
		room, err := b.catalog.Room(staff, f.rooms[0].ID)
		must(t, err)
		now := base.AddDate(0, 0, 2*i)
		at := b
		at.svc = setupClock(b, now)
		svc := at.svc
		d := booking.Date(now)
		bk := at.book(t, guest("g"), f, fmt.Sprint("k", i), d, d.AddDate(0, 0, 2))
		var in booking.Booking
		var affected []booking.AffectedBooking
		errs := race(2, func(j int) (err error) {
			if j == 0 {
				in, err = svc.CheckIn(staff, bk.ID)
				return err
			}
			if outOfService {
				_, affected, err = svc.SetRoomService(staff, b.catalog, room.ID, room.Version, false, "broken", true)
				return err
			}
			_, affected, err = svc.BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID},
				From: d, To: d.AddDate(0, 0, 1), Reason: "leak", Force: true})
			return err
		})
		var status string
		var flagged bool
		var holding int
		must(t, b.pool.QueryRow(context.Background(), `SELECT status, relocation_required,
			(SELECT count(*) FROM booking_rooms WHERE booking_id = $1 AND holds_inventory)::int FROM bookings WHERE id = $1`, bk.ID).Scan(&status, &flagged, &holding))
		if errs[0] == nil && errs[1] == nil || status == string(booking.StatusCheckedIn) && (flagged || holding == 0) {
			bad++
			t.Errorf("round %d: check-in %v (returned %s, flagged %v), block %v (affected %d); booking now %s, flagged %v, rooms holding units %d",
				i, errs[0], in.Status, in.RelocationRequired, errs[1], len(affected), status, flagged, holding)
		}
		for j, err := range errs {
			if code(err) == "INTERNAL" || err != nil && code(err) == "" {
				t.Errorf("round %d: racer %d: internal error %v", i, j, err)
			}
		}
		if outOfService && errs[1] == nil { // back in service for the next round
			room, err := b.catalog.Room(staff, f.rooms[0].ID)
			must(t, err)
			_, _, err = svc.SetRoomService(staff, b.catalog, room.ID, room.Version, true, "", false)
			must(t, err)
		}
		// (nights before today keep the capacity they were sold with: checked
		// once the room is back in service)
		b.assertInventoryConsistent(t)
	}
	if bad > 0 {
		t.Fatalf("%d of %d rounds checked guests in whose room the maintenance then took", bad, rounds)
	}
}

// Staff take a room out of service while another member of staff blocks a
// different room of the same type for nights far ahead (renovation planned
// for next year, beyond the nights already on the calendar): each night's
// capacity ends up the type's rooms in service less its blocks. A night
// whose row the block created while the room was leaving service would
// otherwise keep selling the room that is out of service once it comes
// into the booking horizon.
func TestOutOfServiceRacingAFarBlockOfTheSameType(t *testing.T) {
	t.Parallel()
	const rounds = 20
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 3})
	staff := staffOf(f.hotel.ID)
	bad := 0
	for i := range rounds {
		far := booking.Date(now).AddDate(0, 0, booking.MaxBlockDaysAhead-rounds*3+3*i)
		// Each round starts with no rows beyond the nights on the calendar,
		// as before the hotel's first far block.
		_, err := b.pool.Exec(context.Background(), `DELETE FROM maintenance_blocks WHERE start_night > $1`, booking.Date(now).AddDate(0, 0, 400))
		must(t, err)
		_, err = b.pool.Exec(context.Background(), `DELETE FROM inventory WHERE night > $1`, booking.Date(now).AddDate(0, 0, 400))
		must(t, err)
		room, err := b.catalog.Room(staff, f.rooms[0].ID)
		must(t, err)
		errs := race(2, func(j int) error {
			if j == 0 {
				_, _, err := b.svc.SetRoomService(staff, b.catalog, room.ID, room.Version, false, "broken", false)
				return err
			}
			_, _, err := b.svc.BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[1+i%2].ID}, From: far, To: far.AddDate(0, 0, 1), Reason: "renovation"})
			return err
		})
		for j, err := range errs {
			if err != nil {
				t.Errorf("round %d racer %d: %v", i, j, err)
			}
		}
		c, err := booking.CheckInventory(context.Background(), b.pool, b.now)
		must(t, err)
		if c.WrongCapacity > 0 {
			bad++
			t.Errorf("round %d: %d nights' capacity differs from the rooms in service and not blocked", i, c.WrongCapacity)
			_, err = b.pool.Exec(context.Background(), `UPDATE inventory SET capacity = room_type_capacity(room_type_id, night) WHERE capacity <> room_type_capacity(room_type_id, night)`)
			must(t, err)
		}
		room, err = b.catalog.Room(staff, f.rooms[0].ID)
		must(t, err)
		_, _, err = b.svc.SetRoomService(staff, b.catalog, room.ID, room.Version, true, "", false)
		must(t, err)
	}
	if bad > 0 {
		t.Fatalf("%d of %d rounds left nights of the wrong capacity", bad, rounds)
	}
}
