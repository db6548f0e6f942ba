package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/staygraph/staygraph/graph/model"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/search"
)

// searchQuery turns the API's input into a search query.
func searchQuery(in model.HotelSearchInput, first *int, after *string) (search.Query, error) {
	q := search.Query{Text: deref(in.Text), CheckIn: in.CheckIn, CheckOut: in.CheckOut, ArrivingAt: in.ArrivingAt,
		Nights: deref(in.Nights), Amenities: in.Amenities, MinStars: deref(in.MinStars), Sort: deref(in.Sort),
		First: deref(first), After: deref(after)}
	if first != nil && *first == 0 {
		q.First = -1 // an explicit 0 is out of range, not "default"
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

// searchConnection shapes a result page as a Relay connection.
func searchConnection(q search.Query, res search.Result) model.HotelSearchConnection {
	edges := make([]model.HotelSearchEdge, len(res.Hits))
	for i := range res.Hits {
		edges[i] = model.HotelSearchEdge{Cursor: res.Hits[i].Cursor, Node: &res.Hits[i]}
	}
	page := &model.PageInfo{HasNextPage: res.HasNextPage, HasPreviousPage: q.After != ""}
	if n := len(edges); n > 0 {
		page.StartCursor, page.EndCursor = &edges[0].Cursor, &edges[n-1].Cursor
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

// primeSearchLoaders queues, in one batch per loader, every hotel, room type
// and rate plan of the page that the operation asks for, so the fields'
// resolvers find them in the loaders' cache: one query each per page rather
// than one per batching window while the page is being written.
func (r *Resolver) primeSearchLoaders(ctx context.Context, hits []search.Hit) {
	node := selections(ctx, "edges", "node")
	if len(node) == 0 {
		return
	}
	offers := selectionsBelow(ctx, node, "roomTypes")
	var hotels, roomTypes, ratePlans []uuid.UUID
	for _, h := range hits {
		hotels = append(hotels, h.HotelID)
		for _, rt := range h.RoomTypes {
			roomTypes = append(roomTypes, rt.RoomTypeID)
			if rt.RatePlanID != uuid.Nil {
				ratePlans = append(ratePlans, rt.RatePlanID)
			}
		}
	}
	l := r.loaders(ctx)
	if len(selectionsBelow(ctx, node, "hotel")) > 0 {
		l.hotel.LoadAllThunk(ctx, hotels)
	}
	if len(selectionsBelow(ctx, offers, "roomType")) > 0 {
		l.roomType.LoadAllThunk(ctx, roomTypes)
	}
	if len(selectionsBelow(ctx, offers, "ratePlan")) > 0 {
		l.ratePlan.LoadAllThunk(ctx, ratePlans)
	}
}

// selections is what the operation selects at path below the field being
// resolved (every alias and fragment merged); empty when it selects nothing there.
func selections(ctx context.Context, path ...string) ast.SelectionSet {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil
	}
	return selectionsBelow(ctx, fc.Field.Selections, path...)
}

func selectionsBelow(ctx context.Context, sel ast.SelectionSet, path ...string) ast.SelectionSet {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	op := graphql.GetOperationContext(ctx)
	for _, name := range path {
		var next ast.SelectionSet
		for _, f := range graphql.CollectFields(op, sel, nil) {
			if f.Name == name {
				next = append(next, f.Selections...)
			}
		}
		if len(next) == 0 {
			return nil
		}
		sel = next
	}
	return sel
}
