package booking_test

import (
	"context"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// updateRoomType refuses limits below a party a live booking of the room
// type holds, and a hold checks its parties against the limits as they are
// in its own transaction: whichever commits first, no live booking ends up
// with a party its room type no longer houses. (The hold's quote reads the
// limits before its transaction: checked there alone, a hold that read
// "2 adults" before a change and inserted after it was a booking for 2
// adults in a room type sleeping one.)
func TestAHoldCannotOutliveLimitsShrunkMeanwhile(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	ctx := context.Background()
	d := booking.Date(time.Now()).AddDate(0, 0, 20)
	one, none := 1, 0
	single := catalog.RoomTypePatch{MaxAdults: &one, MaxChildren: &none, MaxOccupancy: &one}

	// The hold first: the change waits for it, then sees its party.
	f := b.fixture(t, fixtureOpts{rooms: 2}) // sleeps 2 adults, 2 children, 3 in all
	park, err := b.pool.Begin(ctx)
	must(t, err)
	defer park.Rollback(ctx) //nolint:errcheck
	_, err = park.Exec(ctx, `SELECT 1 FROM hotels WHERE id = $1 FOR UPDATE`, f.hotel.ID)
	must(t, err)
	held := make(chan error, 1)
	go func() {
		_, err := b.svc.Hold(guest("g"), holdInput(f, "pair", d, d.AddDate(0, 0, 2), 1)) // 2 adults
		held <- err
	}()
	waitForLockWait(t, b, "%bookings%") // the hold's insert waits for the hotel's row
	updated := make(chan error, 1)
	go func() {
		_, err := b.catalog.UpdateRoomType(staffOf(f.hotel.ID), f.roomType.ID, f.roomType.Version, single)
		updated <- err
	}()
	waitForLockWait(t, b, "%room_types WHERE id = $1 FOR UPDATE%") // the change waits for the hold
	must(t, park.Rollback(ctx))
	if err := <-held; err != nil {
		t.Fatalf("the hold: %v", err)
	}
	if err := <-updated; code(err) != "CONFLICT" {
		t.Fatalf("shrinking the room type to a single while a hold for 2 adults was being made: %v; want CONFLICT", err)
	}

	// The change first: the hold, which read the old limits, reads the new
	// ones in its transaction and is refused.
	g := b.fixture(t, fixtureOpts{rooms: 2})
	change, err := b.pool.Begin(ctx)
	must(t, err)
	defer change.Rollback(ctx) //nolint:errcheck
	_, err = change.Exec(ctx, `SELECT 1 FROM room_types WHERE id = $1 FOR UPDATE`, g.roomType.ID)
	must(t, err)
	_, err = change.Exec(ctx, `UPDATE room_types SET max_adults = 1, max_children = 0, max_occupancy = 1 WHERE id = $1`, g.roomType.ID)
	must(t, err)
	go func() {
		_, err := b.svc.Hold(guest("g"), holdInput(g, "pair-2", d, d.AddDate(0, 0, 2), 1)) // 2 adults
		held <- err
	}()
	waitForLockWait(t, b, "%FOR KEY SHARE%") // the hold reads the limits in its transaction
	must(t, change.Commit(ctx))
	if err := <-held; code(err) != "INVALID_INPUT" {
		t.Fatalf("a hold for 2 adults of a room type made a single meanwhile: %v; want INVALID_INPUT", err)
	}
	if n := b.count(t, "SELECT count(*) FROM booking_rooms WHERE room_type_id = $1", g.roomType.ID); n != 0 {
		t.Fatalf("%d booked rooms of the single", n)
	}
}

// A stay that is over but whose booking the desk never closed (no no-show
// recorded, no check-out: nothing does it on its own) is still CONFIRMED;
// it is no live booking, and does not keep its room type's limits from
// being lowered.
func TestStaysOverDoNotPinRoomTypeLimits(t *testing.T) {
	t.Parallel()
	past := time.Date(2024, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, past) // the booking is made in March 2024
	f := b.fixture(t, fixtureOpts{rooms: 2, price: 10000})
	ctx := guest("g")
	held, err := b.svc.Hold(ctx, holdInput(f, "h", day("2024-03-10"), day("2024-03-12"), 1)) // 2 adults
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: pay("tok_success")})
	must(t, err)

	// Today (the real clock): the stay ended long ago.
	cat := catalog.NewService(b.pool)
	one, none := 1, 0
	_, err = cat.UpdateRoomType(staffOf(f.hotel.ID), f.roomType.ID, f.roomType.Version,
		catalog.RoomTypePatch{MaxAdults: &one, MaxChildren: &none, MaxOccupancy: &one})
	if err != nil {
		t.Fatalf("making a single of a room type whose only booking was a stay in March 2024: %v (code %q); want it done", err, code(err))
	}
}
