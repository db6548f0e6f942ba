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
	"github.com/staygraph/staygraph/internal/catalog"
)

func staffOf(hotels ...uuid.UUID) context.Context {
	return auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleStaff, Subject: "staff-" + hotels[0].String()[:8], HotelIDs: hotels})
}

// book holds one room for ctx and pays for it in full.
func (b testBundle) book(t *testing.T, ctx context.Context, f fixture, key string, checkIn, checkOut time.Time) booking.Booking {
	t.Helper()
	held, err := b.svc.Hold(ctx, holdInput(f, key, checkIn, checkOut, 1))
	must(t, err)
	confirmed, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: key + "-confirm", BookingID: held.ID,
		Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
	must(t, err)
	return confirmed
}

// capacity reads each night's stored capacity; -1 where no inventory row exists.
func (b testBundle) capacity(t *testing.T, roomType uuid.UUID, from, to time.Time) []int {
	t.Helper()
	rows, err := b.pool.Query(context.Background(), `
		SELECT coalesce(i.capacity, -1) FROM generate_series($2::date, $3::date - 1, interval '1 day') n
		LEFT JOIN inventory i ON i.room_type_id = $1 AND i.night = n::date ORDER BY n`, roomType, from, to)
	must(t, err)
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		must(t, rows.Scan(&n))
		out = append(out, n)
	}
	must(t, rows.Err())
	return out
}

func affectedIDs(a []booking.AffectedBooking) []uuid.UUID {
	ids := make([]uuid.UUID, len(a))
	for i, x := range a {
		ids[i] = x.ID
	}
	return ids
}

func relocationIDs(bs []booking.Booking) []uuid.UUID {
	ids := make([]uuid.UUID, len(bs))
	for i, x := range bs {
		ids[i] = x.ID
	}
	return ids
}

// Blocking a room that two overlapping bookings need: refused without force,
// naming the newest booking and changing nothing; with force the newest
// booking gives its room back and is listed for relocation.
func TestBlockRoomsNeededByBookings(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 2})
	other := b.fixture(t, fixtureOpts{rooms: 1, zone: "Europe/Berlin"})
	staff := staffOf(f.hotel.ID)
	from, to := day("2027-04-10"), day("2027-04-14")
	older := b.book(t, guest("g1"), f, "a", day("2027-04-10"), day("2027-04-13"))
	newer := b.book(t, guest("g2"), f, "b", day("2027-04-11"), day("2027-04-14"))
	if got := b.reserved(t, f.roomType.ID, from, to); !slices.Equal(got, []int{1, 2, 2, 1}) {
		t.Fatalf("reserved before the block %v", got)
	}

	far := booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID}, From: day("9999-12-01"), To: day("9999-12-02"), Reason: "someday"}
	if _, _, err := b.svc.BlockRooms(staff, b.catalog, far); code(err) != apperr.InvalidInput {
		t.Fatalf("a block in 9999: %v, want INVALID_INPUT", err)
	}
	in := booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID}, From: from, To: to, Reason: "burst pipe"}
	blocks, affected, err := b.svc.BlockRooms(staff, b.catalog, in)
	if code(err) != booking.MaintenanceConflict || blocks != nil {
		t.Fatalf("blocking a needed room: %v, blocks %+v; want MAINTENANCE_CONFLICT", err, blocks)
	}
	if !slices.Equal(affectedIDs(affected), []uuid.UUID{newer.ID}) || affected[0].Reference != newer.Reference {
		t.Fatalf("affected %+v, want only the newest booking %s", affected, newer.Reference)
	}
	if !strings.Contains(err.Error(), newer.Reference) || strings.Contains(err.Error(), older.Reference) {
		t.Errorf("the conflict should name %s (and not %s): %v", newer.Reference, older.Reference, err)
	}
	// A refused block changes nothing.
	if n := b.count(t, "SELECT count(*) FROM maintenance_blocks"); n != 0 {
		t.Fatalf("%d maintenance blocks after a refused block", n)
	}
	if got := b.capacity(t, f.roomType.ID, from, to); !slices.Equal(got, []int{2, 2, 2, 2}) {
		t.Fatalf("capacity after a refused block %v, want [2 2 2 2]", got)
	}
	if got := b.reserved(t, f.roomType.ID, from, to); !slices.Equal(got, []int{1, 2, 2, 1}) {
		t.Fatalf("reserved after a refused block %v", got)
	}
	for _, bk := range []booking.Booking{older, newer} {
		again, err := b.svc.Booking(b.admin, bk.ID)
		must(t, err)
		if again.RelocationRequired || again.Version != bk.Version {
			t.Fatalf("a refused block touched booking %s: %+v", bk.Reference, again)
		}
	}
	if rel, err := relocationsOf(staff, b.svc, f.hotel.ID); err != nil || len(rel) != 0 {
		t.Fatalf("relocations after a refused block: %v %v", rel, err)
	}

	// Staff of another hotel may not block this one's rooms, forced or not:
	// to them the room is one that does not exist.
	in.Force = true
	if _, _, err := b.svc.BlockRooms(staffOf(other.hotel.ID), b.catalog, in); code(err) != apperr.InvalidInput || !strings.Contains(err.Error(), "no such room") {
		t.Fatalf("staff of another hotel blocking: %v, want INVALID_INPUT: no such room", err)
	}
	if _, err := relocationsOf(staffOf(other.hotel.ID), b.svc, f.hotel.ID); code(err) != apperr.Forbidden {
		t.Fatalf("staff of another hotel listing relocations: %v, want FORBIDDEN", err)
	}
	if _, err := relocationsOf(guest("g2"), b.svc, f.hotel.ID); code(err) != apperr.Forbidden {
		t.Fatalf("a guest listing relocations: %v, want FORBIDDEN", err)
	}

	blocks, affected, err = b.svc.BlockRooms(staff, b.catalog, in)
	must(t, err)
	if len(blocks) != 1 || blocks[0].RoomID != f.rooms[0].ID || !blocks[0].Start.Equal(from) || !blocks[0].End.Equal(to) || blocks[0].Reason != "burst pipe" {
		t.Fatalf("blocks %+v", blocks)
	}
	if !slices.Equal(affectedIDs(affected), []uuid.UUID{newer.ID}) {
		t.Fatalf("forced block affected %+v, want only %s", affected, newer.Reference)
	}
	moved, err := b.svc.Booking(staff, newer.ID)
	must(t, err)
	// The guest reads the note: what happened, not the staff's reason.
	if !moved.RelocationRequired || moved.Status != booking.StatusConfirmed ||
		!strings.Contains(moved.RelocationNote, "blocked for maintenance") || strings.Contains(moved.RelocationNote, "burst pipe") {
		t.Fatalf("relocated booking %+v", moved)
	}
	kept, err := b.svc.Booking(staff, older.ID)
	must(t, err)
	if kept.RelocationRequired {
		t.Fatalf("the older booking was flagged too: %+v", kept)
	}
	rooms, err := b.svc.RoomsOf(staff, []uuid.UUID{newer.ID, older.ID})
	must(t, err)
	if r := rooms[newer.ID]; len(r) != 1 || r[0].HoldsInventory {
		t.Fatalf("relocated booking's rooms %+v, want released", r)
	}
	if r := rooms[older.ID]; len(r) != 1 || !r[0].HoldsInventory {
		t.Fatalf("older booking's rooms %+v, want still holding", r)
	}
	if got := b.reserved(t, f.roomType.ID, from, to); !slices.Equal(got, []int{1, 1, 1, 0}) {
		t.Fatalf("reserved after the forced block %v, want [1 1 1 0]", got)
	}
	if got := b.capacity(t, f.roomType.ID, from, to); !slices.Equal(got, []int{1, 1, 1, 1}) {
		t.Fatalf("capacity after the forced block %v, want [1 1 1 1]", got)
	}
	rel, err := relocationsOf(staff, b.svc, f.hotel.ID)
	must(t, err)
	if !slices.Equal(relocationIDs(rel), []uuid.UUID{newer.ID}) {
		t.Fatalf("relocations %v, want [%s]", relocationIDs(rel), newer.ID)
	}
	if n := b.count(t, "SELECT count(*) FROM maintenance_blocks WHERE room_id = $1", f.rooms[0].ID); n != 1 {
		t.Fatalf("%d block rows, want 1", n)
	}
	// The remaining room is taken on the blocked nights.
	if _, err := b.svc.Hold(guest("g3"), holdInput(f, "c", day("2027-04-11"), day("2027-04-12"), 1)); code(err) != booking.SoldOut {
		t.Fatalf("holding the blocked room: %v, want SOLD_OUT", err)
	}
	// Cancelling the relocated booking hands back nothing more.
	if _, _, err := b.svc.Cancel(guest("g2"), booking.CancelInput{IdempotencyKey: "cancel", BookingID: newer.ID}); err != nil {
		t.Fatalf("cancelling the relocated booking: %v", err)
	}
	if got := b.reserved(t, f.roomType.ID, from, to); !slices.Equal(got, []int{1, 1, 1, 0}) {
		t.Fatalf("reserved after cancelling the relocated booking %v, want [1 1 1 0]", got)
	}
	if rel, err := relocationsOf(staff, b.svc, f.hotel.ID); err != nil || len(rel) != 0 {
		t.Fatalf("a cancelled booking still needs relocation: %v %v", relocationIDs(rel), err)
	}
	b.assertInventoryConsistent(t)
}

// A hold whose only room maintenance took has nothing left to sell: it is
// released at once, cannot be confirmed (nor charged), and its rooms hold
// nothing.
func TestHoldTakenByMaintenanceCannotBeConfirmed(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 1})
	held, err := b.svc.Hold(guest("g1"), holdInput(f, "h", day("2027-04-10"), day("2027-04-12"), 1))
	must(t, err)
	_, affected, err := b.svc.BlockRooms(staffOf(f.hotel.ID), b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID},
		From: day("2027-04-10"), To: day("2027-04-11"), Reason: "paint", Force: true})
	must(t, err)
	if !slices.Equal(affectedIDs(affected), []uuid.UUID{held.ID}) || affected[0].Status != booking.StatusExpired {
		t.Fatalf("affected %+v, want the hold, EXPIRED", affected)
	}
	_, err = b.svc.Confirm(guest("g1"), booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: pay("tok_success")})
	if code(err) != booking.HoldExpired || !strings.Contains(err.Error(), "maintenance") {
		t.Fatalf("confirming a hold maintenance took: %v, want HOLD_EXPIRED naming maintenance", err)
	}
	if p := b.paymentStatuses(t, held.ID); len(p) != 0 {
		t.Fatalf("payments %v, want none", p)
	}
	if got := b.reserved(t, f.roomType.ID, day("2027-04-10"), day("2027-04-12")); !slices.Equal(got, []int{0, 0}) {
		t.Fatalf("reserved %v, want [0 0]", got)
	}
	b.assertInventoryConsistent(t)
}

// A block on nights with room to spare affects nobody and takes the room out
// of sale: holds that need it are sold out, nights outside the block are not.
func TestBlockRoomsOnFreeNightsLowersAvailability(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 2})
	staff := staffOf(f.hotel.ID)
	// A booking on other nights, to show it is left alone.
	elsewhere := b.book(t, guest("g0"), f, "elsewhere", day("2027-05-10"), day("2027-05-12"))
	from, to := day("2027-05-01"), day("2027-05-03")

	blocks, affected, err := b.svc.BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[1].ID}, From: from, To: to, Reason: "repainting"})
	must(t, err)
	if len(blocks) != 1 || len(affected) != 0 {
		t.Fatalf("blocks %+v, affected %+v; want one block and nobody affected", blocks, affected)
	}
	if again, err := b.svc.Booking(b.admin, elsewhere.ID); err != nil || again.RelocationRequired || again.Version != elsewhere.Version {
		t.Fatalf("a booking on other nights changed: %+v %v", again, err)
	}
	in := holdInput(f, "quote", from, to, 1)
	q, err := b.svc.Quote(guest("g1"), booking.QuoteInput{HotelID: f.hotel.ID, CheckIn: from, CheckOut: to, Rooms: in.Rooms})
	must(t, err)
	if !q.Available || q.Rooms[0].UnitsLeft != 1 {
		t.Fatalf("quote during the block: available %v, %d units left; want 1", q.Available, q.Rooms[0].UnitsLeft)
	}
	if _, err := b.svc.Hold(guest("g1"), holdInput(f, "two", from, to, 2)); code(err) != booking.SoldOut {
		t.Fatalf("two rooms while one is blocked: %v, want SOLD_OUT", err)
	}
	if _, err := b.svc.Hold(guest("g1"), holdInput(f, "one", from, to, 1)); err != nil {
		t.Fatalf("the room left: %v", err)
	}
	if _, err := b.svc.Hold(guest("g2"), holdInput(f, "one", day("2027-05-02"), day("2027-05-04"), 1)); code(err) != booking.SoldOut {
		t.Fatalf("the blocked unit: %v, want SOLD_OUT", err)
	}
	// The block ends before its end night: both rooms sell on 2027-05-03.
	if _, err := b.svc.Hold(guest("g2"), holdInput(f, "after", to, to.AddDate(0, 0, 1), 2)); err != nil {
		t.Fatalf("both rooms on the night after the block: %v", err)
	}
	if got := b.capacity(t, f.roomType.ID, from, to.AddDate(0, 0, 1)); !slices.Equal(got, []int{1, 1, 2}) {
		t.Fatalf("capacity %v, want [1 1 2]", got)
	}
	b.assertInventoryConsistent(t)
}

// Taking a room out of service is a block without end: refused while
// bookings need it, forced by relocating the newest; back in service, the
// capacity returns.
func TestRoomOutOfService(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 2})
	other := b.fixture(t, fixtureOpts{rooms: 1, zone: "Europe/Berlin"})
	staff := staffOf(f.hotel.ID)
	night, next := day("2027-04-20"), day("2027-04-21")
	older := b.book(t, guest("g1"), f, "a", night, next)
	newer := b.book(t, guest("g2"), f, "b", night, next)
	room := f.rooms[0]

	if _, _, err := b.svc.SetRoomService(staffOf(other.hotel.ID), b.catalog, room.ID, room.Version, false, "broken AC", true); code(err) != apperr.NotFound {
		t.Fatalf("staff of another hotel: %v, want NOT_FOUND, as for a room that does not exist", err)
	}
	_, affected, err := b.svc.SetRoomService(staff, b.catalog, room.ID, room.Version, false, "broken AC", false)
	if code(err) != booking.MaintenanceConflict || !slices.Equal(affectedIDs(affected), []uuid.UUID{newer.ID}) {
		t.Fatalf("out of service while full: %v, affected %+v; want MAINTENANCE_CONFLICT naming %s", err, affected, newer.Reference)
	}
	unchanged, err := b.catalog.Room(staff, room.ID)
	must(t, err)
	if !unchanged.InService || unchanged.Version != room.Version {
		t.Fatalf("a refused change altered the room: %+v", unchanged)
	}
	if got := b.capacity(t, f.roomType.ID, night, next); got[0] != 2 {
		t.Fatalf("capacity after a refused change %v, want [2]", got)
	}
	if again, err := b.svc.Booking(b.admin, newer.ID); err != nil || again.RelocationRequired {
		t.Fatalf("a refused change flagged the booking: %+v %v", again, err)
	}

	out, affected, err := b.svc.SetRoomService(staff, b.catalog, room.ID, room.Version, false, "broken AC", true)
	must(t, err)
	if out.InService || out.ServiceNote != "broken AC" || !slices.Equal(affectedIDs(affected), []uuid.UUID{newer.ID}) {
		t.Fatalf("forced out of service: %+v, affected %+v", out, affected)
	}
	moved, err := b.svc.Booking(staff, newer.ID)
	must(t, err)
	if !moved.RelocationRequired || !strings.Contains(moved.RelocationNote, "taken out of service") || strings.Contains(moved.RelocationNote, "broken AC") {
		t.Fatalf("relocated booking %+v", moved)
	}
	if kept, err := b.svc.Booking(staff, older.ID); err != nil || kept.RelocationRequired {
		t.Fatalf("older booking %+v %v", kept, err)
	}
	if got := b.reserved(t, f.roomType.ID, night, next); got[0] != 1 {
		t.Fatalf("reserved %v, want [1]", got)
	}
	if got := b.capacity(t, f.roomType.ID, night, next); got[0] != 1 {
		t.Fatalf("capacity %v, want [1]", got)
	}
	rel, err := relocationsOf(staff, b.svc, f.hotel.ID)
	must(t, err)
	if !slices.Equal(relocationIDs(rel), []uuid.UUID{newer.ID}) {
		t.Fatalf("relocations %v, want [%s]", relocationIDs(rel), newer.ID)
	}
	if _, err := b.svc.Hold(guest("g3"), holdInput(f, "c", night, next, 1)); code(err) != booking.SoldOut {
		t.Fatalf("holding while the room is out of service: %v, want SOLD_OUT", err)
	}
	b.assertInventoryConsistent(t)

	back, affected, err := b.svc.SetRoomService(staff, b.catalog, room.ID, out.Version, true, "", false)
	must(t, err)
	if !back.InService || back.ServiceNote != "" || len(affected) != 0 {
		t.Fatalf("back in service: %+v, affected %+v", back, affected)
	}
	if got := b.capacity(t, f.roomType.ID, night, next); got[0] != 2 {
		t.Fatalf("capacity back in service %v, want [2]", got)
	}
	if _, err := b.svc.Hold(guest("g3"), holdInput(f, "d", night, next, 1)); err != nil {
		t.Fatalf("holding the room back in service: %v", err)
	}
	// A stale version is refused.
	if _, _, err := b.svc.SetRoomService(staff, b.catalog, room.ID, out.Version, false, "again", true); code(err) != apperr.StaleVersion {
		t.Fatalf("stale room version: %v, want STALE_VERSION", err)
	}
	b.assertInventoryConsistent(t)
}

// Maintenance racing holds for the same nights: each side either wins or is
// told so in business terms (SOLD_OUT, MAINTENANCE_CONFLICT); a forced block
// always succeeds by relocating; nothing is ever oversold.
func TestBlockRacingHoldsGivesBusinessOutcomes(t *testing.T) {
	t.Parallel()
	const rounds = 150
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 2})
	staff := staffOf(f.hotel.ID)
	for i := range rounds {
		night := day("2027-04-01").AddDate(0, 0, i)
		force := i%2 == 0
		var wg sync.WaitGroup
		holdErrs := make([]error, 2)
		var blockErr error
		for j := range holdErrs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, holdErrs[j] = b.svc.Hold(guest(fmt.Sprint("g", i, "-", j)), holdInput(f, "k", night, night.AddDate(0, 0, 1), 1))
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, blockErr = b.svc.BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID},
				From: night, To: night.AddDate(0, 0, 1), Reason: "inspection", Force: force})
		}()
		wg.Wait()
		for j, err := range holdErrs {
			if err != nil && code(err) != booking.SoldOut {
				t.Errorf("night %s, hold %d: %v; want success or SOLD_OUT", night.Format(time.DateOnly), j, err)
			}
		}
		switch {
		case blockErr == nil:
		case !force && code(blockErr) == booking.MaintenanceConflict:
		default:
			t.Errorf("night %s, block (force=%v): %v", night.Format(time.DateOnly), force, blockErr)
		}
	}
	b.assertInventoryConsistent(t)
}

// A room listed twice would be blocked twice: refused on its position.
func TestBlockRoomsRefusesARoomListedTwice(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 2})
	_, _, err := b.svc.BlockRooms(staffOf(f.hotel.ID), b.catalog, booking.BlockInput{
		RoomIDs: []uuid.UUID{f.rooms[0].ID, f.rooms[1].ID, f.rooms[0].ID}, From: day("2027-04-10"), To: day("2027-04-11"), Reason: "paint"})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.InvalidInput || strings.Join(e.Field, ".") != "input.roomIds.2" {
		t.Fatalf("a room listed twice: %v, want INVALID_INPUT on input.roomIds.2", err)
	}
	if n := b.count(t, "SELECT count(*) FROM maintenance_blocks"); n != 0 {
		t.Fatalf("%d blocks written", n)
	}
}

// A room is blocked by one block a night: a block sharing a night with
// another block of the same room is refused on that room's position (and
// writes nothing), one that starts as the other ends is not; of concurrent
// identical blocks exactly one is made.
func TestBlockRoomsRefusesOverlappingBlocks(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 2})
	staff := staffOf(f.hotel.ID)
	block := func(from, to string, rooms ...uuid.UUID) error {
		_, _, err := b.svc.BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: rooms, From: day(from), To: day(to), Reason: "paint"})
		return err
	}
	must(t, block("2027-04-10", "2027-04-14", f.rooms[0].ID))
	err := block("2027-04-13", "2027-04-15", f.rooms[1].ID, f.rooms[0].ID)
	if all, _ := apperr.All(err); len(all) != 1 || all[0].Code != apperr.InvalidInput || strings.Join(all[0].Field, ".") != "input.roomIds.1" ||
		!strings.Contains(all[0].Message, "2027-04-10 to 2027-04-14") {
		t.Fatalf("an overlapping block: %v, want INVALID_INPUT on input.roomIds.1 naming the block's nights", err)
	}
	if n := b.count(t, "SELECT count(*) FROM maintenance_blocks"); n != 1 {
		t.Fatalf("%d blocks after the refused one, want 1", n)
	}
	must(t, block("2027-04-14", "2027-04-16", f.rooms[0].ID))
	must(t, block("2027-04-01", "2027-04-10", f.rooms[0].ID))

	errs := race(8, func(int) error { return block("2027-05-01", "2027-05-03", f.rooms[1].ID) })
	made := 0
	for _, err := range errs {
		switch {
		case err == nil:
			made++
		case code(err) != apperr.InvalidInput:
			t.Errorf("a concurrent block: %v, want INVALID_INPUT", err)
		}
	}
	if made != 1 {
		t.Fatalf("%d of the concurrent identical blocks were made, want 1", made)
	}
	if n := b.count(t, `SELECT count(*) FROM maintenance_blocks a JOIN maintenance_blocks o
		ON o.room_id = a.room_id AND o.id < a.id AND o.start_night < a.end_night AND o.end_night > a.start_night`); n != 0 {
		t.Fatalf("%d pairs of overlapping blocks", n)
	}
	if got := b.capacity(t, f.roomType.ID, day("2027-05-01"), day("2027-05-03")); !slices.Equal(got, []int{1, 1}) {
		t.Fatalf("capacity %v, want [1 1]", got)
	}
	b.assertInventoryConsistent(t)
}

// A booking whose room maintenance took away costs nothing to cancel, even
// under terms that keep everything: the hotel did not honour it.
func TestCancellingARelocatedBookingCostsNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	keepAll := catalog.CancellationPolicy{Refundable: true, Penalties: []catalog.PenaltyWindow{{HoursBeforeCheckIn: 24 * 365, Percent: 100}}}
	f := b.fixture(t, fixtureOpts{rooms: 1, price: 20000, policy: keepAll})
	ctx := guest("relocated")
	bk := b.book(t, ctx, f, "k", day("2027-04-10"), day("2027-04-11"))
	_, _, err := b.svc.BlockRooms(staffOf(f.hotel.ID), b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID},
		From: day("2027-04-10"), To: day("2027-04-11"), Reason: "flood", Force: true})
	must(t, err)
	cancelled, refund, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: bk.ID})
	must(t, err)
	if cancelled.PenaltyAmount != 0 || refund == nil || refund.Amount != bk.Total {
		t.Fatalf("cancelled with penalty %d, refund %+v; want nothing kept of %d", cancelled.PenaltyAmount, refund, bk.Total)
	}

	// Two rooms, maintenance takes one: the whole booking is free to
	// cancel, the room it kept too.
	g := b.fixture(t, fixtureOpts{rooms: 2, price: 20000, policy: keepAll})
	held, err := b.svc.Hold(ctx, holdInput(g, "two", day("2027-04-10"), day("2027-04-11"), 2))
	must(t, err)
	two, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "two-confirm", BookingID: held.ID, Payment: pay("tok_success")})
	must(t, err)
	_, _, err = b.svc.BlockRooms(staffOf(g.hotel.ID), b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{g.rooms[0].ID},
		From: day("2027-04-10"), To: day("2027-04-11"), Reason: "flood", Force: true})
	must(t, err)
	cancelled, refund, err = b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "two-cancel", BookingID: two.ID})
	must(t, err)
	if cancelled.PenaltyAmount != 0 || refund == nil || refund.Amount != two.Total {
		t.Fatalf("two rooms, one taken: penalty %d, refund %+v; want nothing kept of %d", cancelled.PenaltyAmount, refund, two.Total)
	}

	// A double and a family room, maintenance takes the double: what the
	// booking says cancelling costs is what cancelling keeps, nothing.
	family, err := b.catalog.CreateRoomType(b.admin, g.hotel.ID, catalog.RoomTypeFields{Name: "Family", MaxAdults: 2, MaxChildren: 2, MaxOccupancy: 4})
	must(t, err)
	_, err = b.svc.AddRooms(b.admin, b.catalog, family.ID, []string{"201"})
	must(t, err)
	familyPlan := b.ratePlan(t, fixture{hotel: g.hotel, roomType: family}, keepAll, catalog.DepositPolicy{Kind: catalog.DepositFull}, time.Time{}, 30000)
	in := holdInput(g, "mixed", day("2027-04-20"), day("2027-04-21"), 1)
	in.Rooms = append(in.Rooms, booking.RoomRequest{RatePlanID: familyPlan.ID, Party: booking.Party{Adults: 2, ChildAges: []int{}},
		Guests: []booking.GuestName{{GivenName: "Léa", FamilyName: "Martin"}}})
	held, err = b.svc.Hold(ctx, in)
	must(t, err)
	mixed, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "mixed-confirm", BookingID: held.ID, Payment: pay("tok_success")})
	must(t, err)
	_, _, err = b.svc.BlockRooms(staffOf(g.hotel.ID), b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{g.rooms[0].ID, g.rooms[1].ID},
		From: day("2027-04-20"), To: day("2027-04-21"), Reason: "paint", Force: true})
	must(t, err)
	flagged, err := b.svc.Booking(ctx, mixed.ID)
	must(t, err)
	windows := penaltiesOf(t, b, ctx, flagged)
	for _, w := range windows {
		if w.Amount != 0 {
			t.Fatalf("cancelling the relocated booking shown to cost %d (%+v), want nothing", w.Amount, windows)
		}
	}
	cancelled, refund, err = b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "mixed-cancel", BookingID: mixed.ID})
	must(t, err)
	if !flagged.RelocationRequired || cancelled.PenaltyAmount != 0 || refund == nil || refund.Amount != mixed.Total {
		t.Fatalf("double taken, family room kept: relocation %v, penalty %d, refund %+v; want nothing kept of %d",
			flagged.RelocationRequired, cancelled.PenaltyAmount, refund, mixed.Total)
	}
}

// The hotel cancelling (overbooked, closed) waives the guest's terms: all
// that was paid comes back, even under terms that keep everything. Only the
// hotel's staff and admins may say so; staff cancelling without it apply the
// guest's terms.
func TestTheHotelCancellingWaivesThePenalty(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	keepAll := catalog.CancellationPolicy{Refundable: true, Penalties: []catalog.PenaltyWindow{{HoursBeforeCheckIn: 24 * 365, Percent: 100}}}
	f := b.fixture(t, fixtureOpts{rooms: 3, price: 20000, policy: keepAll})
	other := b.fixture(t, fixtureOpts{rooms: 1, price: 20000})
	ctx := guest("overbooked")
	bk := b.book(t, ctx, f, "k", day("2027-04-10"), day("2027-04-11"))

	for name, c := range map[string]struct {
		ctx  context.Context
		code apperr.Code
	}{"the guest": {ctx, apperr.Forbidden}, "another hotel's staff": {staffOf(other.hotel.ID), apperr.NotFound}} {
		_, _, err := b.svc.Cancel(c.ctx, booking.CancelInput{IdempotencyKey: "w-" + name, BookingID: bk.ID, WaivePenalty: true})
		if !apperr.HasCode(err, c.code) {
			t.Fatalf("%s waiving the terms: %v, want %s", name, err, c.code)
		}
	}
	if got := b.cancellation(t, bk.ID); got != "CONFIRMED penalty 0 refund_due 0 refunds 0" {
		t.Fatalf("after the refusals, in SQL: %s", got)
	}

	cancelled, refund, err := b.svc.Cancel(staffOf(f.hotel.ID), booking.CancelInput{IdempotencyKey: "w", BookingID: bk.ID,
		Reason: "overbooked", WaivePenalty: true})
	must(t, err)
	if cancelled.PenaltyAmount != 0 || refund == nil || refund.Amount != bk.Total {
		t.Fatalf("the hotel cancelled: penalty %d, refund %+v; want all %d back", cancelled.PenaltyAmount, refund, bk.Total)
	}
	if got, want := b.cancellation(t, bk.ID), fmt.Sprintf("CANCELLED penalty 0 refund_due %d refunds %[1]d", bk.Total); got != want {
		t.Fatalf("in SQL: %s, want %s", got, want)
	}

	// Staff cancelling for the guest, without waiving: the guest's terms.
	kept := b.book(t, ctx, f, "k2", day("2027-04-10"), day("2027-04-11"))
	cancelled, refund, err = b.svc.Cancel(staffOf(f.hotel.ID), booking.CancelInput{IdempotencyKey: "x2", BookingID: kept.ID})
	must(t, err)
	if cancelled.PenaltyAmount != kept.Total || refund != nil {
		t.Fatalf("staff applying the terms: penalty %d, refund %+v; want all %d kept", cancelled.PenaltyAmount, refund, kept.Total)
	}
}

// The hotel's blocks are listed while they take a night from its today (its
// business date) on: at 02:00 in Pago Pago a block of the night in
// progress is listed, at 07:00 that night is over and so is the block.
func TestBlocksListedUntilTheirLastNightIsOver(t *testing.T) {
	t.Parallel()
	clock := time.Date(2027, 3, 10, 13, 0, 0, 0, time.UTC) // 02:00 on the 10th in Pago Pago
	b := setup(t, clock, func(o *booking.Opts) { o.Now = func() time.Time { return clock } })
	f := b.fixture(t, fixtureOpts{zone: "Pacific/Pago_Pago", rooms: 1})
	staff := staffOf(f.hotel.ID)
	_, _, err := b.svc.BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID},
		From: day("2027-03-09"), To: day("2027-03-10"), Reason: "leak"})
	must(t, err)
	if blocks, err := blocksOf(staff, b.svc, f.hotel.ID); err != nil || len(blocks) != 1 {
		t.Fatalf("at 02:00: %d blocks (%v), want the night in progress's", len(blocks), err)
	}
	clock = time.Date(2027, 3, 10, 18, 0, 0, 0, time.UTC) // 07:00
	if blocks, err := blocksOf(staff, b.svc, f.hotel.ID); err != nil || len(blocks) != 0 {
		t.Fatalf("at 07:00: %d blocks (%v), want none", len(blocks), err)
	}
}

// A guest in the house is never the one relocated: a forced block moves a
// booking still to come, and the nights the checked-in guest is in the room
// are not put on sale again. When only guests in the house hold the nights,
// the block is refused, forced or not.
func TestForcedBlockNeverRelocatesAGuestInTheHouse(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 2})
	staff := staffOf(f.hotel.ID)
	coming := b.book(t, guest("g1"), f, "coming", day("2027-03-05"), day("2027-03-08"))
	inHouse := b.book(t, guest("g2"), f, "in-house", day("2027-03-02"), day("2027-03-08")) // the newer one
	at := setupClock(b, time.Date(2027, 3, 2, 14, 0, 0, 0, time.UTC))
	_, err := at.CheckIn(staff, inHouse.ID)
	must(t, err)

	block := booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID}, From: day("2027-03-05"), To: day("2027-03-08"), Reason: "leak", Force: true}
	_, affected, err := at.BlockRooms(staff, b.catalog, block)
	must(t, err)
	if !slices.Equal(affectedIDs(affected), []uuid.UUID{coming.ID}) {
		t.Fatalf("relocated %+v, want only %s (not the guest in the house)", affected, coming.Reference)
	}
	if got := b.reserved(t, f.roomType.ID, day("2027-03-02"), day("2027-03-08")); !slices.Equal(got, []int{1, 1, 1, 1, 1, 1}) {
		t.Fatalf("reserved %v, want the guest in the house on every night of the stay", got)
	}
	// One room is left to sell on the nights before the block, not two.
	if _, err := at.Hold(guest("walk-in-1"), holdInput(f, "w1", day("2027-03-02"), day("2027-03-05"), 1)); err != nil {
		t.Fatalf("the free room before the block: %v", err)
	}
	if _, err := at.Hold(guest("walk-in-2"), holdInput(f, "w2", day("2027-03-02"), day("2027-03-05"), 1)); code(err) != booking.SoldOut {
		t.Fatalf("a second walk-in: %v, want SOLD_OUT", err)
	}
	// Blocking the other room too would leave the guest in the house no room.
	block.RoomIDs, block.Reason = []uuid.UUID{f.rooms[1].ID}, "paint"
	if _, affected, err := at.BlockRooms(staff, b.catalog, block); code(err) != booking.MaintenanceConflict || len(affected) != 0 {
		t.Fatalf("blocking the guest in the house's last room: %v, affected %+v; want MAINTENANCE_CONFLICT", err, affected)
	}
	if again, err := at.Booking(staff, inHouse.ID); err != nil || again.RelocationRequired || again.Status != booking.StatusCheckedIn {
		t.Fatalf("the guest in the house after the blocks: %+v %v", again, err)
	}
	b.assertInventoryConsistent(t)
}
