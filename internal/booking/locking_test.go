package booking_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

// A locked reservation waiting on the row lock of a full night while a
// cancellation hands that night's unit back gets the unit. (ReserveLocked
// once computed the new row from the statement snapshot's full version, and
// PostgreSQL checked inventory_not_oversold on it before it noticed the
// concurrent update: the hold failed with a CHECK violation.)
func TestLockedHoldGetsTheUnitACancellationFrees(t *testing.T) {
	b := setup(t, time.Time{}, func(o *booking.Opts) { o.OptimisticAttempts = -1 }) // every reservation locks
	f := b.fixture(t, fixtureOpts{rooms: 1})
	start := booking.Date(time.Now()).AddDate(0, 0, 20)
	ctx := context.Background()

	first, err := b.svc.Hold(guest("a"), holdInput(f, "k", start, start.AddDate(0, 0, 2), 1))
	must(t, err)
	other, err := b.svc.Hold(guest("a"), holdInput(f, "k2", start.AddDate(0, 0, 10), start.AddDate(0, 0, 11), 1))
	must(t, err)

	// Park the real Cancel after it released the inventory: hold an
	// uncommitted insert of the idempotency key it will save last.
	park, err := b.pool.Begin(ctx)
	must(t, err)
	defer park.Rollback(ctx) //nolint:errcheck
	_, err = park.Exec(ctx, `INSERT INTO idempotency_keys (principal, key, operation, request_hash, booking_id)
		VALUES ($1, 'cancel', 'cancel', '\x00', $2)`, string(auth.RoleGuest)+":a", other.ID) // not first: its FK lock would block Cancel's FOR UPDATE
	must(t, err)
	cancelled := make(chan error, 1)
	go func() {
		_, _, err := b.svc.Cancel(guest("a"), booking.CancelInput{IdempotencyKey: "cancel", BookingID: first.ID})
		cancelled <- err
	}()
	waitForLockWait(t, b, "%idempotency_keys%")

	held := make(chan error, 1)
	go func() {
		_, err := b.svc.Hold(guest("b"), holdInput(f, "k", start, start.AddDate(0, 0, 2), 1))
		held <- err
	}()
	waitForLockWait(t, b, "%inventory%FOR UPDATE%")
	must(t, park.Rollback(ctx)) // the cancel commits now
	must(t, <-cancelled)
	if err := <-held; err != nil {
		t.Fatalf("hold of the night the cancellation freed: %v (code %q)", err, code(err))
	}
	b.assertInventoryConsistent(t)
}

func waitForLockWait(t *testing.T, b testBundle, like string) {
	t.Helper()
	for range 200 {
		var n int
		must(t, b.pool.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`, like).Scan(&n))
		if n > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nobody waits on a lock in %s", like)
}

// A forced maintenance block and a locked reservation of the same nights do
// not deadlock. (The block locked the room type's rows from its first night
// on, then released affected bookings' earlier nights: out of (room type,
// night) order, against a reservation holding an earlier night and waiting
// for a later one.)
func TestForcedBlockAndLockedHoldDoNotDeadlock(t *testing.T) {
	b := setup(t, time.Time{}, func(o *booking.Opts) { o.OptimisticAttempts = -1 })
	f := b.fixture(t, fixtureOpts{rooms: 1})
	d := booking.Date(time.Now()).AddDate(0, 0, 20)
	ctx := context.Background()
	_, err := b.svc.Hold(guest("a"), holdInput(f, "k", d, d.AddDate(0, 0, 4), 1)) // holds d..d+3
	must(t, err)
	// Rows far enough on (BlockRooms would create them anyway); a night after
	// the block is locked by another transaction, so the block waits there.
	park, err := b.pool.Begin(ctx)
	must(t, err)
	defer park.Rollback(ctx) //nolint:errcheck
	_, err = b.pool.Exec(ctx, `INSERT INTO inventory (room_type_id, night, capacity, hotel_id)
		SELECT rt.id, n::date, 1, rt.hotel_id FROM room_types rt, generate_series($2::date, $2::date + 1000, interval '1 day') n
		WHERE rt.id = $1 ON CONFLICT DO NOTHING`, f.roomType.ID, d.AddDate(0, 0, -10))
	must(t, err)
	_, err = park.Exec(ctx, `SELECT 1 FROM inventory WHERE room_type_id = $1 AND night = $2 FOR UPDATE`, f.roomType.ID, d.AddDate(0, 0, 5))
	must(t, err)
	blocked := make(chan error, 1)
	go func() {
		_, _, err := b.svc.BlockRooms(b.admin, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID},
			From: d.AddDate(0, 0, 2), To: d.AddDate(0, 0, 3), Reason: "paint", Force: true})
		blocked <- err
	}()
	waitForLockWait(t, b, "%LockInventoryFrom%") // holds d+2..d+4, waits for d+5
	held := make(chan error, 1)
	go func() {
		_, err := b.svc.Hold(guest("b"), holdInput(f, "k", d, d.AddDate(0, 0, 3), 1))
		held <- err
	}()
	waitForLockWait(t, b, "%ReserveLocked%") // holds d, d+1, waits for d+2
	must(t, park.Rollback(ctx))
	errB, errH := <-blocked, <-held
	if errB != nil || code(errH) != booking.SoldOut {
		t.Fatalf("block: %v; hold: %v (code %q); want the block to succeed and the hold to be SOLD_OUT", errB, errH, code(errH))
	}
}

// A no-show locks its booking, then hands its nights back; a forced block
// locks the nights, then the bookings it relocates. When the two meet in a
// deadlock, PostgreSQL aborts one: the no-show runs again and succeeds once
// the other is done. PostgreSQL aborts the transaction whose deadlock check
// runs first once both wait: the no-show's (its deadlock_timeout, 3 s, ends
// long after the other starts waiting, which waits 60 s before checking).
func TestNoShowRetriesAfterADeadlock(t *testing.T) {
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 1})
	bk := b.book(t, guest("g"), f, "k", day("2027-03-10"), day("2027-03-13"))
	cfg, err := pgxpool.ParseConfig(b.pool.Config().ConnString())
	must(t, err)
	cfg.ConnConfig.RuntimeParams["deadlock_timeout"] = "3s"
	slow, err := pgxpool.NewWithConfig(context.Background(), cfg)
	must(t, err)
	t.Cleanup(slow.Close)
	at := booking.NewService(slow, b.catalog, nil, nil, booking.Opts{Now: func() time.Time { return time.Date(2027, 3, 11, 9, 0, 0, 0, time.UTC) }})
	ctx := context.Background()
	park, err := b.pool.Begin(ctx)
	must(t, err)
	defer park.Rollback(ctx) //nolint:errcheck
	_, err = park.Exec(ctx, "SET LOCAL deadlock_timeout = '60s'")
	must(t, err)
	_, err = park.Exec(ctx, `SELECT 1 FROM inventory WHERE room_type_id = $1 AND night >= '2027-03-10' ORDER BY night FOR UPDATE`, f.roomType.ID)
	must(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := at.MarkNoShow(staffOf(f.hotel.ID), bk.ID)
		done <- err
	}()
	waitForLockWait(t, b, "%ReleaseInventory%") // the booking and its rooms locked, waits for the nights
	// As a forced block does next: the relocated booking's rooms. This
	// closes the cycle.
	_, err = park.Exec(ctx, `UPDATE booking_rooms SET holds_inventory = holds_inventory WHERE booking_id = $1`, bk.ID)
	must(t, err)
	must(t, park.Rollback(ctx))
	if err := <-done; err != nil {
		t.Fatalf("no-show after a deadlock: %v", err)
	}
	got, err := b.svc.Booking(b.admin, bk.ID)
	must(t, err)
	if got.Status != booking.StatusNoShow {
		t.Fatalf("status %s, want NO_SHOW", got.Status)
	}
	b.assertInventoryConsistent(t)
}

// The optimistic reservation writes a night only at the version it read: a
// hold that read the last free unit of a night while another writer was
// taking it (uncommitted), and waited for that writer's row lock, writes
// nothing once the writer commits, reads the night again and answers
// SOLD_OUT. (Without the version in its WHERE, its reserved + 1 would land
// on the writer's and fail the CHECK constraint: an internal error.)
func TestOptimisticHoldRereadsANightTakenWhileItWaited(t *testing.T) {
	b := setup(t, time.Time{}) // optimistic first, as served
	f := b.fixture(t, fixtureOpts{rooms: 2})
	start := booking.Date(time.Now()).AddDate(0, 0, 20)
	end := start.AddDate(0, 0, 1)
	ctx := context.Background()
	_, err := b.svc.Hold(guest("a"), holdInput(f, "a", start, end, 1))
	must(t, err)

	// Another writer takes the night's last unit and has not committed.
	writer, err := b.pool.Begin(ctx)
	must(t, err)
	defer writer.Rollback(ctx) //nolint:errcheck
	_, err = writer.Exec(ctx, `UPDATE inventory SET reserved = reserved + 1, version = version + 1
		WHERE room_type_id = $1 AND night = $2`, f.roomType.ID, start)
	must(t, err)

	held := make(chan error, 1)
	go func() {
		_, err := b.svc.Hold(guest("b"), holdInput(f, "b", start, end, 1))
		held <- err
	}()
	// The hold read the committed night (one unit free) and waits to write it.
	waitForLockWait(t, b, "%AdjustInventory%")
	must(t, writer.Commit(ctx))
	if err := <-held; code(err) != booking.SoldOut {
		t.Fatalf("hold of a night taken while it waited: %v (code %q), want SOLD_OUT", err, code(err))
	}
	if got := b.reserved(t, f.roomType.ID, start, end); got[0] != 2 {
		t.Fatalf("the night has %d units reserved, want 2 (guest a's and the writer's)", got[0])
	}
	// Hand the writer's unit back: the counts and the bookings agree again.
	_, err = b.pool.Exec(ctx, `UPDATE inventory SET reserved = reserved - 1, version = version + 1
		WHERE room_type_id = $1 AND night = $2`, f.roomType.ID, start)
	must(t, err)
	b.assertInventoryConsistent(t)
}
