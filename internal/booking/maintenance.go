package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/postgres/db"
	"github.com/staygraph/staygraph/internal/textfield"
)

// RoomService is what the booking core needs of the catalog to change a
// room's service state inside its own transaction.
type RoomService interface {
	Room(ctx context.Context, id uuid.UUID) (catalog.Room, error)
	RoomType(ctx context.Context, id uuid.UUID) (catalog.RoomType, error)
	AddRoomsTx(ctx context.Context, q *db.Queries, rt catalog.RoomType, numbers []string) ([]catalog.Room, error)
	SetRoomServiceTx(ctx context.Context, q *db.Queries, id uuid.UUID, expectedVersion int64, inService bool, note string) (catalog.Room, error)
}

// AffectedBooking is a booking that a maintenance change leaves without a room.
type AffectedBooking struct {
	ID        uuid.UUID
	Reference string
	Status    Status
	CheckIn   time.Time
	CheckOut  time.Time
}

// MaintenanceBlock takes one room out of sale for local nights [Start, End).
type MaintenanceBlock struct {
	ID         uuid.UUID
	HotelID    uuid.UUID
	RoomID     uuid.UUID
	RoomTypeID uuid.UUID
	Start      time.Time
	End        time.Time
	Reason     string
	CreatedBy  string
	// Version changes when the block is shortened (EndMaintenance).
	Version   int64
	CreatedAt time.Time
}

// BlockInput blocks rooms of one hotel for local nights [From, To).
type BlockInput struct {
	RoomIDs []uuid.UUID
	From    time.Time
	To      time.Time
	Reason  string
	// Force blocks even when bookings lose their room: they are flagged for
	// relocation instead of failing the block.
	Force bool
}

// MaxBlockNights bounds one maintenance block.
const MaxBlockNights = 366

// MaxBlockDaysAhead bounds how far ahead a block may start: twice the
// booking horizon (MaxDaysAhead), from the hotel's business date.
const MaxBlockDaysAhead = 2 * MaxDaysAhead

// Maintenance works from the hotel's business date on, the first night still
// on sale (hoteldate.BusinessDate): at 02:00 the night that began the
// evening before sells to late arrivals, so a room that breaks then can be
// blocked for it and a room taken out of service leaves it too; from 06:00
// that night is over and out of reach.

// MaxBlockRooms is the most rooms one BlockRooms takes out of sale.
const MaxBlockRooms = 100

// BlockRooms takes rooms out of sale for some nights, from the hotel's
// business date on. A room blocked already on one of those nights is
// INVALID_INPUT (refuseOverlapsTx). When the remaining rooms cannot house
// the bookings already made for those nights it fails with
// MAINTENANCE_CONFLICT and the bookings that would lose their room, unless
// Force is set: then those bookings (as few as needed, newest first, a
// group that moves for one of the room types first for the others) hand
// their units back and are flagged for relocation, visible to staff.
func (s *Service) BlockRooms(ctx context.Context, rooms RoomService, in BlockInput) ([]MaintenanceBlock, []AffectedBooking, error) {
	if len(in.RoomIDs) == 0 || len(in.RoomIDs) > MaxBlockRooms {
		return nil, nil, apperr.Invalid(fmt.Sprintf("give 1 to %d rooms", MaxBlockRooms), "input", "roomIds")
	}
	in.Reason = textfield.Trim(in.Reason)
	if in.Reason == "" || utf8.RuneCountInString(in.Reason) > maxNoteLength {
		return nil, nil, apperr.Invalid(fmt.Sprintf("say why, in at most %d characters", maxNoteLength), "input", "reason")
	}
	var blocked []catalog.Room
	for i, id := range in.RoomIDs {
		if slices.Index(in.RoomIDs, id) < i {
			return nil, nil, apperr.Invalid("this room is listed twice", "input", "roomIds", fmt.Sprint(i))
		}
		r, err := rooms.Room(ctx, id)
		if apperr.HasCode(err, apperr.NotFound) {
			return nil, nil, apperr.Invalid("no such room", "input", "roomIds", fmt.Sprint(i))
		}
		if err != nil {
			return nil, nil, err
		}
		if len(blocked) > 0 && r.HotelID != blocked[0].HotelID {
			return nil, nil, apperr.Invalid("all rooms must belong to one hotel", "input", "roomIds", fmt.Sprint(i))
		}
		blocked = append(blocked, r)
	}
	loc, err := s.hotelLocation(ctx, blocked[0].HotelID)
	if err != nil {
		return nil, nil, err
	}
	from, to := Date(in.From), Date(in.To)
	today := hoteldate.BusinessDate(s.opts.Now(), loc)
	if from.Before(today) {
		return nil, nil, apperr.Invalid(fmt.Sprintf("%s is before today at the hotel (%s)", from.Format(time.DateOnly), today.Format(time.DateOnly)), "input", "from")
	}
	if from.After(today.AddDate(0, 0, MaxBlockDaysAhead)) {
		return nil, nil, apperr.Invalid(fmt.Sprintf("a block starts at most %d days ahead", MaxBlockDaysAhead), "input", "from")
	}
	if n := nightsBetween(from, to); n < 1 || n > MaxBlockNights {
		return nil, nil, apperr.Invalid(fmt.Sprintf("block 1 to %d nights: to must be after from", MaxBlockNights), "input", "to")
	}
	p := auth.FromContext(ctx)
	var blocks []MaintenanceBlock
	var affected []AffectedBooking
	err = s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		blocks, affected = nil, nil // afresh if the transaction runs again
		types := map[uuid.UUID]bool{}
		for _, r := range blocked {
			types[r.RoomTypeID] = true
		}
		typeIDs := uniq(keys(types))
		if err := lockRoomTypesTx(ctx, q, typeIDs...); err != nil {
			return err
		}
		if err := refuseOverlapsTx(ctx, q, blocked, from, to); err != nil {
			return err
		}
		if err := q.EnsureInventory(ctx, db.EnsureInventoryParams{RoomTypeIds: typeIDs, FromNight: from, ToNight: to}); err != nil {
			return fmt.Errorf("create inventory rows: %w", err)
		}
		for _, r := range blocked {
			row, err := q.CreateMaintenanceBlock(ctx, db.CreateMaintenanceBlockParams{ID: uuid.Must(uuid.NewV7()),
				HotelID: r.HotelID, RoomID: r.ID, RoomTypeID: r.RoomTypeID, StartNight: from, EndNight: to,
				Reason: in.Reason, CreatedBy: ownerOf(p)})
			if err != nil {
				return fmt.Errorf("create maintenance block: %w", err)
			}
			blocks = append(blocks, blockFromRow(row))
		}
		// The guest reads the note: the staff's reason stays on the block.
		note := fmt.Sprintf("a room of this stay's type was blocked for maintenance from %s to %s",
			from.Format(time.DateOnly), to.Format(time.DateOnly))
		// Which bookings lose their room is settled over every room type
		// before anything is written: a group holding rooms of several
		// types that must move for one of them is picked first for the
		// others, whatever order the types come in. Rounds not forced pick
		// without writing, until each type's picks stay the same.
		picks := map[uuid.UUID][]uuid.UUID{}       // by room type
		found := map[uuid.UUID][]AffectedBooking{} // by room type, of the last round
		rounds := len(typeIDs) + 1
		if in.Force && len(typeIDs) == 1 {
			rounds = 0 // one type prefers nothing of another: the forced pass picks alone
		}
		for round := 0; round < rounds; round++ {
			changed := false
			for _, rt := range typeIDs {
				a, err := s.shrinkTx(ctx, tx, q, rt, from, false, note, &groupPicks{prefer: pickedElsewhere(picks, rt)})
				if err != nil && !errors.Is(err, errWouldRelocate) {
					return err
				}
				ids := make([]uuid.UUID, len(a))
				for i, b := range a {
					ids[i] = b.ID
				}
				if !slices.Equal(ids, picks[rt]) {
					picks[rt], changed = ids, true
				}
				found[rt] = a
			}
			if !changed || len(typeIDs) == 1 {
				break
			}
		}
		if !in.Force {
			for _, rt := range typeIDs {
				for _, b := range found[rt] {
					if !slices.ContainsFunc(affected, func(x AffectedBooking) bool { return x.ID == b.ID }) {
						affected = append(affected, b)
					}
				}
			}
			if len(affected) > 0 {
				return relocationConflict(affected)
			}
			return nil
		}
		g := &groupPicks{prefer: pickedElsewhere(picks, uuid.Nil), told: map[uuid.UUID]bool{}}
		for _, rt := range typeIDs {
			a, err := s.shrinkTx(ctx, tx, q, rt, from, true, note, g)
			affected = append(affected, a...)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, affected, err
	}
	s.releaseTakenHolds(ctx, affected)
	return blocks, affected, nil
}

// groupPicks is what one change over several room types tells each
// shrinkTx of it: the bookings to pick first (and never leave out as
// redundant), and those it flagged and told already.
type groupPicks struct {
	prefer map[uuid.UUID]bool
	told   map[uuid.UUID]bool
}

// pickedElsewhere is the set of bookings picks holds for room types other
// than rt.
func pickedElsewhere(picks map[uuid.UUID][]uuid.UUID, rt uuid.UUID) map[uuid.UUID]bool {
	out := map[uuid.UUID]bool{}
	for t, ids := range picks {
		if t != rt {
			for _, id := range ids {
				out[id] = true
			}
		}
	}
	return out
}

// errWouldRelocate is shrinkTx's answer, not forced, when bookings would
// lose their room: its caller lists them (relocationConflict).
var errWouldRelocate = errors.New("bookings would lose their room")

// relocationConflict is the MAINTENANCE_CONFLICT that lists the bookings a
// change not forced would take the room of.
func relocationConflict(affected []AffectedBooking) error {
	refs := make([]string, len(affected))
	for i, a := range affected {
		refs[i] = a.Reference
	}
	return apperr.New(MaintenanceConflict, fmt.Sprintf(
		"%d booking(s) would lose their room (%s); move them first or force the change to flag them for relocation",
		len(affected), strings.Join(refs, ", ")))
}

// businessDateTx is the hotel's business date at now, on its zone as read
// in the transaction of a capacity change after its room types' locks: a
// zone change takes them too (catalog's reopenNightsTx), so a change that
// waited for one counts from the date of the zone it committed.
func (s *Service) businessDateTx(ctx context.Context, q *db.Queries, hotelID uuid.UUID) (time.Time, error) {
	loc, err := hotelZoneTx(ctx, q, hotelID)
	if err != nil {
		return time.Time{}, err
	}
	return hoteldate.BusinessDate(s.opts.Now(), loc), nil
}

// hotelZoneTx is the hotel's zone as the transaction q reads it: in the
// transaction, not through the pool, whose connections may all be held by
// transactions waiting for this one.
func hotelZoneTx(ctx context.Context, q *db.Queries, hotelID uuid.UUID) (*time.Location, error) {
	h, err := q.GetHotel(ctx, hotelID)
	if err != nil {
		return nil, fmt.Errorf("load hotel: %w", err)
	}
	loc, err := hoteldate.Zone(h.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("hotel time zone: %w", err)
	}
	return loc, nil
}

// lockRoomTypesTx takes the room types' capacity locks (LockRoomTypes), in
// id order, first in every transaction that changes their capacity: a
// change racing another of the same room type then computes the nights'
// capacity with the other's rooms and blocks, also on nights that neither
// had inventory rows for yet.
func lockRoomTypesTx(ctx context.Context, q *db.Queries, roomTypeIDs ...uuid.UUID) error {
	if err := q.LockRoomTypes(ctx, roomTypeIDs); err != nil {
		return fmt.Errorf("lock room types: %w", err)
	}
	return nil
}

// refuseOverlapsTx refuses to block a room on a night another block of it
// already covers: INVALID_INPUT on each such room, naming the block's
// nights. One block per room and night keeps what ending a block gives back
// exactly its own nights, and the list of blocks the hotel's truth (merging
// would rewrite another block's reason and author). The rooms are locked
// first, so that concurrent blocks of a room take turns and each sees the
// others' blocks.
func refuseOverlapsTx(ctx context.Context, q *db.Queries, rooms []catalog.Room, from, to time.Time) error {
	ids := make([]uuid.UUID, len(rooms))
	for i, r := range rooms {
		ids[i] = r.ID
	}
	if err := q.LockRoomsForBlocks(ctx, ids); err != nil {
		return fmt.Errorf("lock rooms: %w", err)
	}
	overlaps, err := q.OverlappingMaintenanceBlocks(ctx, db.OverlappingMaintenanceBlocksParams{RoomIds: ids, FromNight: from, ToNight: to})
	if err != nil {
		return fmt.Errorf("find overlapping blocks: %w", err)
	}
	var refused apperr.List
	for i, r := range rooms {
		for _, o := range overlaps {
			if o.RoomID == r.ID {
				refused = append(refused, apperr.Invalid(fmt.Sprintf(
					"room %s is blocked already from %s to %s; block only the nights outside that block, or end it first (endMaintenance)",
					r.Number, o.StartNight.Format(time.DateOnly), o.EndNight.Format(time.DateOnly)), "input", "roomIds", fmt.Sprint(i)))
				break
			}
		}
	}
	return refused.Err()
}

// EndMaintenanceInput ends a maintenance block from a night on.
type EndMaintenanceInput struct {
	BlockID uuid.UUID
	// ExpectedVersion is the block's version as the caller read it.
	ExpectedVersion int64
	// From is the first night back on sale; nil means the hotel's local
	// today (its business date).
	From *time.Time
}

// EndMaintenance ends a block early, when the works finished sooner, or
// removes a mistaken one: its nights from in.From on go back on sale. A
// block that has started by then keeps its earlier nights and ends before
// in.From; one that has not is removed. The block and the capacity of its
// room type's nights change in one transaction, optimistic on the block's
// version. Capacity only grows, so no booking loses its room, and bookings
// a block flagged for relocation stay flagged: their units went back on sale
// when it was made. The audit trail records the change to the block and the
// change stream the nights it frees (availabilityChanged). It returns the
// block as it is now, nil when it was removed.
//
// Staff of the block's hotel and admins only: other callers are FORBIDDEN,
// and to staff of other hotels the block is NOT_FOUND. From may not be
// before the hotel's today (past nights stay as they were) nor on or after
// the block's end (INVALID_INPUT); a block changed meanwhile is
// STALE_VERSION. Today is the hotel's business date (hoteldate), as for
// blocking.
func (s *Service) EndMaintenance(ctx context.Context, in EndMaintenanceInput) (*MaintenanceBlock, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() && p.Role != auth.RoleStaff {
		return nil, apperr.New(apperr.Forbidden, "only the hotel's staff and admins end maintenance")
	}
	row, err := s.q.GetMaintenanceBlock(ctx, in.BlockID)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && !p.CanManageHotel(row.HotelID) {
		return nil, blockNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("load maintenance block: %w", err)
	}
	loc, err := s.hotelLocation(ctx, row.HotelID)
	if err != nil {
		return nil, err
	}
	today := hoteldate.BusinessDate(s.opts.Now(), loc)
	from := today
	if in.From != nil {
		from = Date(*in.From)
	}
	switch {
	case row.Version != in.ExpectedVersion:
		return nil, staleBlock(fmt.Sprintf("the block is at version %d, not %d; reload it and try again", row.Version, in.ExpectedVersion))
	case from.Before(today):
		return nil, apperr.Invalid(fmt.Sprintf("%s is before today at the hotel (%s): past nights stay as they were",
			from.Format(time.DateOnly), today.Format(time.DateOnly)), "input", "from")
	case !from.Before(row.EndNight):
		return nil, apperr.Invalid(fmt.Sprintf("the block ends by then: its last night is %s",
			row.EndNight.AddDate(0, 0, -1).Format(time.DateOnly)), "input", "from")
	}
	remove := !from.After(row.StartNight)
	freed := from // the first night back on sale
	if remove {
		freed = row.StartNight
	}
	var ended *MaintenanceBlock
	err = s.inTx(ctx, func(_ pgx.Tx, q *db.Queries) error {
		ended = nil
		if err := lockRoomTypesTx(ctx, q, row.RoomTypeID); err != nil {
			return err
		}
		var changed db.MaintenanceBlock
		var err error
		if remove {
			changed, err = q.DeleteMaintenanceBlock(ctx, db.DeleteMaintenanceBlockParams{ID: row.ID, Version: row.Version})
		} else {
			changed, err = q.ShortenMaintenanceBlock(ctx, db.ShortenMaintenanceBlockParams{ID: row.ID, Version: row.Version, EndNight: from})
		}
		if errors.Is(err, pgx.ErrNoRows) {
			if _, err := q.GetMaintenanceBlock(ctx, row.ID); errors.Is(err, pgx.ErrNoRows) {
				return blockNotFound()
			}
			return staleBlock("the block was changed by someone else; reload it and try again")
		}
		if err != nil {
			return fmt.Errorf("end maintenance block: %w", err)
		}
		// As shrinkTx: the rows locked in night order, so a hold racing
		// this either committed first or reads the new capacity (and an
		// optimistic one that read the old finds the version moved on).
		if err := q.LockInventoryFrom(ctx, db.LockInventoryFromParams{RoomTypeID: row.RoomTypeID, FromNight: freed}); err != nil {
			return fmt.Errorf("lock inventory: %w", err)
		}
		if _, err := q.RefreshCapacity(ctx, db.RefreshCapacityParams{RoomTypeID: row.RoomTypeID, FromNight: freed}); err != nil {
			return fmt.Errorf("refresh capacity: %w", err)
		}
		if !remove {
			b := blockFromRow(changed)
			ended = &b
		}
		return nil
	})
	return ended, err
}

func blockNotFound() error {
	return &apperr.Error{Code: apperr.NotFound, Field: []string{"input", "blockId"}, Message: "maintenance block not found"}
}

func staleBlock(message string) error {
	return &apperr.Error{Code: apperr.StaleVersion, Field: []string{"input", "expectedVersion"}, Message: message}
}

// AddRooms adds rooms to a room type, all or none, and gives the nights
// that can be sold, from the hotel's business date on, their new capacity
// (nights before it keep the capacity they were sold with). As with
// SetRoomService, each of those nights gets an inventory row first: a hold
// racing this either committed its rows before, and they are counted, or
// waits for this change and reads the new capacity. A room type without
// any room yet needs none of that: nothing was sold or blocked on it, and
// a hold of it finds no room until this commits.
func (s *Service) AddRooms(ctx context.Context, rooms RoomService, roomTypeID uuid.UUID, numbers []string) ([]catalog.Room, error) {
	rt, err := rooms.RoomType(ctx, roomTypeID)
	if err != nil {
		return nil, err
	}
	var added []catalog.Room
	err = s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		if err := lockRoomTypesTx(ctx, q, rt.ID); err != nil {
			return err
		}
		today, err := s.businessDateTx(ctx, q, rt.HotelID)
		if err != nil {
			return err
		}
		had, err := q.RoomTypeHasRooms(ctx, rt.ID)
		if err != nil {
			return fmt.Errorf("count rooms: %w", err)
		}
		if added, err = rooms.AddRoomsTx(ctx, q, rt, numbers); err != nil || !had {
			return err
		}
		// more rooms oversell no night, so no booking is affected
		a, err := s.shrinkTx(ctx, tx, q, rt.ID, today, false, "", nil)
		if errors.Is(err, errWouldRelocate) {
			return relocationConflict(a)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// SetRoomService takes a room out of service or puts it back, keeping the
// inventory of its room type right from the hotel's business date on (the
// night in progress until 06:00 local time included). Taking it out fails
// with MAINTENANCE_CONFLICT when bookings would lose their room, unless
// force flags them for relocation (see BlockRooms).
func (s *Service) SetRoomService(ctx context.Context, rooms RoomService, id uuid.UUID, expectedVersion int64, inService bool, note string, force bool) (catalog.Room, []AffectedBooking, error) {
	current, err := rooms.Room(ctx, id)
	if err != nil {
		return catalog.Room{}, nil, err
	}
	var room catalog.Room
	var affected []AffectedBooking
	err = s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		if err := lockRoomTypesTx(ctx, q, current.RoomTypeID); err != nil {
			return err
		}
		today, err := s.businessDateTx(ctx, q, current.HotelID)
		if err != nil {
			return err
		}
		if room, err = rooms.SetRoomServiceTx(ctx, q, id, expectedVersion, inService, note); err != nil {
			return err
		}
		affected, err = s.shrinkTx(ctx, tx, q, room.RoomTypeID, today, force, "a room of this stay's type was taken out of service", nil) // the staff's note stays on the room
		if errors.Is(err, errWouldRelocate) {
			return relocationConflict(affected)
		}
		return err
	})
	if err != nil {
		return catalog.Room{}, affected, err
	}
	s.releaseTakenHolds(ctx, affected)
	return room, affected, nil
}

// shrinkTx brings a room type's inventory capacity in line with its rooms and
// blocks from a night on. Where reservations would exceed the new capacity it
// picks the bookings to move (newest first, as few as cover every oversold
// night; never a guest already checked in): without force that is a
// MAINTENANCE_CONFLICT listing them; with force they hand their units of
// this room type back and are flagged for relocation. A flagged hold is
// left to releaseTakenHolds, once the change has committed. g (nil for a
// change of one room type) names the bookings to pick first, and those an
// earlier call of the same change flagged: they hand back this room type's
// units too, but are neither flagged nor told again, nor returned again.
func (s *Service) shrinkTx(ctx context.Context, tx pgx.Tx, q *db.Queries, roomTypeID uuid.UUID, from time.Time, force bool, note string, g *groupPicks) ([]AffectedBooking, error) {
	if g == nil {
		g = &groupPicks{}
	}
	// Every night that can be sold gets a row, and the rows are locked in
	// night order: a hold racing this change either committed before (and is
	// counted below) or waits and then reads the new capacity.
	if err := q.EnsureInventory(ctx, db.EnsureInventoryParams{RoomTypeIds: []uuid.UUID{roomTypeID}, FromNight: from,
		ToNight: from.AddDate(0, 0, MaxDaysAhead+MaxNights+1)}); err != nil {
		return nil, fmt.Errorf("create inventory rows: %w", err)
	}
	// From the first night a booking holding a night >= from can hold: the
	// releases below must not take row locks out of night order.
	if err := q.LockInventoryFrom(ctx, db.LockInventoryFromParams{RoomTypeID: roomTypeID, FromNight: from.AddDate(0, 0, -MaxNights)}); err != nil {
		return nil, fmt.Errorf("lock inventory: %w", err)
	}
	over, err := q.OversoldNights(ctx, db.OversoldNightsParams{RoomTypeID: roomTypeID, FromNight: from})
	if err != nil {
		return nil, fmt.Errorf("find oversold nights: %w", err)
	}
	var affected []AffectedBooking
	if len(over) > 0 {
		short := map[time.Time]int{}
		for _, n := range over {
			short[n.Night] = int(n.Reserved - n.Capacity)
		}
		candidates, err := q.BookingsHoldingNights(ctx, db.BookingsHoldingNightsParams{
			RoomTypeID: roomTypeID, FirstNight: over[0].Night, LastNight: over[len(over)-1].Night})
		if err != nil {
			return nil, fmt.Errorf("find bookings to relocate: %w", err)
		}
		// A relocated booking hands back every night of its stay, so a
		// guest already in the house is never one: the nights they are in
		// the room would go on sale again.
		inHouse := func(c db.BookingsHoldingNightsRow) bool { return Status(c.Status) == StatusCheckedIn }
		overlaps := func(c db.BookingsHoldingNightsRow, night time.Time) bool {
			return !night.Before(c.CheckIn) && night.Before(c.CheckOut)
		}
		// Bookings the change moves for another room type (a group) cost
		// no further move: they are picked first, newest first after them.
		slices.SortStableFunc(candidates, func(a, b db.BookingsHoldingNightsRow) int {
			switch {
			case g.prefer[a.ID] == g.prefer[b.ID]:
				return 0
			case g.prefer[a.ID]:
				return -1
			}
			return 1
		})
		var picked []db.BookingsHoldingNightsRow
		for _, c := range candidates {
			if inHouse(c) {
				continue
			}
			helps := false
			for night, n := range short {
				if n > 0 && overlaps(c, night) {
					helps = true
					short[night] = n - int(c.Units)
				}
			}
			if helps {
				picked = append(picked, c)
			}
		}
		// A booking picked early (newer) may be made redundant by older
		// ones picked after it: it keeps its room when the others free
		// enough on every night it helped. short becomes what each night
		// lacks once every pick has handed its units back.
		for _, n := range over {
			short[n.Night] = int(n.Reserved - n.Capacity)
			for _, c := range picked {
				if overlaps(c, n.Night) {
					short[n.Night] -= int(c.Units)
				}
			}
		}
		for i := 0; i < len(picked); i++ {
			c, spare := picked[i], !g.prefer[picked[i].ID]
			for night, n := range short {
				if overlaps(c, night) && n+int(c.Units) > 0 {
					spare = false
					break
				}
			}
			if !spare {
				continue
			}
			for night, n := range short {
				if overlaps(c, night) {
					short[night] = n + int(c.Units)
				}
			}
			picked = slices.Delete(picked, i, i+1)
			i--
		}
		for _, c := range picked {
			affected = append(affected, AffectedBooking{ID: c.ID, Reference: c.Reference, Status: Status(c.Status), CheckIn: c.CheckIn, CheckOut: c.CheckOut})
		}
		var unmovable []string
		var guests []string
		for night, n := range short {
			if n > 0 {
				unmovable = append(unmovable, night.Format(time.DateOnly))
				for _, c := range candidates {
					if inHouse(c) && overlaps(c, night) && !slices.Contains(guests, c.Reference) {
						guests = append(guests, c.Reference)
					}
				}
			}
		}
		if len(unmovable) > 0 {
			// Units held by guests in the house, or used by guests who
			// left during the night in progress: the change is refused
			// whatever force says.
			slices.Sort(unmovable)
			slices.Sort(guests)
			if len(guests) == 0 {
				// no active booking holds them: only a departure (checked
				// out) still holds the units of the night it slept, and only
				// the night in progress is changed and can have one
				return affected, apperr.New(MaintenanceConflict, fmt.Sprintf(
					"the night of %s is still in progress (until 06:00 local time) and guests who have checked out used its rooms; make the change from 06:00, once that night is over",
					strings.Join(unmovable, ", ")))
			}
			return affected, apperr.New(MaintenanceConflict, fmt.Sprintf(
				"the rooms left cannot hold the guests in the house (%s) on %s; check them out or move them to other rooms first",
				strings.Join(guests, ", "), strings.Join(unmovable, ", ")))
		}
		if !force {
			return affected, errWouldRelocate
		}
		told := affected[:0:0]
		for _, a := range affected {
			b := Booking{ID: a.ID, CheckIn: a.CheckIn, CheckOut: a.CheckOut}
			if err := releaseBookingTx(ctx, q, b, &roomTypeID); err != nil {
				return nil, err
			}
			if g.told[a.ID] {
				continue
			}
			if g.told != nil {
				g.told[a.ID] = true
			}
			// The status as it is now: a hold listed above may have been
			// confirmed since (confirming does not wait for these locks).
			status, err := q.FlagRelocation(ctx, db.FlagRelocationParams{ID: a.ID, Note: note})
			if err != nil {
				return nil, fmt.Errorf("flag relocation: %w", err)
			}
			a.Status = Status(status)
			told = append(told, a)
			if a.Status == StatusHeld {
				continue // released whole once this change commits (releaseTakenHolds)
			}
			if err := s.noticeTx(ctx, tx, a.ID, notify.RelocationNeeded); err != nil {
				return nil, err
			}
		}
		affected = told
	}
	if _, err := q.RefreshCapacity(ctx, db.RefreshCapacityParams{RoomTypeID: roomTypeID, FromNight: from}); err != nil {
		return nil, fmt.Errorf("refresh capacity: %w", err)
	}
	return affected, nil
}

// releaseTakenHolds ends the holds a committed maintenance change took a
// room from (affected, still HELD): a hold cannot be confirmed without its
// room, nor moved, so it ends now, handing back its other rooms and any
// partial payment, as its expiry would (ExpireHold), and its guest hears
// that the hold ended. Each is released in a transaction of its own, after
// the change's: releasing its other room types inside the change would take
// their locks out of (room type, night) order. One being paid right now
// ends when the payment's outcome is in (unpinTx); one whose release fails
// here ends at its expiry, as its job already says.
func (s *Service) releaseTakenHolds(ctx context.Context, affected []AffectedBooking) {
	for i, a := range affected {
		if a.Status != StatusHeld {
			continue
		}
		if wait, err := s.ExpireHold(ctx, a.ID); err == nil && wait == 0 {
			if b, err := s.q.GetBooking(ctx, a.ID); err == nil {
				affected[i].Status = Status(b.Status)
			}
		}
	}
}

func blockFromRow(r db.MaintenanceBlock) MaintenanceBlock {
	return MaintenanceBlock{ID: r.ID, HotelID: r.HotelID, RoomID: r.RoomID, RoomTypeID: r.RoomTypeID,
		Start: r.StartNight, End: r.EndNight, Reason: r.Reason, CreatedBy: r.CreatedBy, Version: r.Version, CreatedAt: r.CreatedAt}
}

func keys[K comparable, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
