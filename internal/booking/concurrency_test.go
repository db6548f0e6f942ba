package booking_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/booking"
)

// 100 travellers race for the last units of a room type over overlapping
// stays. Exactly as many win as there are units, everyone else is told
// SOLD_OUT, nobody sees an internal error, and no night is oversold — both
// when every reservation starts optimistic (versions, retries, then a locked
// try) and with contention detection, where they queue on the row locks.
func TestConcurrentHoldsNeverOversell(t *testing.T) {
	t.Parallel()
	for name, contendedFor := range map[string]time.Duration{"optimistic": -1, "contention detection": 0} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			const units, racers = 3, 100
			b := setup(t, time.Time{}, func(o *booking.Opts) { o.ContendedFor = contendedFor })
			f := b.fixture(t, fixtureOpts{rooms: units})
			start := booking.Date(time.Now()).AddDate(0, 0, 30)

			var wg sync.WaitGroup
			errs := make([]error, racers)
			ready := make(chan struct{})
			for i := range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Stays of 2-4 nights that all share the night start+3.
					checkIn := start.AddDate(0, 0, i%4)
					checkOut := start.AddDate(0, 0, 4+i%3)
					<-ready
					_, errs[i] = b.svc.Hold(guest(fmt.Sprint("racer-", i)), holdInput(f, "k", checkIn, checkOut, 1))
				}()
			}
			close(ready)
			wg.Wait()

			won, soldOut := 0, 0
			for i, err := range errs {
				switch {
				case err == nil:
					won++
				case code(err) == booking.SoldOut:
					soldOut++
				default:
					t.Errorf("racer %d: unexpected error %v", i, err)
				}
			}
			if won != units || soldOut != racers-units {
				t.Fatalf("%d holds succeeded and %d were sold out; want %d and %d", won, soldOut, units, racers-units)
			}
			if got := b.reserved(t, f.roomType.ID, start.AddDate(0, 0, 3), start.AddDate(0, 0, 4)); got[0] != units {
				t.Fatalf("the shared night holds %d units, want %d", got[0], units)
			}
			b.assertInventoryConsistent(t)
		})
	}
}

// Many holds for disjoint nights run side by side; all succeed.
func TestConcurrentHoldsOnDifferentNightsAllSucceed(t *testing.T) {
	t.Parallel()
	const racers = 40
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{rooms: 1})
	start := booking.Date(time.Now()).AddDate(0, 0, 10)
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			checkIn := start.AddDate(0, 0, 2*i)
			_, errs[i] = b.svc.Hold(guest(fmt.Sprint("g", i)), holdInput(f, "k", checkIn, checkIn.AddDate(0, 0, 2), 1))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("hold %d: %v", i, err)
		}
	}
	b.assertInventoryConsistent(t)
}

// CheckInventory, which the tests above and the hold benchmark rely on,
// finds a night whose count no booking explains.
func TestCheckInventoryFindsMiscountedNights(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{rooms: 3})
	start := booking.Date(time.Now()).AddDate(0, 0, 5)
	_, err := b.svc.Hold(guest("g"), holdInput(f, "k", start, start.AddDate(0, 0, 2), 1))
	must(t, err)
	b.assertInventoryConsistent(t)

	_, err = b.pool.Exec(context.Background(), `UPDATE inventory SET reserved = reserved + 1 WHERE room_type_id = $1 AND night = $2`,
		f.roomType.ID, start.AddDate(0, 0, 1))
	must(t, err)
	c, err := booking.CheckInventory(context.Background(), b.pool, b.now)
	must(t, err)
	if c != (booking.InventoryCheck{Oversold: 0, Miscounted: 1}) {
		t.Fatalf("after adding a reservation no booking holds: %+v, want 1 miscounted night", c)
	}
}

// CheckInventory finds nights whose capacity is not what the room type's
// rooms in service and not blocked give: a block recorded without lowering
// capacity (the room under repair stays on sale), or a capacity no room
// explains. Blocks made through the service leave none.
func TestCheckInventoryFindsNightsOfTheWrongCapacity(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{rooms: 3})
	start := booking.Date(time.Now()).AddDate(0, 0, 5)
	ctx := context.Background()
	_, err := b.svc.Hold(guest("g"), holdInput(f, "k", start, start.AddDate(0, 0, 3), 1))
	must(t, err)
	_, _, err = b.svc.BlockRooms(b.admin, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[2].ID},
		From: start, To: start.AddDate(0, 0, 1), Reason: "paint"})
	must(t, err)
	b.assertInventoryConsistent(t)

	// A block of the second night whose capacity was not lowered.
	_, err = b.pool.Exec(ctx, `INSERT INTO maintenance_blocks (id, hotel_id, room_id, room_type_id, start_night, end_night, reason, created_by)
		VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, 'leak', 'test')`, f.hotel.ID, f.rooms[1].ID, f.roomType.ID, start.AddDate(0, 0, 1), start.AddDate(0, 0, 2))
	must(t, err)
	// And a third night with a unit no room gives.
	_, err = b.pool.Exec(ctx, `UPDATE inventory SET capacity = capacity + 1 WHERE room_type_id = $1 AND night = $2`, f.roomType.ID, start.AddDate(0, 0, 2))
	must(t, err)
	c, err := booking.CheckInventory(ctx, b.pool, b.now)
	must(t, err)
	if c != (booking.InventoryCheck{WrongCapacity: 2}) {
		t.Fatalf("after a block without its capacity change and a unit no room gives: %+v, want 2 nights of the wrong capacity", c)
	}
}

// A room taken out of service lowers capacity from the hotel's today on;
// the nights sold before keep the capacity they were sold with, and the
// check does not count them as wrong.
func TestCheckInventoryLeavesPastNightsTheirCapacity(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 2})
	b.book(t, guest("g"), f, "k", day("2027-03-01"), day("2027-03-03"))
	later := time.Date(2027, 3, 5, 11, 0, 0, 0, time.UTC)
	_, _, err := setupClock(b, later).SetRoomService(staffOf(f.hotel.ID), b.catalog, f.rooms[1].ID, f.rooms[1].Version, false, "broken", false)
	must(t, err)
	if got := fmt.Sprint(b.capacity(t, f.roomType.ID, day("2027-03-01"), day("2027-03-06"))); got != "[2 2 -1 -1 1]" {
		t.Fatalf("capacity from 03-01: %s, want [2 2 -1 -1 1]: the nights sold keep theirs, from 03-05 one room", got)
	}
	c, err := booking.CheckInventory(context.Background(), b.pool, later)
	must(t, err)
	if c != (booking.InventoryCheck{}) {
		t.Errorf("on 03-05: %+v, want nothing wrong", c)
	}
	// on 03-01 those nights were to come: their capacity is one room now
	c, err = booking.CheckInventory(context.Background(), b.pool, b.now)
	must(t, err)
	if c != (booking.InventoryCheck{WrongCapacity: 2}) {
		t.Errorf("on 03-01: %+v, want the two nights of the stay of the wrong capacity", c)
	}
}
