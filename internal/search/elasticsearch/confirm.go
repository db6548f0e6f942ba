package elasticsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/search"
)

// confirmation is PostgreSQL's answer for one hotel of a page.
type confirmation struct {
	name              string
	starRating        int
	currency          string
	checkIn, checkOut *time.Time
	lowestTotal       *int64
	roomTypes         []search.RoomTypeHit
	inPriceRange      bool
}

// confirm asks PostgreSQL, in one query, about the stays of the page's
// hotels (confirm.sql: the formulas of search.sql). Hotels missing from the
// answer are gone, sold out, their stay starts before their business date,
// or they no longer have the stars or amenities asked for.
func (e *Engine) confirm(ctx context.Context, q search.Query, ids []uuid.UUID) (map[uuid.UUID]confirmation, error) {
	out := map[uuid.UUID]confirmation{}
	if len(ids) == 0 {
		return out, nil
	}
	nights := q.ArrivalNights()
	priceMin, priceMax := q.PriceBounds()
	adults, children, people := q.PartyBounds()
	amenities := q.Amenities
	if amenities == nil {
		amenities = []string{}
	}
	rows, err := e.pool.Query(ctx, confirmSQL, ids, q.CheckIn, q.CheckOut, q.ArrivingAt, nights,
		q.RoomCount(), adults, children, people, q.Now, q.PriceCurrency(), priceMin, priceMax, q.AsksForRooms(),
		q.MinStars, amenities)
	if err != nil {
		return nil, fmt.Errorf("confirm page in postgresql: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var c confirmation
		var roomTypes string
		if err := rows.Scan(&id, &c.name, &c.starRating, &c.currency, &c.checkIn, &c.checkOut, &c.lowestTotal, &roomTypes, &c.inPriceRange); err != nil {
			return nil, fmt.Errorf("confirm page in postgresql: %w", err)
		}
		if c.roomTypes, err = decodeRoomTypes(roomTypes, c.currency); err != nil {
			return nil, fmt.Errorf("confirm page in postgresql: hotel %s: %w", id, err)
		}
		out[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("confirm page in postgresql: %w", err)
	}
	return out, nil
}

// decodeRoomTypes reads confirm.sql's room_types JSON; totals are in
// currency, the hotel's.
func decodeRoomTypes(raw, currency string) ([]search.RoomTypeHit, error) {
	var rts []struct {
		RoomTypeID   uuid.UUID  `json:"room_type_id"`
		RatePlanID   *uuid.UUID `json:"rate_plan_id"`
		Total        *int64     `json:"total"`
		UnitsLeft    int        `json:"units_left"`
		Name         string     `json:"name"`
		MaxAdults    int        `json:"max_adults"`
		MaxChildren  int        `json:"max_children"`
		MaxOccupancy int        `json:"max_occupancy"`
		RatePlanName *string    `json:"rate_plan_name"`
	}
	if err := json.Unmarshal([]byte(raw), &rts); err != nil {
		return nil, err
	}
	out := make([]search.RoomTypeHit, len(rts))
	for i, rt := range rts {
		out[i] = search.RoomTypeHit{RoomTypeID: rt.RoomTypeID, Currency: currency, UnitsLeft: rt.UnitsLeft,
			Name: rt.Name, MaxAdults: rt.MaxAdults, MaxChildren: rt.MaxChildren, MaxOccupancy: rt.MaxOccupancy}
		if rt.RatePlanName != nil {
			out[i].RatePlanName = *rt.RatePlanName
		}
		if rt.RatePlanID != nil {
			out[i].RatePlanID = *rt.RatePlanID
		}
		if rt.Total != nil {
			out[i].Total = *rt.Total
		}
	}
	return out, nil
}
