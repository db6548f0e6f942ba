package booking_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// A hotel whose rooms were all sold last week takes two of its three rooms
// out of service and adds a new one: addRooms must succeed (or refuse with a
// user error), not fail as an internal error on last week's nights.
func TestAddRoomsLeavesPastNights(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 3})
	at := func(t time.Time) *booking.Service { return setupClock(b, t) }
	ctx := guest("g")
	// The three rooms are sold for the night of 10 March, and the stay happens.
	held, err := b.svc.Hold(ctx, holdInput(f, "h", day("2027-03-10"), day("2027-03-11"), 3))
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "pay", BookingID: held.ID,
		Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
	must(t, err)
	_, err = at(time.Date(2027, 3, 10, 16, 0, 0, 0, time.UTC)).CheckIn(b.admin, held.ID)
	must(t, err)
	_, err = at(time.Date(2027, 3, 11, 9, 0, 0, 0, time.UTC)).CheckOut(b.admin, held.ID)
	must(t, err)

	// Ten days later two rooms leave service for good (no booking is affected).
	later := at(time.Date(2027, 3, 21, 11, 0, 0, 0, time.UTC))
	for _, r := range f.rooms[:2] {
		if _, affected, err := later.SetRoomService(b.admin, b.catalog, r.ID, r.Version, false, "merged into a suite", false); err != nil {
			t.Fatalf("take room %s out of service: %v (affected %v)", r.Number, err, affected)
		}
	}
	// ... and a new room is added to the room type.
	rooms, err := later.AddRooms(b.admin, b.catalog, f.roomType.ID, []string{"150"})
	if err != nil {
		t.Fatalf("addRooms after two rooms left service: %v", err)
	}
	if len(rooms) != 1 {
		t.Fatalf("rooms added: %+v", rooms)
	}
	// The nights that can still be sold count 2 rooms; the night of 10
	// March keeps the 3 it was sold with.
	var past, next int
	must(t, b.pool.QueryRow(context.Background(), `SELECT
		(SELECT capacity FROM inventory WHERE room_type_id = $1 AND night = '2027-03-10'),
		(SELECT capacity FROM inventory WHERE room_type_id = $1 AND night = '2027-03-21')`, f.roomType.ID).Scan(&past, &next))
	if past != 3 || next != 2 {
		t.Fatalf("capacity of 10 March %d (want 3, as sold), of 21 March %d (want 2)", past, next)
	}
}

// addRooms racing a hold that creates a night's inventory row: the night's
// capacity must count the new room once both committed (the inventory
// invariant "capacity = rooms in service minus blocks").
func TestAddRoomsRacingAHold(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 2}) // room type A: 2 rooms, no inventory rows yet
	// A second room type B of the same hotel, with a plan and one room.
	rtB, err := b.catalog.CreateRoomType(b.admin, f.hotel.ID, catalog.RoomTypeFields{Name: "Single", MaxAdults: 2, MaxOccupancy: 2})
	must(t, err)
	_, err = b.svc.AddRooms(b.admin, b.catalog, rtB.ID, []string{"201"})
	must(t, err)
	fB := fixture{hotel: f.hotel, roomType: rtB}
	planB := b.ratePlan(t, fB, catalog.CancellationPolicy{}, catalog.DepositPolicy{Kind: catalog.DepositFull}, time.Time{}, 9000)

	night := day("2027-03-10")
	// B's night has its row already; A's has none: the hold creates it.
	must(t, db.New(b.pool).EnsureInventory(context.Background(), db.EnsureInventoryParams{RoomTypeIds: []uuid.UUID{rtB.ID}, FromNight: night, ToNight: night.AddDate(0, 0, 1)}))

	// Another transaction holds B's row for a moment (any booking of B does).
	other, err := b.pool.Begin(context.Background())
	must(t, err)
	defer func() { _ = other.Rollback(context.Background()) }()
	_, err = other.Exec(context.Background(), "SELECT 1 FROM inventory WHERE room_type_id = $1 FOR UPDATE", rtB.ID)
	must(t, err)

	in := holdInput(f, "h1", night, night.AddDate(0, 0, 1), 1)
	in.Rooms = append(in.Rooms, in.Rooms[0])
	in.Rooms[1].RatePlanID = planB.ID
	held := make(chan error, 1)
	go func() {
		_, err := b.svc.Hold(guest("g"), in)
		held <- err
	}()
	// Wait until the hold has created A's row and waits for B's.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting int
		must(t, b.pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting))
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hold never waited for B's row")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// addRooms creates and locks the rows of the nights it can sell, so it
	// waits for the hold's uncommitted row, then counts it.
	added := make(chan error, 1)
	go func() {
		_, err := b.svc.AddRooms(b.admin, b.catalog, f.roomType.ID, []string{"103"})
		added <- err
	}()
	select {
	case err := <-added:
		t.Fatalf("addRooms finished (%v) while a hold was creating a night's row", err)
	case <-time.After(500 * time.Millisecond):
	}
	must(t, other.Rollback(context.Background()))
	must(t, <-held)
	must(t, <-added)

	var capacity, actual int
	must(t, b.pool.QueryRow(context.Background(), `SELECT capacity, room_type_capacity(room_type_id, night) FROM inventory WHERE room_type_id = $1 AND night = $2`,
		f.roomType.ID, night).Scan(&capacity, &actual))
	check, err := db.New(b.pool).CheckInventory(context.Background(), b.now)
	must(t, err)
	// Two rooms of A are free that night (3 rooms, 1 held): a guest asks for them.
	_, holdErr := b.svc.Hold(guest("g2"), holdInput(f, "h2", night, night.AddDate(0, 0, 1), 2))
	if capacity != actual || check.WrongCapacity != 0 || holdErr != nil {
		t.Logf("a hold of the 2 free rooms: %v", holdErr)
		t.Fatalf("after addRooms and a concurrent hold: the night's capacity is %d but the room type has %d rooms to sell (inventory check %+v)",
			capacity, actual, check)
	}
}
