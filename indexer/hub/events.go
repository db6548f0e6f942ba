package hub

import (
	"slices"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/indexer"
)

// Events turns a batch of the change stream into subscription events: one
// AvailabilityChanged per hotel (its room types and nights summed over the
// batch, Rates when prices changed), then one BookingUpdated per booking
// (its last change), each in order of first appearance.
func Events(batch []indexer.Event) []Event {
	var out []Event
	hotels := map[uuid.UUID]int{}
	wholeHotel := map[int]bool{}
	for _, c := range indexer.Changes(batch) {
		i, ok := hotels[c.HotelID]
		if !ok {
			i = len(out)
			hotels[c.HotelID] = i
			out = append(out, Event{Kind: AvailabilityChanged, HotelID: c.HotelID, Nights: c.Nights})
		} else {
			out[i].Nights = out[i].Nights.Union(c.Nights)
		}
		e := &out[i]
		e.Rates = e.Rates || c.Kind == indexer.RateChange
		e.CommitLSN, e.CommitTime = c.CommitLSN, c.CommitTime
		if len(c.RoomTypeIDs) == 0 {
			wholeHotel[i] = true
		}
		for _, id := range c.RoomTypeIDs {
			if !slices.Contains(e.RoomTypeIDs, id) {
				e.RoomTypeIDs = append(e.RoomTypeIDs, id)
			}
		}
	}
	for i := range out {
		if wholeHotel[i] {
			out[i].RoomTypeIDs = nil
		}
		indexer.SortIDs(out[i].RoomTypeIDs)
	}
	bookings := map[uuid.UUID]int{}
	for _, e := range batch {
		if e.Table != indexer.Bookings || e.Key.ID == uuid.Nil {
			continue
		}
		ev := Event{Kind: BookingUpdated, HotelID: e.Key.HotelID, BookingID: e.Key.ID, Nights: e.Nights,
			CommitLSN: e.CommitLSN, CommitTime: e.CommitTime}
		if i, ok := bookings[e.Key.ID]; ok {
			if ev.HotelID == uuid.Nil { // a delete names only the booking
				ev.HotelID, ev.Nights = out[i].HotelID, out[i].Nights
			}
			out[i] = ev
			continue
		}
		bookings[e.Key.ID] = len(out)
		out = append(out, ev)
	}
	return out
}
