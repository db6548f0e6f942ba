package indexer

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// maxCached bounds each cache of the resolver; past it the cache starts over.
const maxCached = 200_000

type ratePlanParent struct{ roomType, hotel uuid.UUID }

// resolver finds the hotel of changes keyed by room type (inventory) or
// rate plan (nightly rates). Room types never change hotel and rate plans
// never change room type, so what it learns stays true: from the rows of
// the stream itself first (a room type deleted in the transaction still
// names its hotel, its table having REPLICA IDENTITY FULL), then from
// PostgreSQL.
type resolver struct {
	pool      *pgxpool.Pool
	roomTypes map[uuid.UUID]uuid.UUID // room type → hotel
	ratePlans map[uuid.UUID]ratePlanParent
}

func newResolver(pool *pgxpool.Pool) *resolver {
	return &resolver{pool: pool, roomTypes: map[uuid.UUID]uuid.UUID{}, ratePlans: map[uuid.UUID]ratePlanParent{}}
}

// resolve fills in the hotel (and, for nightly rates, the room type) of a
// transaction's events.
func (r *resolver) resolve(ctx context.Context, events []Event) error {
	if len(r.roomTypes) > maxCached {
		clear(r.roomTypes)
	}
	if len(r.ratePlans) > maxCached {
		clear(r.ratePlans)
	}
	for _, e := range events {
		k := e.Key
		if k.HotelID == uuid.Nil {
			continue
		}
		if k.RoomTypeID != uuid.Nil {
			r.roomTypes[k.RoomTypeID] = k.HotelID
		}
		if e.Table == RatePlans && k.RatePlanID != uuid.Nil {
			r.ratePlans[k.RatePlanID] = ratePlanParent{roomType: k.RoomTypeID, hotel: k.HotelID}
		}
	}
	var roomTypes, ratePlans []uuid.UUID
	for _, e := range events {
		switch {
		case e.Key.HotelID != uuid.Nil:
		case e.Table == Inventory && e.Key.RoomTypeID != uuid.Nil:
			if _, ok := r.roomTypes[e.Key.RoomTypeID]; !ok {
				roomTypes = append(roomTypes, e.Key.RoomTypeID)
			}
		case e.Table == NightlyRates && e.Key.RatePlanID != uuid.Nil:
			if _, ok := r.ratePlans[e.Key.RatePlanID]; !ok {
				ratePlans = append(ratePlans, e.Key.RatePlanID)
			}
		}
	}
	if err := r.load(ctx, roomTypes, ratePlans); err != nil {
		return err
	}
	for i := range events {
		k := &events[i].Key
		if k.HotelID != uuid.Nil {
			continue
		}
		switch events[i].Table {
		case Inventory:
			k.HotelID = r.roomTypes[k.RoomTypeID]
		case NightlyRates:
			p := r.ratePlans[k.RatePlanID]
			k.HotelID, k.RoomTypeID = p.hotel, p.roomType
		}
	}
	return nil
}

// load reads the parents of room types and rate plans the resolver does
// not know yet. Those that no longer exist stay unknown.
func (r *resolver) load(ctx context.Context, roomTypes, ratePlans []uuid.UUID) error {
	if len(roomTypes) > 0 {
		rows, err := r.pool.Query(ctx, roomTypeHotelsSQL, roomTypes)
		if err != nil {
			return fmt.Errorf("look up hotels of room types: %w", err)
		}
		var id, hotel uuid.UUID
		if _, err := pgx.ForEachRow(rows, []any{&id, &hotel}, func() error {
			r.roomTypes[id] = hotel
			return nil
		}); err != nil {
			return fmt.Errorf("look up hotels of room types: %w", err)
		}
	}
	if len(ratePlans) > 0 {
		rows, err := r.pool.Query(ctx, ratePlanParentsSQL, ratePlans)
		if err != nil {
			return fmt.Errorf("look up room types of rate plans: %w", err)
		}
		var id uuid.UUID
		var p ratePlanParent
		if _, err := pgx.ForEachRow(rows, []any{&id, &p.roomType, &p.hotel}, func() error {
			r.ratePlans[id] = p
			r.roomTypes[p.roomType] = p.hotel
			return nil
		}); err != nil {
			return fmt.Errorf("look up room types of rate plans: %w", err)
		}
	}
	return nil
}
