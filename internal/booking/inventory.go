package booking

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/audit"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// errConflict means an inventory row changed between read and write; the
// whole transaction is retried.
var errConflict = errors.New("inventory changed concurrently")

// reservation is a claim on units of room types for nights [from, to).
type reservation struct {
	units    map[uuid.UUID]int // room type -> units
	from, to time.Time
	// read holds every inventory row of the claim, in (room type, night)
	// order, as read earlier in the transaction that reserves; nil when some
	// row did not exist yet: the missing ones are created first then.
	read []db.ReadInventoryRow
}

// newReservation is one unit of each booked room's type (types may
// repeat) on the nights [from, to).
func newReservation(types []uuid.UUID, from, to time.Time) reservation {
	r := reservation{units: map[uuid.UUID]int{}, from: from, to: to}
	for _, t := range types {
		r.units[t]++
	}
	return r
}

func (r reservation) roomTypes() []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(r.units))
	for id := range r.units {
		ids = append(ids, id)
	}
	return uniq(ids)
}

// reserveTx claims the units on every night in q's transaction. Unlocked
// (locked=false), the rows as read earlier in the transaction are written
// "WHERE version = $read"; a row that moved on since returns errConflict.
// Writes go out as one batch, one statement per row in (room type, night)
// order, so concurrent reservations never deadlock. Locked, one statement
// takes the rows' locks in that order and writes them, so nothing can
// conflict. Too few free units on any night is SOLD_OUT.
func reserveTx(ctx context.Context, q *db.Queries, r reservation, locked bool) error {
	ids := r.roomTypes()
	rows := r.read
	if rows == nil {
		if err := q.EnsureInventory(ctx, db.EnsureInventoryParams{RoomTypeIds: ids, FromNight: r.from, ToNight: r.to}); err != nil {
			return fmt.Errorf("create inventory rows: %w", err)
		}
	}
	want := len(ids) * nightsBetween(r.from, r.to)
	if locked {
		return reserveLockedTx(ctx, q, r, ids, want)
	}
	if rows == nil {
		var err error
		if rows, err = q.ReadInventory(ctx, db.ReadInventoryParams{RoomTypeIds: ids, FromNight: r.from, ToNight: r.to}); err != nil {
			return fmt.Errorf("read inventory: %w", err)
		}
	}
	if len(rows) != want {
		return fmt.Errorf("read inventory: %d rows for %d room type nights", len(rows), want)
	}
	updates := make([]db.AdjustInventoryParams, len(rows))
	for i, row := range rows {
		need := r.units[row.RoomTypeID]
		if row.Reserved+int32(need) > row.Capacity {
			return soldOut(rows, row, func(r db.ReadInventoryRow) (uuid.UUID, time.Time, int) {
				return r.RoomTypeID, r.Night, int(r.Capacity - r.Reserved)
			})
		}
		updates[i] = db.AdjustInventoryParams{Delta: int32(need), RoomTypeID: row.RoomTypeID, Night: row.Night, Version: row.Version}
	}
	var conflict, failed error
	q.AdjustInventory(ctx, updates).QueryRow(func(i int, _ int64, err error) {
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			conflict = errConflict
		case err != nil && failed == nil:
			failed = fmt.Errorf("reserve inventory: %w", err)
		}
	})
	if failed != nil {
		return failed
	}
	return conflict
}

func reserveLockedTx(ctx context.Context, q *db.Queries, r reservation, ids []uuid.UUID, want int) error {
	units := make([]int32, len(ids))
	for i, id := range ids {
		units[i] = int32(r.units[id])
	}
	rows, err := q.ReserveLocked(ctx, db.ReserveLockedParams{RoomTypeIds: ids, Units: units, FromNight: r.from, ToNight: r.to})
	if err != nil {
		return fmt.Errorf("reserve inventory: %w", err)
	}
	if len(rows) != want {
		return fmt.Errorf("reserve inventory: %d rows for %d room type nights", len(rows), want)
	}
	for _, row := range rows {
		if !row.Fits {
			return soldOut(rows, row, func(r db.ReserveLockedRow) (uuid.UUID, time.Time, int) {
				return r.RoomTypeID, r.Night, int(r.Free)
			})
		}
	}
	return nil
}

// soldOut is SOLD_OUT for the room type and night of short, one of the
// stay's inventory rows (read tells a row's room type, night and free
// units): the stay has as many units of it free as the fewest of its
// nights. Hold names the room of the request it concerns (soldOutRoom).
func soldOut[R any](rows []R, short R, read func(R) (roomType uuid.UUID, night time.Time, free int)) error {
	roomType, night, free := read(short)
	for _, r := range rows {
		if id, _, f := read(r); id == roomType {
			free = min(free, f)
		}
	}
	return &apperr.Error{Code: SoldOut, Message: fmt.Sprintf("sold out on the night of %s", night.Format(time.DateOnly)),
		Err: soldOutRoomType{roomType, free}}
}

// soldOutRoomType is the cause of a SOLD_OUT: the room type short of
// units, and how many the stay has free (the fewest of its nights).
type soldOutRoomType struct {
	id   uuid.UUID
	free int
}

func (s soldOutRoomType) Error() string { return "room type " + s.id.String() + " is short of units" }

// soldOutRoom points a SOLD_OUT at the first room of rooms that cannot be
// had (["input", "rooms", "<i>"]): of the room type short of units, the one
// after those its free units house. A group learns which room to drop or
// change; other errors pass unchanged.
func soldOutRoom(err error, rooms []QuotedRoom) error {
	var e *apperr.Error
	var short soldOutRoomType
	if !errors.As(err, &e) || e.Code != SoldOut || !errors.As(e.Err, &short) {
		return err
	}
	housed := 0
	for i, r := range rooms {
		if r.RoomType.ID != short.id {
			continue
		}
		if housed++; housed > short.free {
			named := *e
			named.Field = []string{"input", "rooms", strconv.Itoa(i)}
			if len(rooms) > 1 {
				named.Message = fmt.Sprintf("%s (room %d, %s)", e.Message, i+1, r.RoomType.Name)
			}
			return &named
		}
	}
	return err
}

// releaseTx hands units back on every night of [from, to).
func releaseTx(ctx context.Context, q *db.Queries, r reservation) error {
	for _, id := range r.roomTypes() {
		err := q.ReleaseInventory(ctx, db.ReleaseInventoryParams{Units: int32(r.units[id]), RoomTypeID: id, FromNight: r.from, ToNight: r.to})
		if err != nil {
			return fmt.Errorf("release inventory: %w", err)
		}
	}
	return nil
}

// withReservation runs fn in a transaction, retrying it while the optimistic
// reservation inside conflicts: OptimisticAttempts lock-free tries with
// jittered backoff, then one try that locks the rows, so a hot room type
// degrades into a short queue instead of failing. fn reserves with the
// reserve function it is given, as its last statement.
//
// Under contention optimistic tries mostly roll back and start over, so a
// reservation locks on its first try when one of its room types is
// contended: another reservation on it is under way in this process, or one
// conflicted within Opts.ContendedFor (which covers other API processes).
// Locked reservations of a room type then also take turns in this process,
// in arrival order, from the row locks to the commit: one of them waits in
// PostgreSQL's lock queue at a time, where a transaction that arrives as
// the lock changes hands can overtake the ones waiting.
func (s *Service) withReservation(ctx context.Context, roomTypes []uuid.UUID, fn func(tx pgx.Tx, q *db.Queries, reserve func(reservation) error) error) error {
	contended := false
	if s.opts.ContendedFor > 0 {
		contended = s.hot.enter(roomTypes, time.Now())
		defer s.hot.leave(roomTypes)
	}
	for attempt := 1; ; attempt++ {
		locked := contended || attempt > s.opts.OptimisticAttempts
		err := s.reserveInTx(ctx, roomTypes, locked, fn)
		if !errors.Is(err, errConflict) || locked {
			return err
		}
		if s.opts.ContendedFor > 0 {
			s.hot.conflicted(roomTypes, time.Now().Add(s.opts.ContendedFor))
		}
		backoff := time.Duration(rand.Int64N(int64(time.Millisecond) << attempt))
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// reserveInTx is one attempt of withReservation: fn in a transaction, with
// the room types' turns, when it takes them, held until the transaction ends
// (also when fn panics).
func (s *Service) reserveInTx(ctx context.Context, roomTypes []uuid.UUID, locked bool, fn func(tx pgx.Tx, q *db.Queries, reserve func(reservation) error) error) error {
	turn := false
	defer func() {
		if turn {
			s.hot.endTurn(roomTypes)
		}
	}()
	return s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		return fn(tx, q, func(r reservation) error {
			if locked && s.opts.ContendedFor > 0 && !turn {
				if err := s.hot.takeTurn(ctx, roomTypes); err != nil {
					return err
				}
				turn = true
			}
			return reserveTx(ctx, q, r, locked)
		})
	})
}

// contention tracks, per room type, the reservations under way in this
// process, until when a recent conflict makes it count as contended, and
// whose turn it is to lock its rows.
type contention struct {
	mu      sync.Mutex
	running map[uuid.UUID]int
	until   map[uuid.UUID]time.Time
	turns   map[uuid.UUID]chan struct{} // a token while a reservation has the turn
}

// enter registers a reservation on ids and reports whether any of them is
// contended.
func (c *contention) enter(ids []uuid.UUID, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running == nil {
		c.running, c.until, c.turns = map[uuid.UUID]int{}, map[uuid.UUID]time.Time{}, map[uuid.UUID]chan struct{}{}
	}
	contended := false
	for _, id := range ids {
		if c.running[id] > 0 || now.Before(c.until[id]) {
			contended = true
		}
		c.running[id]++
	}
	return contended
}

func (c *contention) leave(ids []uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if c.running[id]--; c.running[id] == 0 {
			delete(c.running, id)
			delete(c.turns, id) // nobody is under way to hold or want it
		}
	}
}

// takeTurn waits until it is the turn of the caller, which entered ids
// (sorted), on each of them; waiters are served in arrival order.
func (c *contention) takeTurn(ctx context.Context, ids []uuid.UUID) error {
	for i, id := range ids {
		c.mu.Lock()
		turn := c.turns[id]
		if turn == nil {
			turn = make(chan struct{}, 1)
			c.turns[id] = turn
		}
		c.mu.Unlock()
		select {
		case turn <- struct{}{}:
		case <-ctx.Done():
			c.endTurn(ids[:i])
			return ctx.Err()
		}
	}
	return nil
}

// endTurn hands the turn on ids to the next waiter.
func (c *contention) endTurn(ids []uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		<-c.turns[id]
	}
}

func (c *contention) conflicted(ids []uuid.UUID, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.until) >= 4096 { // forget what has cooled down
		now := time.Now()
		for id, t := range c.until {
			if !now.Before(t) {
				delete(c.until, id)
			}
		}
	}
	for _, id := range ids {
		c.until[id] = until
	}
}

// inTx runs fn in a transaction attributed to the caller (or the background
// job) in the audit trail. A transaction PostgreSQL aborted to break a
// deadlock runs again: a forced maintenance change locks a room type's
// nights and then the bookings it relocates, while cancellations, expiries
// and no-shows lock a booking and then its nights. fn must only write
// through tx (and return what it read), so that running it again is safe.
func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx, q *db.Queries) error) error {
	for attempt := 1; ; attempt++ {
		err := audit.InTx(ctx, s.pool, func(tx pgx.Tx) error { return fn(tx, s.q.WithTx(tx)) })
		if attempt < maxDeadlockAttempts && postgres.IsDeadlock(err) {
			continue
		}
		return err
	}
}

// maxDeadlockAttempts bounds how often a transaction runs when deadlocks
// keep aborting it.
const maxDeadlockAttempts = 3

// InventoryCheck counts the nights that break the inventory's invariants.
type InventoryCheck struct {
	// Oversold nights have more rooms reserved than their capacity (the
	// database's CHECK makes this impossible; counted to prove it).
	Oversold int
	// Miscounted nights' reservations differ from the booked rooms that
	// hold them.
	Miscounted int
	// WrongCapacity nights' capacity differs from the room type's rooms in
	// service and not blocked for maintenance that night: units that do
	// not exist are sold, or rooms that do are not.
	WrongCapacity int
}

// CheckInventory checks every night of every room type against the
// bookings, and the capacity of the nights from each hotel's business date
// at now on against its rooms; tests, benchmarks and operators use it after
// load.
func CheckInventory(ctx context.Context, conn db.DBTX, now time.Time) (InventoryCheck, error) {
	row, err := db.New(conn).CheckInventory(ctx, now)
	if err != nil {
		return InventoryCheck{}, fmt.Errorf("check inventory: %w", err)
	}
	return InventoryCheck{Oversold: int(row.Oversold), Miscounted: int(row.Miscounted), WrongCapacity: int(row.WrongCapacity)}, nil
}
