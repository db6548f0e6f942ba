package booking_test

import (
	"context"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// A pay-at-hotel hold is confirmed a second before it lapses (nothing to
// pay: no payment pins it), while staff make its room type a single a
// second after: the hold is still live for the change (its expiry has not
// released it), which is refused, as the confirmation, checked before the
// hold lapsed, may still commit. (Counted as lapsed, the hotel ended up with
// a CONFIRMED booking for 2 adults in a room type sleeping one.)
func TestAHoldConfirmedAsItLapsesStillPinsRoomTypeLimits(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now) // HoldTTL 15m: the hold lapses at 11:15
	f := b.fixture(t, fixtureOpts{rooms: 2, deposit: catalog.DepositPolicy{Kind: catalog.DepositPayAtHotel}})
	ctx := context.Background()
	held, err := b.svc.Hold(guest("g"), holdInput(f, "h", day("2027-03-10"), day("2027-03-12"), 1)) // 2 adults
	must(t, err)
	lapses := held.HoldExpiresAt

	// The confirmation checks the hold at 11:14:59 and goes to write it
	// (parked on the booking's row for the test, as a slow network would).
	park, err := b.pool.Begin(ctx)
	must(t, err)
	defer park.Rollback(ctx) //nolint:errcheck
	_, err = park.Exec(ctx, `SELECT 1 FROM bookings WHERE id = $1 FOR UPDATE`, held.ID)
	must(t, err)
	confirmed := make(chan error, 1)
	go func() {
		_, err := setupClock(b, lapses.Add(-time.Second)).Confirm(guest("g"), booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID})
		confirmed <- err
	}()
	waitForLockWait(t, b, "%UPDATE bookings SET status = 'CONFIRMED'%")

	// At 11:15:01 staff make the room type a single.
	one, none := 1, 0
	_, updErr := b.catalog.WithClock(func() time.Time { return lapses.Add(time.Second) }).UpdateRoomType(staffOf(f.hotel.ID), f.roomType.ID, f.roomType.Version,
		catalog.RoomTypePatch{MaxAdults: &one, MaxChildren: &none, MaxOccupancy: &one})
	must(t, park.Rollback(ctx))
	confErr := <-confirmed
	var status string
	must(t, b.pool.QueryRow(ctx, `SELECT status FROM bookings WHERE id = $1`, held.ID).Scan(&status))
	var maxAdults int
	must(t, b.pool.QueryRow(ctx, `SELECT max_adults FROM room_types WHERE id = $1`, f.roomType.ID).Scan(&maxAdults))
	if status == string(booking.StatusConfirmed) && maxAdults < 2 {
		t.Fatalf("the booking is %s for 2 adults (confirm: %v) and its room type now sleeps %d adult(s) (change of limits: %v)",
			status, confErr, maxAdults, updErr)
	}
}
