package graph

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/staygraph/staygraph/graph/model"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/search"
)

// searchQuery turns the API's input into a search query.
func searchQuery(in model.HotelSearchInput, first *int, after *string) (search.Query, error) {
	q := search.Query{Text: deref(in.Text), CheckIn: in.CheckIn, CheckOut: in.CheckOut, ArrivingAt: in.ArrivingAt,
		Nights: deref(in.Nights), Amenities: in.Amenities, MinStars: deref(in.MinStars), Sort: deref(in.Sort),
		First: deref(first), After: deref(after)}
	if first != nil && *first == 0 {
		q.NoHits = true // an explicit 0 is no page, not "default"
	}
	if in.Nights != nil && *in.Nights == 0 {
		q.Nights = -1 // likewise
	}
	if in.Near != nil {
		q.Near = &search.Circle{Lat: in.Near.Lat, Lon: in.Near.Lon, RadiusKm: in.Near.RadiusKm}
	}
	if in.Within != nil {
		q.Within = &search.Box{North: in.Within.North, South: in.Within.South, East: in.Within.East, West: in.Within.West}
	}
	for _, r := range in.Rooms {
		q.Rooms = append(q.Rooms, search.Party{Adults: r.Adults, ChildAges: r.ChildAges})
	}
	if p := in.Price; p != nil {
		q.Price = &search.PriceRange{Currency: p.Currency}
		if p.Min != nil {
			v := int64(*p.Min)
			q.Price.Min = &v
		}
		if p.Max != nil {
			v := int64(*p.Max)
			q.Price.Max = &v
		}
	}
	return q, nil
}

// searchConnection shapes a result page as a Relay connection; hits are
// the page's hits with their catalog rows (searchPage).
func searchConnection(q search.Query, res search.Result, hits []model.SearchHit) model.HotelSearchConnection {
	edges := make([]model.HotelSearchEdge, len(hits))
	for i := range hits {
		edges[i] = model.HotelSearchEdge{Cursor: hits[i].Cursor, Node: &hits[i]}
	}
	page := &model.PageInfo{HasNextPage: res.HasNextPage, HasPreviousPage: q.After != ""}
	if n := len(edges); n > 0 {
		page.StartCursor, page.EndCursor = &edges[0].Cursor, &edges[n-1].Cursor
	}
	if res.EndCursor != "" {
		page.EndCursor = &res.EndCursor
	}
	currency := q.PriceCurrency()
	prices := []model.PriceBucket{}
	if q.HasDates() {
		for _, b := range res.Facets.Prices {
			pb := model.PriceBucket{From: &money.Money{Amount: b.From, Currency: currency}, Count: b.Count}
			if b.To != nil {
				pb.To = &money.Money{Amount: *b.To, Currency: currency}
			}
			prices = append(prices, pb)
		}
	}
	return model.HotelSearchConnection{Edges: edges, PageInfo: page, TotalCount: res.TotalCount,
		Facets: &model.HotelSearchFacets{Amenities: orEmpty(res.Facets.Amenities), Stars: orEmpty(res.Facets.Stars), Prices: prices}}
}

// searchPage attaches to each hit the hotel, room types and rate plans that
// the operation selects. The fields a results page shows (namedHotelFields
// and the like) come with the hits when the engine read them
// (search.Hit.Named); the catalog is asked only for other fields, for the
// whole page at once (one batch per loader, the three at the same time), so
// that writing the page needs no resolver, goroutine or wait per hit and offer.
func (r *Resolver) searchPage(ctx context.Context, hits []search.Hit) ([]model.SearchHit, error) {
	node := selections(ctx, "edges", "node")
	offers := selectionsBelow(ctx, node, "roomTypes")
	named := len(hits) > 0 && hits[0].Named // an engine names all its hits or none
	needHotels := needsCatalog(ctx, selectionsBelow(ctx, node, "hotel"), named, namedHotelFields)
	needRoomTypes := needsCatalog(ctx, selectionsBelow(ctx, offers, "roomType"), named, namedRoomTypeFields)
	needRatePlans := needsCatalog(ctx, selectionsBelow(ctx, offers, "ratePlan"), named, namedRatePlanFields)
	var hotelIDs, roomTypeIDs, ratePlanIDs []uuid.UUID
	if needHotels || needRoomTypes || needRatePlans {
		for _, h := range hits {
			hotelIDs = append(hotelIDs, h.HotelID)
			for _, rt := range h.RoomTypes {
				roomTypeIDs = append(roomTypeIDs, rt.RoomTypeID)
				if rt.RatePlanID != uuid.Nil {
					ratePlanIDs = append(ratePlanIDs, rt.RatePlanID)
				}
			}
		}
	}
	l := r.loaders(ctx)
	var hotels []catalog.Hotel
	var roomTypes []catalog.RoomType
	var ratePlans []catalog.RatePlan
	loadHotels, loadRoomTypes, loadRatePlans := noRows(hotels), noRows(roomTypes), noRows(ratePlans)
	if needHotels {
		loadHotels = l.hotel.LoadAllThunk(ctx, hotelIDs)
	}
	if needRoomTypes {
		loadRoomTypes = l.roomType.LoadAllThunk(ctx, roomTypeIDs)
	}
	if needRatePlans {
		loadRatePlans = l.ratePlan.LoadAllThunk(ctx, ratePlanIDs)
	}
	var err error
	if hotels, err = loadHotels(); err != nil {
		return nil, fmt.Errorf("load the page's hotels: %w", err)
	}
	if roomTypes, err = loadRoomTypes(); err != nil {
		return nil, fmt.Errorf("load the page's room types: %w", err)
	}
	if ratePlans, err = loadRatePlans(); err != nil {
		return nil, fmt.Errorf("load the page's rate plans: %w", err)
	}
	offerCount := 0
	for _, h := range hits {
		offerCount += len(h.RoomTypes)
	}
	if named {
		// the rows a named hit carries, in the order the loaders give theirs
		hotels, roomTypes, ratePlans = namedRows(hits, offerCount, hotels, roomTypes, ratePlans)
	}
	// The catalog rows are pointers into those arrays: gqlgen copies a value
	// at every step of writing it.
	out := make([]model.SearchHit, len(hits))
	all := make([]model.RoomTypeOffer, offerCount) // the hits' offers, one allocation
	nextRoomType, nextRatePlan := 0, 0
	for i, h := range hits {
		out[i] = model.SearchHit{Hit: h, Offers: all[nextRoomType : nextRoomType+len(h.RoomTypes) : nextRoomType+len(h.RoomTypes)]}
		if hotels != nil {
			out[i].Hotel = &hotels[i]
		}
		for j, rt := range h.RoomTypes {
			o := model.RoomTypeOffer{RoomTypeHit: rt}
			if roomTypes != nil {
				o.RoomType = &roomTypes[nextRoomType]
			}
			nextRoomType++
			if rt.RatePlanID != uuid.Nil {
				if ratePlans != nil {
					o.RatePlan = &ratePlans[nextRatePlan]
				}
				nextRatePlan++
			}
			out[i].Offers[j] = o
		}
	}
	return out, nil
}

// namedRows makes, from the names the hits (with offers offers in all)
// carry, the hotels, room types and rate plans that were not loaded (nil):
// one per hit, per offer, and per offer with a rate plan.
func namedRows(hits []search.Hit, offers int, hotels []catalog.Hotel, roomTypes []catalog.RoomType, ratePlans []catalog.RatePlan) ([]catalog.Hotel, []catalog.RoomType, []catalog.RatePlan) {
	makeHotels, makeRoomTypes, makeRatePlans := hotels == nil, roomTypes == nil, ratePlans == nil
	if makeHotels {
		hotels = make([]catalog.Hotel, 0, len(hits))
	}
	if makeRoomTypes {
		roomTypes = make([]catalog.RoomType, 0, offers)
	}
	if makeRatePlans {
		ratePlans = make([]catalog.RatePlan, 0, offers)
	}
	for _, h := range hits {
		if makeHotels {
			hotels = append(hotels, catalog.Hotel{ID: h.HotelID, Name: h.HotelName, StarRating: h.StarRating, Currency: h.Currency})
		}
		for _, rt := range h.RoomTypes {
			if makeRoomTypes {
				roomTypes = append(roomTypes, catalog.RoomType{ID: rt.RoomTypeID, HotelID: h.HotelID, Name: rt.Name,
					MaxAdults: rt.MaxAdults, MaxChildren: rt.MaxChildren, MaxOccupancy: rt.MaxOccupancy})
			}
			if makeRatePlans && rt.RatePlanID != uuid.Nil {
				ratePlans = append(ratePlans, catalog.RatePlan{ID: rt.RatePlanID, HotelID: h.HotelID, RoomTypeID: rt.RoomTypeID, Name: rt.RatePlanName})
			}
		}
	}
	return hotels, roomTypes, ratePlans
}

// namedHotelFields, namedRoomTypeFields and namedRatePlanFields are the
// fields of a hit's catalog rows that a named hit (search.Hit.Named) carries.
var (
	namedHotelFields    = []string{"__typename", "id", "name", "starRating", "currency"}
	namedRoomTypeFields = []string{"__typename", "id", "name", "maxAdults", "maxChildren", "maxOccupancy"}
	namedRatePlanFields = []string{"__typename", "id", "name"}
)

// needsCatalog reports whether the operation's selection of a catalog row
// needs the row from the catalog: it selects something, and the hits are not
// named or it selects a field they do not carry.
func needsCatalog(ctx context.Context, sets []ast.SelectionSet, named bool, carried []string) bool {
	if len(sets) == 0 {
		return false
	}
	if !named {
		return true
	}
	for _, f := range collectFields(graphql.GetOperationContext(ctx), sets) {
		if !slices.Contains(carried, f.Name) {
			return true
		}
	}
	return false
}

// noRows stands for a load the operation does not need.
func noRows[T any](rows []T) func() ([]T, error) {
	return func() ([]T, error) { return rows, nil }
}

// selections is what the operation selects at path below the field being
// resolved, as the selection sets of every alias and fragment that reach
// there; empty when it selects nothing there.
//
// gqlgen's CollectFields caches its answer per operation under the address
// of the selection set it is given, so it is only ever given sets that the
// operation's document or that cache keep alive — never one built here,
// whose address a later set could reuse once it is collected.
func selections(ctx context.Context, path ...string) []ast.SelectionSet {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil
	}
	return selectionsBelow(ctx, []ast.SelectionSet{fc.Field.Selections}, path...)
}

func selectionsBelow(ctx context.Context, sets []ast.SelectionSet, path ...string) []ast.SelectionSet {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	op := graphql.GetOperationContext(ctx)
	for _, name := range path {
		var next []ast.SelectionSet
		for _, f := range collectFields(op, sets) {
			if f.Name == name && len(f.Selections) > 0 {
				next = append(next, f.Selections)
			}
		}
		if len(next) == 0 {
			return nil
		}
		sets = next
	}
	return sets
}

// collectFields is the fields of sets (fragments and @skip/@include
// applied), set by set.
func collectFields(op *graphql.OperationContext, sets []ast.SelectionSet) []graphql.CollectedField {
	var fields []graphql.CollectedField
	for _, set := range sets {
		fields = append(fields, graphql.CollectFields(op, set, nil)...)
	}
	return fields
}

// searchEngines names, in the response's extensions.searchEngine, the
// engine that answered the operation's searches (several engines, when
// searches of one operation were answered by different ones, are listed
// comma-separated). Root fields resolve concurrently, so the searches note
// their engine in a list the operation owns, and the name is written once,
// after the operation.
type searchEngines struct{}

var (
	_ graphql.HandlerExtension    = searchEngines{}
	_ graphql.ResponseInterceptor = searchEngines{}
)

type answeredByKey struct{}

// answeredBy is the engines that answered one operation's searches.
type answeredBy struct {
	mu    sync.Mutex
	names []string
}

func (searchEngines) ExtensionName() string                   { return "SearchEngines" }
func (searchEngines) Validate(graphql.ExecutableSchema) error { return nil }

func (searchEngines) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	by := &answeredBy{}
	resp := next(context.WithValue(ctx, answeredByKey{}, by))
	by.mu.Lock()
	defer by.mu.Unlock()
	if resp != nil && len(by.names) > 0 {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		slices.Sort(by.names)
		resp.Extensions["searchEngine"] = strings.Join(by.names, ",")
	}
	return resp
}

// noteSearchEngine records that engine answered a search of the operation.
func noteSearchEngine(ctx context.Context, engine string) {
	by, ok := ctx.Value(answeredByKey{}).(*answeredBy)
	if !ok {
		return
	}
	by.mu.Lock()
	defer by.mu.Unlock()
	if !slices.Contains(by.names, engine) {
		by.names = append(by.names, engine)
	}
}
