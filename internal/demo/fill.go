package demo

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// fillHotel gives a hotel that already exists what demo hotel h has and it
// lacks: room types and rate plans (found by name), every rate, then the
// rooms of each room type that has none. Rooms come last, one all-or-none
// AddRooms per room type, so a hotel whose room types all have rooms is
// complete; one that an interrupted run left incomplete is completed by
// calling fillHotel again. The returned summary counts what it created,
// and the hotel itself.
func fillHotel(ctx context.Context, cat *catalog.Service, inv *booking.Service, hotelID uuid.UUID, h hotelSpec, opts Opts) (Summary, error) {
	s := Summary{Hotels: 1}
	byHotel, err := cat.RoomTypesOfHotels(ctx, []uuid.UUID{hotelID})
	if err != nil {
		return s, err
	}
	have := byHotel[hotelID]
	plans := map[uuid.UUID][]catalog.RatePlan{}
	rooms := map[uuid.UUID]int{}
	if len(have) > 0 { // a hotel an interrupted run left incomplete
		ids := idsOf(have, func(rt catalog.RoomType) uuid.UUID { return rt.ID })
		if plans, err = cat.RatePlansOfRoomTypes(ctx, ids); err != nil {
			return s, err
		}
		if rooms, err = cat.RoomsInService(ctx, ids); err != nil {
			return s, err
		}
	}
	roomTypes := make([]catalog.RoomType, len(h.roomTypes))
	for k, rts := range h.roomTypes {
		rt, ok := named(have, rts.fields.Name, func(rt catalog.RoomType) string { return rt.Name })
		if !ok {
			if rt, err = cat.CreateRoomType(ctx, hotelID, rts.fields); err != nil {
				return s, fmt.Errorf("create room type %q: %w", rts.fields.Name, err)
			}
			s.RoomTypes++
		}
		roomTypes[k] = rt
		for _, rps := range rts.plans {
			rp, ok := named(plans[rt.ID], rps.fields.Name, func(rp catalog.RatePlan) string { return rp.Name })
			if !ok {
				if rp, err = cat.CreateRatePlan(ctx, rt.ID, rps.fields); err != nil {
					return s, fmt.Errorf("create rate plan %q of %q: %w", rps.fields.Name, rts.fields.Name, err)
				}
				s.RatePlans++
			}
			calls, err := setRates(ctx, cat, rp.ID, h, rts, rps, opts.Today, opts.Nights)
			s.RateCalls += calls
			if err != nil {
				return s, err
			}
			s.NightlyRates += opts.Nights
		}
	}
	for k, rts := range h.roomTypes {
		if rooms[roomTypes[k].ID] > 0 {
			continue
		}
		added, err := inv.AddRooms(ctx, cat, roomTypes[k].ID, slices.Clone(rts.rooms))
		if err != nil {
			return s, fmt.Errorf("add rooms to %q: %w", rts.fields.Name, err)
		}
		s.Rooms += len(added)
	}
	return s, nil
}

// completeTail completes the demo hotels an interrupted run left incomplete
// and adds what it created to sum. Hotels are created one at a time and
// filled by at most workers goroutines, so only the last workers+1 of the
// existing hotels can be incomplete; a hotel is complete when every room
// type of its demo spec has rooms (fillHotel adds them last). Hotels that
// are not the demo hotel of opts.Seed at their place are left alone. The
// check costs three queries.
func completeTail(ctx context.Context, cat *catalog.Service, inv *booking.Service, existing int, opts Opts, sum *Summary) (int, error) {
	if existing == 0 {
		return 0, nil
	}
	hotels, err := firstHotels(ctx, cat, existing)
	if err != nil {
		return 0, err
	}
	from := max(0, len(hotels)-(workers+1))
	tail := hotels[from:]
	byHotel, err := cat.RoomTypesOfHotels(ctx, idsOf(tail, func(h catalog.Hotel) uuid.UUID { return h.ID }))
	if err != nil {
		return 0, err
	}
	var roomTypeIDs []uuid.UUID
	for _, rts := range byHotel {
		roomTypeIDs = append(roomTypeIDs, idsOf(rts, func(rt catalog.RoomType) uuid.UUID { return rt.ID })...)
	}
	rooms, err := cat.RoomsInService(ctx, roomTypeIDs)
	if err != nil {
		return 0, err
	}
	completed := 0
	for k, h := range tail {
		i := from + k
		spec := generateHotel(opts.Seed, i)
		if h.Name != spec.fields.Name || complete(spec, byHotel[h.ID], rooms) {
			continue
		}
		opts.Logger.Info("completing a demo hotel an interrupted run left incomplete", "i", i, "name", h.Name)
		s, err := fillHotel(ctx, cat, inv, h.ID, spec, opts)
		if err != nil {
			return completed, fmt.Errorf("complete demo hotel %d (%s): %w", i, h.Name, err)
		}
		s.Hotels = 0 // it existed
		sum.add(s)
		completed++
	}
	return completed, nil
}

// complete reports whether every room type of spec is among roomTypes and
// has rooms.
func complete(spec hotelSpec, roomTypes []catalog.RoomType, rooms map[uuid.UUID]int) bool {
	for _, rts := range spec.roomTypes {
		rt, ok := named(roomTypes, rts.fields.Name, func(rt catalog.RoomType) string { return rt.Name })
		if !ok || rooms[rt.ID] == 0 {
			return false
		}
	}
	return true
}

// named finds the item called name.
func named[T any](items []T, name string, nameOf func(T) string) (T, bool) {
	k := slices.IndexFunc(items, func(t T) bool { return nameOf(t) == name })
	if k < 0 {
		var zero T
		return zero, false
	}
	return items[k], true
}

func idsOf[T any](items []T, id func(T) uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for k, t := range items {
		out[k] = id(t)
	}
	return out
}
