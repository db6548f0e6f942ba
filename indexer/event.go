package indexer

import (
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pglogrepl"
)

// LSN is a position in PostgreSQL's write-ahead log.
type LSN = pglogrepl.LSN

// Table is a table of the publication.
type Table string

// The published tables (migration 00009_change_stream.sql).
const (
	Hotels            Table = "hotels"
	RoomTypes         Table = "room_types"
	Rooms             Table = "rooms"
	RatePlans         Table = "rate_plans"
	NightlyRates      Table = "nightly_rates"
	MaintenanceBlocks Table = "maintenance_blocks"
	Inventory         Table = "inventory"
	Bookings          Table = "bookings"
)

// Tables are the published tables. Rows of other tables never reach consumers.
var Tables = []Table{Hotels, RoomTypes, Rooms, RatePlans, NightlyRates, MaintenanceBlocks, Inventory, Bookings}

// Op is what happened to a row.
type Op string

// The operations of the stream.
const (
	Insert Op = "INSERT"
	Update Op = "UPDATE"
	Delete Op = "DELETE"
	// Truncate emptied a whole table: its event has no key, and consumers
	// treat every row of the table as changed.
	Truncate Op = "TRUNCATE"
)

// Key identifies the changed row, and the hotel it belongs to.
type Key struct {
	// HotelID is the row's hotel: its own column where the table has one,
	// else resolved through the room type (inventory) or the rate plan
	// (nightly rates). uuid.Nil when it cannot be known any more (the row
	// and its parents were deleted before the change was read); the deletion
	// of the parent then names the hotel.
	HotelID uuid.UUID
	// ID is the row's id, for tables keyed by one (all but inventory and
	// nightly_rates).
	ID uuid.UUID
	// RoomTypeID is the room type of the row: the key of inventory, the
	// row itself for room types, the column of rooms, rate plans and
	// maintenance blocks, resolved for nightly rates.
	RoomTypeID uuid.UUID
	// RatePlanID is the rate plan of nightly rates (their key), and the row
	// itself for rate plans.
	RatePlanID uuid.UUID
	// Night is the first night of inventory and nightly rates rows (their
	// key); the event's Nights says how many consecutive nights it covers.
	Night time.Time
}

// Event is one committed row change, or several changes of one transaction
// to consecutive nights of the same room type or rate plan (a rate load, a
// stay's inventory), merged.
type Event struct {
	Table Table
	Op    Op
	Key   Key
	// Nights are the hotel-local nights the change concerns: an inventory or
	// nightly rate row's night, a maintenance block's nights (before and
	// after an update), a booking's stay. Zero for changes that concern every
	// night (a room leaving service, a new rate plan, a hotel's update).
	Nights Nights
	// CommitLSN is where the transaction committed: events of one
	// transaction share it, and a replay after a restart delivers them with
	// the same value (consumers derive idempotency keys from it).
	CommitLSN LSN
	// CommitTime is when the transaction committed, by the server's clock.
	CommitTime time.Time
}

// Nights is a range [From, To) of hotel-local dates, each at midnight UTC.
// The zero value means every night.
type Nights struct {
	From, To time.Time
}

// NightsOf is the range of nights [from, to).
func NightsOf(from, to time.Time) Nights { return Nights{From: dateOf(from), To: dateOf(to)} }

// Night is the range of the one night n.
func Night(n time.Time) Nights { return Nights{From: dateOf(n), To: dateOf(n).AddDate(0, 0, 1)} }

// All reports whether the range is every night.
func (n Nights) All() bool { return n.From.IsZero() && n.To.IsZero() }

// Union is the smallest range holding n and o (every night if either is).
func (n Nights) Union(o Nights) Nights {
	if n.All() || o.All() {
		return Nights{}
	}
	out := n
	if o.From.Before(out.From) {
		out.From = o.From
	}
	if o.To.After(out.To) {
		out.To = o.To
	}
	return out
}

// Overlaps reports whether n shares a night with [from, to). A zero from or
// to leaves that side open.
func (n Nights) Overlaps(from, to time.Time) bool {
	if n.All() {
		return true
	}
	if !to.IsZero() && !n.From.Before(dateOf(to)) {
		return false
	}
	if !from.IsZero() && !dateOf(from).Before(n.To) {
		return false
	}
	return true
}

// touches reports whether n and o overlap or are adjacent, so their union
// adds no night that neither holds.
func (n Nights) touches(o Nights) bool {
	if n.All() || o.All() {
		return n.All() && o.All()
	}
	return !o.From.After(n.To) && !n.From.After(o.To)
}

// String is "2027-06-20..2027-06-22" (the last night is 06-21), or "all".
func (n Nights) String() string {
	if n.All() {
		return "all"
	}
	return n.From.Format(time.DateOnly) + ".." + n.To.Format(time.DateOnly)
}

// dateOf is the calendar date of t, at midnight UTC.
func dateOf(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// HotelIDs are the distinct known hotels of events, in order of first appearance.
func HotelIDs(events []Event) []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	var ids []uuid.UUID
	for _, e := range events {
		if e.Key.HotelID != uuid.Nil && !seen[e.Key.HotelID] {
			seen[e.Key.HotelID] = true
			ids = append(ids, e.Key.HotelID)
		}
	}
	return ids
}
