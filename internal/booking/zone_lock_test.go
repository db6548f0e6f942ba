package booking_test

import (
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/postgres/db"
)

// LockHotelInventoryFrom locks every inventory row of the hotel from a
// night on, oversold or not, before a zone correction checks and rewrites
// them: another transaction cannot take one while it holds them. (The
// planner pushed its oversold filter below the locks, which then took only
// the rows the check refused, and the rewrite locked the others in whatever
// order it found them.)
func TestLockHotelInventoryFromLocksEveryRow(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 9, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 2})
	b.book(t, guest("g1"), f, "k1", day("2027-03-09"), day("2027-03-10"))
	b.book(t, guest("g2"), f, "k2", day("2027-03-12"), day("2027-03-14"))
	ctx := t.Context()
	var rows int
	must(t, b.pool.QueryRow(ctx, `SELECT count(*) FROM inventory WHERE hotel_id = $1 AND night >= $2`, f.hotel.ID, day("2027-03-09")).Scan(&rows))
	if rows == 0 {
		t.Fatal("no inventory rows to lock")
	}
	tx, err := b.pool.Begin(ctx)
	must(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck
	over, err := db.New(tx).LockHotelInventoryFrom(ctx, db.LockHotelInventoryFromParams{HotelID: f.hotel.ID, FromNight: day("2027-03-09")})
	must(t, err)
	if len(over) != 0 {
		t.Fatalf("oversold nights: %+v", over)
	}
	var free int
	must(t, b.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM inventory WHERE hotel_id = $1 AND night >= $2 FOR UPDATE SKIP LOCKED) s`,
		f.hotel.ID, day("2027-03-09")).Scan(&free))
	if free != 0 {
		t.Errorf("%d of the hotel's %d inventory rows from 2027-03-09 on can still be locked by another transaction, want 0", free, rows)
	}
}
