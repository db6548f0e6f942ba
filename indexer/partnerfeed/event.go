package partnerfeed

import (
	"fmt"
	"time"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/indexer"
)

// The types of Event.
const (
	TypeAvailability = "availability.changed"
	TypeRates        = "rates.changed"
	// TypeBooking: a booking made with one of the partner's API keys
	// changed (held, confirmed, cancelled, expired, flagged for
	// relocation, ...). Data carries its status and version when the event
	// was queued; fetch the booking for the rest.
	TypeBooking = "booking.changed"
	// TypeResync: the feed restarted from a snapshot, or a table was emptied
	// (TRUNCATE), and changes may not have been sent; refetch what you cache.
	TypeResync = "feed.resync"
)

// Event is the JSON body of a post.
type Event struct {
	// ID identifies the event, the same on every retry and replay; it is
	// also the Idempotency-Key header.
	ID   string `json:"id"`
	Type string `json:"type"`
	// Created is when the change committed, in Unix seconds.
	Created int64 `json:"created"`
	Data    Data  `json:"data"`
}

// Data is what an event is about. Its ids are the API's (relay.ID): the
// partner passes them as they are to hotel(id:), booking(id:) or node(id:).
type Data struct {
	HotelID string `json:"hotel_id,omitempty"`
	// BookingID, Reference, Status, Version and RelocationRequired
	// describe the booking of a booking.changed event.
	BookingID          string `json:"booking_id,omitempty"`
	Reference          string `json:"reference,omitempty"`
	Status             string `json:"status,omitempty"`
	Version            int64  `json:"version,omitempty"`
	RelocationRequired bool   `json:"relocation_required,omitempty"`
	// RoomTypeIDs are the room types concerned; absent means all of the hotel's.
	RoomTypeIDs []string `json:"room_type_ids,omitempty"`
	// From and To are the hotel-local nights concerned, [from, to) as
	// YYYY-MM-DD (a booking's check-in and check-out); absent means every
	// night.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Tables are the tables whose changes the event sums up.
	Tables []indexer.Table `json:"tables,omitempty"`
	// CommitLSN is where the change committed in the stream (none for
	// booking.changed, whose body is the booking's version's).
	CommitLSN string `json:"commit_lsn,omitempty"`
	// CommittedAt is when the change committed (for booking.changed, when
	// the booking took this version).
	CommittedAt time.Time `json:"committed_at"`
}

// EventID is the id of the event of a change: the same for every replay
// of its transaction.
func EventID(c indexer.Change) string {
	return fmt.Sprintf("chg_%016X_%s_%s", uint64(c.CommitLSN), c.Kind, c.HotelID)
}

// EventOf is the event of a change.
func EventOf(c indexer.Change) Event {
	typ := TypeAvailability
	if c.Kind == indexer.RateChange {
		typ = TypeRates
	}
	e := Event{ID: EventID(c), Type: typ, Created: c.CommitTime.Unix(), Data: Data{HotelID: relay.ID(relay.KindHotel, c.HotelID),
		Tables: c.Tables, CommitLSN: c.CommitLSN.String(), CommittedAt: c.CommitTime.UTC()}}
	for _, id := range c.RoomTypeIDs {
		e.Data.RoomTypeIDs = append(e.Data.RoomTypeIDs, relay.ID(relay.KindRoomType, id))
	}
	if !c.Nights.All() {
		e.Data.From, e.Data.To = c.Nights.From.Format(time.DateOnly), c.Nights.To.Format(time.DateOnly)
	}
	return e
}
