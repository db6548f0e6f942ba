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
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

// endBlock ends a block from the night from ("" for the hotel's today).
func endBlock(ctx context.Context, svc *booking.Service, block booking.MaintenanceBlock, from string) (*booking.MaintenanceBlock, error) {
	in := booking.EndMaintenanceInput{BlockID: block.ID, ExpectedVersion: block.Version}
	if from != "" {
		d := day(from)
		in.From = &d
	}
	return svc.EndMaintenance(ctx, in)
}

// blockOne blocks one room for [from, to) and returns its block.
func (b testBundle) blockOne(t *testing.T, ctx context.Context, room uuid.UUID, from, to string) booking.MaintenanceBlock {
	t.Helper()
	blocks, _, err := b.svc.BlockRooms(ctx, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{room}, From: day(from), To: day(to), Reason: "works"})
	must(t, err)
	return blocks[0]
}

// auditActions lists the actions the audit trail recorded on a block, oldest first.
func (b testBundle) auditActions(t *testing.T, block uuid.UUID) string {
	t.Helper()
	return strings.Join(b.texts(t, `SELECT action || ' by ' || actor FROM audit_log
		WHERE entity = 'maintenance_blocks' AND entity_id = $1 ORDER BY id`, block.String()), ", ")
}

// Works that finish early: ending a block from a night puts exactly the
// block's nights from then on back on sale (capacity in SQL, units in a
// quote), keeps its earlier nights and another room's block, and is audited;
// a block that had not started is removed. Stale versions, nights before the
// hotel's today and ends after the block are refused and change nothing.
func TestEndMaintenancePutsExactlyItsNightsBack(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 2})
	staff := staffOf(f.hotel.ID)
	long := b.blockOne(t, staff, f.rooms[0].ID, "2027-04-10", "2027-04-20")
	short := b.blockOne(t, staff, f.rooms[1].ID, "2027-04-15", "2027-04-17")
	b.book(t, guest("g1"), f, "k", day("2027-04-10"), day("2027-04-12"))
	from, to := day("2027-04-09"), day("2027-04-21")
	capacity := func(want ...int) {
		t.Helper()
		got := b.capacity(t, f.roomType.ID, from, to)
		if got[0] == -1 { // 04-09 has no row: nothing created it
			got[0] = 2
		}
		if !slices.Equal(got, want) {
			t.Fatalf("capacity of 04-09..04-20 %v, want %v", got, want)
		}
	}
	capacity(2, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 2)

	for name, c := range map[string]struct {
		version int64
		from    string
		code    apperr.Code
		field   string
	}{
		"a stale version":       {long.Version + 1, "2027-04-14", apperr.StaleVersion, "input.expectedVersion"},
		"a night before today":  {long.Version, "2027-02-28", apperr.InvalidInput, "input.from"},
		"the first year":        {long.Version, "0001-01-01", apperr.InvalidInput, "input.from"},
		"the night of its end":  {long.Version, "2027-04-20", apperr.InvalidInput, "input.from"},
		"a night after its end": {long.Version, "2027-05-01", apperr.InvalidInput, "input.from"},
	} {
		from := day(c.from)
		_, err := b.svc.EndMaintenance(staff, booking.EndMaintenanceInput{BlockID: long.ID, ExpectedVersion: c.version, From: &from})
		if e, ok := apperr.As(err); !ok || e.Code != c.code || strings.Join(e.Field, ".") != c.field {
			t.Errorf("%s: %v, want %s on %s", name, err, c.code, c.field)
		}
	}
	capacity(2, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 2)

	// The works finish early: the block ends before 04-14.
	ended, err := endBlock(staff, b.svc, long, "2027-04-14")
	must(t, err)
	if ended == nil || ended.ID != long.ID || !ended.Start.Equal(day("2027-04-10")) || !ended.End.Equal(day("2027-04-14")) ||
		ended.Version != long.Version+1 || ended.Reason != long.Reason {
		t.Fatalf("ended block %+v, want 04-10 to 04-14 at version %d", ended, long.Version+1)
	}
	capacity(2, 1, 1, 1, 1, 2, 1, 1, 2, 2, 2, 2)
	quote := func(in, out string, rooms int) (bool, int) {
		t.Helper()
		q, err := b.svc.Quote(guest("q"), booking.QuoteInput{HotelID: f.hotel.ID, CheckIn: day(in), CheckOut: day(out),
			Rooms: holdInput(f, "q", day(in), day(out), rooms).Rooms})
		must(t, err)
		return q.Available, q.Rooms[0].UnitsLeft
	}
	if ok, left := quote("2027-04-18", "2027-04-20", 2); !ok || left != 2 {
		t.Fatalf("two rooms on freed nights: available %v, %d left; want 2", ok, left)
	}
	if ok, left := quote("2027-04-12", "2027-04-15", 2); ok || left != 1 {
		t.Fatalf("two rooms across the kept nights: available %v, %d left; want 1", ok, left)
	}
	if _, err := endBlock(staff, b.svc, long, "2027-04-12"); code(err) != apperr.StaleVersion {
		t.Fatalf("ending from the version read before: %v, want STALE_VERSION", err)
	}

	// A mistaken block not started yet: removed, from the hotel's today.
	removed, err := endBlock(staff, b.svc, short, "")
	if err != nil || removed != nil {
		t.Fatalf("removing a block not started: %+v %v, want it gone", removed, err)
	}
	if n := b.count(t, "SELECT count(*) FROM maintenance_blocks WHERE id = $1", short.ID); n != 0 {
		t.Fatalf("the removed block is still there")
	}
	capacity(2, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2)
	if _, err := endBlock(staff, b.svc, short, ""); code(err) != apperr.NotFound {
		t.Fatalf("ending a removed block: %v, want NOT_FOUND", err)
	}
	if _, err := b.svc.Hold(guest("g2"), holdInput(f, "k", day("2027-04-15"), day("2027-04-17"), 2)); err != nil {
		t.Fatalf("holding both rooms on the removed block's nights: %v", err)
	}

	// On 04-12 at the hotel the block has started: ending it from today
	// keeps the nights past.
	later := setupClock(b, time.Date(2027, 4, 12, 9, 0, 0, 0, time.UTC))
	if _, err := endBlock(staff, later, *ended, "2027-04-11"); code(err) != apperr.InvalidInput {
		t.Fatalf("ending from a night past: %v, want INVALID_INPUT", err)
	}
	again, err := endBlock(staff, later, *ended, "")
	must(t, err)
	if again == nil || !again.End.Equal(day("2027-04-12")) {
		t.Fatalf("the block ended from today %+v, want it to end before 04-12", again)
	}
	capacity(2, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2)

	actor := "STAFF:staff-" + f.hotel.ID.String()[:8]
	if got, want := b.auditActions(t, long.ID), fmt.Sprintf("INSERT by %[1]s, UPDATE by %[1]s, UPDATE by %[1]s", actor); got != want {
		t.Errorf("audit trail of the ended block: %s, want %s", got, want)
	}
	if got, want := b.auditActions(t, short.ID), fmt.Sprintf("INSERT by %[1]s, DELETE by %[1]s", actor); got != want {
		t.Errorf("audit trail of the removed block: %s, want %s", got, want)
	}
	b.assertInventoryConsistent(t)
}

// Only the hotel's staff and admins end its blocks: to another hotel's staff
// the block does not exist, guests and partners are FORBIDDEN, anonymous
// callers UNAUTHENTICATED; none of them changes anything.
func TestEndMaintenanceIsForTheHotelsStaff(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 1})
	other := b.fixture(t, fixtureOpts{rooms: 1, zone: "Europe/Berlin"})
	block := b.blockOne(t, staffOf(f.hotel.ID), f.rooms[0].ID, "2027-04-10", "2027-04-12")
	partner := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RolePartner, Subject: "key",
		Scopes: []string{auth.ScopeSearch, auth.ScopeBook, auth.ScopeReadBookings, auth.ScopeWebhooks}})
	for name, c := range map[string]struct {
		ctx  context.Context
		code apperr.Code
	}{
		"staff of another hotel": {staffOf(other.hotel.ID), apperr.NotFound},
		"a guest":                {guest("g"), apperr.Forbidden},
		"a partner":              {partner, apperr.Forbidden},
		"anonymous":              {context.Background(), apperr.Unauthenticated},
	} {
		if _, err := endBlock(c.ctx, b.svc, block, ""); code(err) != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
	if got := b.capacity(t, f.roomType.ID, day("2027-04-10"), day("2027-04-12")); !slices.Equal(got, []int{0, 0}) {
		t.Fatalf("capacity after the refusals %v, want [0 0]", got)
	}
	if n := b.count(t, "SELECT count(*) FROM maintenance_blocks WHERE version = 1"); n != 1 {
		t.Fatalf("the refusals changed the block")
	}
	if removed, err := endBlock(b.admin, b.svc, block, ""); err != nil || removed != nil {
		t.Fatalf("an admin removing the block: %+v %v", removed, err)
	}
	b.assertInventoryConsistent(t)
}

// Ending a block races holds of its nights and staff blocking the room
// again: every outcome is a business one (SOLD_OUT, MAINTENANCE_CONFLICT,
// INVALID_INPUT while the old block stands), and afterwards no night is
// oversold, each night counts exactly the booked rooms holding it, and its
// capacity is the rooms in service and not blocked.
func TestEndMaintenanceRacingHolds(t *testing.T) {
	t.Parallel()
	const rounds = 60
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 2})
	staff := staffOf(f.hotel.ID)
	held := 0
	for i := range rounds {
		night := day("2027-04-01").AddDate(0, 0, i)
		next := night.AddDate(0, 0, 1)
		block := b.blockOne(t, staff, f.rooms[0].ID, night.Format(time.DateOnly), next.Format(time.DateOnly))
		var wg sync.WaitGroup
		holdErrs := make([]error, 3)
		var endErr, reblockErr error
		for j := range holdErrs {
			wg.Go(func() {
				_, holdErrs[j] = b.svc.Hold(guest(fmt.Sprint("g", i, "-", j)), holdInput(f, "k", night, next, 1))
			})
		}
		wg.Go(func() { _, endErr = endBlock(staff, b.svc, block, night.Format(time.DateOnly)) })
		if i%2 == 0 {
			wg.Go(func() {
				_, _, reblockErr = b.svc.BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID},
					From: night, To: next, Reason: "again"})
			})
		}
		wg.Wait()
		if endErr != nil {
			t.Errorf("night %s: ending the block: %v", night.Format(time.DateOnly), endErr)
		}
		for j, err := range holdErrs {
			switch {
			case err == nil:
				held++
			case code(err) != booking.SoldOut:
				t.Errorf("night %s, hold %d: %v; want success or SOLD_OUT", night.Format(time.DateOnly), j, err)
			}
		}
		switch c := code(reblockErr); {
		case reblockErr == nil, c == booking.MaintenanceConflict, c == apperr.InvalidInput:
		default:
			t.Errorf("night %s, blocking again: %v", night.Format(time.DateOnly), reblockErr)
		}
	}
	if held < rounds {
		t.Errorf("%d holds over %d nights: ending the blocks let fewer rooms sell than were left", held, rounds)
	}
	if n := b.count(t, "SELECT count(*) FROM inventory WHERE reserved > capacity OR capacity > 2"); n != 0 {
		t.Fatalf("%d nights oversold or with more capacity than rooms", n)
	}
	b.assertInventoryConsistent(t)
}
