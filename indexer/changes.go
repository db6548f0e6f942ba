package indexer

import (
	"bytes"
	"slices"
	"time"

	"github.com/google/uuid"
)

// ChangeKind says what a Change changed about a hotel's stays.
type ChangeKind string

// The kinds of Change.
const (
	// AvailabilityChange: units for sale (inventory, rooms in or out of
	// service, maintenance blocks, room types, the hotel itself).
	AvailabilityChange ChangeKind = "availability"
	// RateChange: prices (nightly rates, rate plans).
	RateChange ChangeKind = "rates"
)

// Change is what the changes of one transaction mean for one hotel's
// sellable stays: the feed of subscriptions and partner webhooks.
type Change struct {
	Kind    ChangeKind
	HotelID uuid.UUID
	// RoomTypeIDs are the room types concerned, sorted; empty means every
	// room type of the hotel (a hotel created or deleted).
	RoomTypeIDs []uuid.UUID
	// Nights are the hotel-local nights concerned; zero means every night.
	Nights Nights
	// Tables are the tables whose changes it sums up, in the order of Tables.
	Tables     []Table
	CommitLSN  LSN
	CommitTime time.Time
}

// kindOf is the kind of change an event makes, if any.
func kindOf(e Event) (ChangeKind, bool) {
	switch e.Table {
	case Inventory, Rooms, MaintenanceBlocks, RoomTypes:
		return AvailabilityChange, true
	case NightlyRates, RatePlans:
		return RateChange, true
	case Hotels:
		// A new or deleted hotel changes what is for sale. An update may
		// change every price (its tax rate) or which nights are sold (its
		// time zone, check-in time): the row says not which columns moved,
		// so every update counts as a change of every rate of the hotel.
		if e.Op == Update {
			return RateChange, true
		}
		return AvailabilityChange, e.Op == Insert || e.Op == Delete
	}
	// Bookings change availability through inventory, in the same transaction.
	return "", false
}

// Changes sums events up per transaction, hotel and kind, in order of first
// appearance. Each transaction yields the same Changes however the stream
// is cut into batches, so their identity (CommitLSN, HotelID, Kind) is
// stable across replays. Events whose hotel is unknown are left out.
func Changes(events []Event) []Change {
	type groupKey struct {
		lsn   LSN
		hotel uuid.UUID
		kind  ChangeKind
	}
	index := map[groupKey]int{}
	var out []Change
	wholeHotel := map[int]bool{}
	dated := map[int]bool{} // groups whose Nights an event set
	for _, e := range events {
		kind, ok := kindOf(e)
		if !ok || e.Key.HotelID == uuid.Nil {
			continue
		}
		k := groupKey{e.CommitLSN, e.Key.HotelID, kind}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, Change{Kind: kind, HotelID: e.Key.HotelID, CommitLSN: e.CommitLSN, CommitTime: e.CommitTime})
		}
		// A rate plan's update says not which nights it concerns: every
		// night, unless the transaction also set nightly rates, as setting
		// rates does when it bumps its plan's version (then those nights).
		if !(e.Table == RatePlans && e.Op == Update) {
			if dated[i] {
				out[i].Nights = out[i].Nights.Union(e.Nights)
			} else {
				out[i].Nights, dated[i] = e.Nights, true
			}
		}
		c := &out[i]
		if !slices.Contains(c.Tables, e.Table) {
			c.Tables = append(c.Tables, e.Table)
		}
		if e.Key.RoomTypeID == uuid.Nil || e.Table == Hotels {
			wholeHotel[i] = true
		} else if !slices.Contains(c.RoomTypeIDs, e.Key.RoomTypeID) {
			c.RoomTypeIDs = append(c.RoomTypeIDs, e.Key.RoomTypeID)
		}
	}
	for i := range out {
		if wholeHotel[i] {
			out[i].RoomTypeIDs = nil
		}
		SortIDs(out[i].RoomTypeIDs)
		slices.SortFunc(out[i].Tables, func(a, b Table) int { return slices.Index(Tables, a) - slices.Index(Tables, b) })
	}
	return out
}

// SortIDs sorts ids by their bytes.
func SortIDs(ids []uuid.UUID) {
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
}
