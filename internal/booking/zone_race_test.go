package booking_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/postgres"
)

// A hotel's zone is corrected back and forth between Tokyo and Los Angeles
// (at 06:00 UTC on the 10th the business date is the 10th in Tokyo, the 9th
// in Los Angeles: each westward correction reopens the night of the 9th and
// recomputes the hotel's capacity) while guests hold, confirm and cancel,
// staff take a room out of service and back, add rooms, block a room forced
// and end the block, and the desk checks guests in and out. No operation
// fails with anything but a business error (a deadlock handed to the caller
// is a bug), and afterwards no night is oversold or miscounted, and the only
// nights whose capacity differs from their rooms are full ones with more
// reservations than rooms in service (RefreshHotelCapacity keeps those).
func TestZoneCorrectionsRacingCapacityChangesAndBookings(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 10, 6, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{zone: "America/Los_Angeles", rooms: 4})
	staff := staffOf(f.hotel.ID)
	d9, d10 := day("2027-03-09"), day("2027-03-10")
	var desk []booking.Booking // confirmed bookings for the desk to check in and out
	for i := range 3 {
		desk = append(desk, b.book(t, guest(fmt.Sprint("d", i)), f, fmt.Sprint("d", i), d9.AddDate(0, 0, i%2), d10.AddDate(0, 0, 1)))
	}
	var mu sync.Mutex
	var bad []string
	seen := map[string]int{}
	check := func(who string, err error, ok ...apperr.Code) {
		mu.Lock()
		seen[fmt.Sprint(strings.SplitN(who, " ", 2)[0], ":", code(err))]++
		mu.Unlock()
		if err == nil || code(err) != "" && code(err) != "INTERNAL" && slices.Contains(ok, code(err)) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if postgres.IsDeadlock(err) || strings.Contains(err.Error(), "40P01") {
			who += " (DEADLOCK returned to the caller)"
		}
		bad = append(bad, fmt.Sprintf("%s: [%s] %v", who, code(err), err))
	}
	arrivals := make(chan booking.Booking, 1000) // confirmed by the guests below
	deadline := time.Now().Add(4 * time.Second)
	race(6, func(w int) error {
		for i := 0; time.Now().Before(deadline); i++ {
			switch w {
			case 0: // zone corrections, west and east
				h, err := b.catalog.Hotel(b.admin, f.hotel.ID)
				must(t, err)
				zone := map[bool]string{true: "Asia/Tokyo", false: "America/Los_Angeles"}[h.TimeZone != "Asia/Tokyo"]
				_, err = b.catalog.UpdateHotel(b.admin, f.hotel.ID, h.Version, catalog.HotelPatch{TimeZone: &zone})
				check("zone to "+zone, err, apperr.StaleVersion, apperr.Conflict)
				time.Sleep(5 * time.Millisecond)
			case 1, 2: // guests: hold, then confirm or cancel
				g := guest(fmt.Sprint("g", w, "-", i))
				in := d9.AddDate(0, 0, i%3)
				held, err := b.svc.Hold(g, holdInput(f, "k", in, in.AddDate(0, 0, 1+i%2), 1))
				check("hold", err, booking.SoldOut, apperr.InvalidInput, booking.NotBookable)
				if err != nil {
					continue
				}
				_, err = b.svc.Confirm(g, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID,
					Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
				check("confirm", err, booking.InvalidState, booking.HoldExpired)
				if err == nil && i%3 != 0 {
					arrivals <- held
				} else if i%3 == 0 {
					_, _, err = b.svc.Cancel(g, booking.CancelInput{IdempotencyKey: "x", BookingID: held.ID, Reason: "plans changed"})
					check("cancel", err, booking.InvalidState)
				}
			case 3: // two rooms out of service and back, forced every other time
				room, err := b.catalog.Room(staff, f.rooms[i%2].ID)
				must(t, err)
				_, _, err = b.svc.SetRoomService(staff, b.catalog, room.ID, room.Version, !room.InService, "broken", i%4 < 2)
				if room.InService {
					check("room out", err, booking.MaintenanceConflict)
				} else { // more rooms: no booking can lose its room
					check("room in", err)
				}
				if i%20 == 0 {
					_, err = b.svc.AddRooms(staff, b.catalog, f.roomType.ID, []string{fmt.Sprint(900 + i)})
					check("add rooms", err)
				}
			case 4: // a forced block from the hotel's today, then its end
				from := d9.AddDate(0, 0, i%2)
				blocks, _, err := b.svc.BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[2].ID},
					From: from, To: from.AddDate(0, 0, 2), Reason: "leak", Force: true})
				check("block", err, apperr.InvalidInput, booking.MaintenanceConflict)
				time.Sleep(time.Millisecond)
				if err != nil {
					continue
				}
				_, err = b.svc.EndMaintenance(staff, booking.EndMaintenanceInput{BlockID: blocks[0].ID, ExpectedVersion: blocks[0].Version})
				check("end maintenance", err, apperr.InvalidInput, apperr.NotFound, apperr.StaleVersion)
				if err != nil { // ended from the block's start: removed
					_, err = b.svc.EndMaintenance(staff, booking.EndMaintenanceInput{BlockID: blocks[0].ID, ExpectedVersion: blocks[0].Version, From: &blocks[0].Start})
					check("remove block", err, apperr.InvalidInput, apperr.NotFound, apperr.StaleVersion)
				}
			case 5: // the desk
				bk := desk[i%len(desk)]
				select {
				case bk = <-arrivals:
					arrivals <- bk // checked out on a later turn
				default:
				}
				var err error
				if i%2 == 0 {
					_, err = b.svc.CheckIn(staff, bk.ID)
				} else {
					_, err = b.svc.CheckOut(staff, bk.ID)
				}
				check(fmt.Sprint("desk ", i%2), err, booking.InvalidState, booking.SoldOut)
				time.Sleep(2 * time.Millisecond)
			}
		}
		return nil
	})
	for _, s := range bad {
		t.Error(s)
	}
	t.Logf("outcomes %v", seen)
	c, err := booking.CheckInventory(context.Background(), b.pool, now)
	must(t, err)
	if c != (booking.InventoryCheck{}) {
		t.Fatalf("inventory after the race: %+v (outcomes %v); capacity 9th-12th %v reserved %v", c, seen,
			b.capacity(t, f.roomType.ID, d9, d9.AddDate(0, 0, 4)), b.reserved(t, f.roomType.ID, d9, d9.AddDate(0, 0, 4)))
	}
}
