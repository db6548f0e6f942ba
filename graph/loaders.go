package graph

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/server"
)

// loaders batch the lookups of one request so lists do not cause N+1 queries.
type loaders struct {
	hotel            *dataloadgen.Loader[uuid.UUID, catalog.Hotel]
	roomType         *dataloadgen.Loader[uuid.UUID, catalog.RoomType]
	ratePlan         *dataloadgen.Loader[uuid.UUID, catalog.RatePlan]
	roomTypesOfHotel *dataloadgen.Loader[uuid.UUID, []catalog.RoomType]
	ratePlansOfType  *dataloadgen.Loader[uuid.UUID, []catalog.RatePlan]
	roomsInServiceOf *dataloadgen.Loader[uuid.UUID, int]
	// Parts of bookings the caller was already allowed to load.
	bookedRooms   *dataloadgen.Loader[uuid.UUID, []booking.BookedRoom]
	guests        *dataloadgen.Loader[uuid.UUID, []booking.Guest]
	payments      *dataloadgen.Loader[uuid.UUID, []booking.Payment]
	refunds       *dataloadgen.Loader[uuid.UUID, []booking.Refund]
	ledger        *dataloadgen.Loader[uuid.UUID, booking.Ledger]
	notifications *dataloadgen.Loader[uuid.UUID, []notify.Notification]
	// What a hotel's staff see of it, for hotels the caller manages.
	rooms             *dataloadgen.Loader[uuid.UUID, []catalog.Room]
	relocations       *dataloadgen.Loader[uuid.UUID, []booking.Booking]
	maintenanceBlocks *dataloadgen.Loader[uuid.UUID, []booking.MaintenanceBlock]
}

type loadersKey struct{}

const loaderWait = 500 * time.Microsecond

func newLoaders(c *catalog.Service, b *booking.Service) *loaders {
	return &loaders{
		hotel: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]catalog.Hotel, error) {
			hs, err := c.Hotels(ctx, ids)
			return byID(hs, func(h catalog.Hotel) uuid.UUID { return h.ID }), err
		}, dataloadgen.WithWait(loaderWait)),
		roomType: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]catalog.RoomType, error) {
			rts, err := c.RoomTypes(ctx, ids)
			return byID(rts, func(rt catalog.RoomType) uuid.UUID { return rt.ID }), err
		}, dataloadgen.WithWait(loaderWait)),
		ratePlan: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]catalog.RatePlan, error) {
			rps, err := c.RatePlans(ctx, ids)
			return byID(rps, func(rp catalog.RatePlan) uuid.UUID { return rp.ID }), err
		}, dataloadgen.WithWait(loaderWait)),
		roomTypesOfHotel:  dataloadgen.NewMappedLoader(withEmpty(c.RoomTypesOfHotels), dataloadgen.WithWait(loaderWait)),
		ratePlansOfType:   dataloadgen.NewMappedLoader(withEmpty(c.RatePlansOfRoomTypes), dataloadgen.WithWait(loaderWait)),
		roomsInServiceOf:  dataloadgen.NewMappedLoader(withEmpty(c.RoomsInService), dataloadgen.WithWait(loaderWait)),
		bookedRooms:       dataloadgen.NewMappedLoader(withEmpty(b.RoomsOf), dataloadgen.WithWait(loaderWait)),
		guests:            dataloadgen.NewMappedLoader(withEmpty(b.GuestsOf), dataloadgen.WithWait(loaderWait)),
		payments:          dataloadgen.NewMappedLoader(withEmpty(b.PaymentsOf), dataloadgen.WithWait(loaderWait)),
		refunds:           dataloadgen.NewMappedLoader(withEmpty(b.RefundsOf), dataloadgen.WithWait(loaderWait)),
		ledger:            dataloadgen.NewMappedLoader(b.LedgersOf, dataloadgen.WithWait(loaderWait)),
		notifications:     dataloadgen.NewMappedLoader(withEmpty(b.NotificationsOf), dataloadgen.WithWait(loaderWait)),
		rooms:             dataloadgen.NewMappedLoader(ofManagedHotels(c.RoomsOfHotels), dataloadgen.WithWait(loaderWait)),
		relocations:       dataloadgen.NewMappedLoader(ofManagedHotels(b.RelocationsOf), dataloadgen.WithWait(loaderWait)),
		maintenanceBlocks: dataloadgen.NewMappedLoader(ofManagedHotels(b.BlocksOf), dataloadgen.WithWait(loaderWait)),
	}
}

// withEmpty gives keys with no rows the zero value instead of "not found".
func withEmpty[V any](fetch func(context.Context, []uuid.UUID) (map[uuid.UUID]V, error)) func(context.Context, []uuid.UUID) (map[uuid.UUID]V, error) {
	return func(ctx context.Context, keys []uuid.UUID) (map[uuid.UUID]V, error) {
		m, err := fetch(ctx, keys)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				var zero V
				m[k] = zero
			}
		}
		return m, nil
	}
}

// ofManagedHotels batches a read of what hotels' staff see: each hotel the
// caller does not manage is refused on its own (FORBIDDEN, or
// UNAUTHENTICATED), and the others are read together.
func ofManagedHotels[V any](fetch func(context.Context, []uuid.UUID) (map[uuid.UUID]V, error)) func(context.Context, []uuid.UUID) (map[uuid.UUID]V, error) {
	return func(ctx context.Context, hotelIDs []uuid.UUID) (map[uuid.UUID]V, error) {
		refused := dataloadgen.MappedFetchError[uuid.UUID]{}
		var managed []uuid.UUID
		for _, id := range hotelIDs {
			if err := auth.RequireHotel(ctx, id); err != nil {
				refused[id] = err
			} else {
				managed = append(managed, id)
			}
		}
		out := map[uuid.UUID]V{}
		if len(managed) > 0 {
			var err error
			if out, err = withEmpty(fetch)(ctx, managed); err != nil {
				return nil, err
			}
		}
		if len(refused) > 0 {
			return out, refused
		}
		return out, nil
	}
}

func byID[T any](items []T, id func(T) uuid.UUID) map[uuid.UUID]T {
	m := make(map[uuid.UUID]T, len(items))
	for _, it := range items {
		m[id(it)] = it
	}
	return m
}

// Loaders installs fresh per-request loaders in every request's context.
func Loaders(res *Resolver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if server.WebSocketHandshake(r) {
			// A subscription lives as long as its connection: a cache for
			// its lifetime would serve stale rows, so it loads uncached.
			next.ServeHTTP(w, r)
			return
		}
		ctx := context.WithValue(r.Context(), loadersKey{}, newLoaders(res.Catalog, res.Reservations))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// freshLoadersPerMutation gives each mutation of a document loaders of its
// own: the mutations run one after the other, and what one changed (a
// ledger, rooms) must not be answered from what an earlier one loaded.
func freshLoadersPerMutation(res *Resolver) graphql.RootFieldMiddleware {
	return func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Operation == ast.Mutation {
			ctx = context.WithValue(ctx, loadersKey{}, newLoaders(res.Catalog, res.Reservations))
		}
		return next(ctx)
	}
}

func (r *Resolver) loaders(ctx context.Context) *loaders {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l
	}
	return newLoaders(r.Catalog, r.Reservations) // outside HTTP (tests, websockets without middleware)
}
