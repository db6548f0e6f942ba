package elasticsearch

import (
	"fmt"
	"slices"
	"time"

	essearch "github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/distanceunit"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/geodistancetype"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/operator"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/sortmode"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/sortorder"

	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/search"
)

// missingPrice sorts hotels without a comparable price last, as search.sql does.
const missingPrice = 1e300

// maxAmenityFacets is how many amenity values the facet lists, as search.sql.
const maxAmenityFacets = 40

// sourceFields are the document fields a page reads (the rest comes from
// PostgreSQL's confirmation).
var sourceFields = []string{"id", "location"}

// buildRequest is the request of one round of q: a page of First+1
// candidates after the cursor (as many as for a default page when q asks
// for no hits: one confirmed candidate says there are some, and a page's
// worth keeps that to one round). The first round also asks for the total
// and the facets.
func buildRequest(q search.Query, after *search.Cursor, env environment, first bool) *essearch.Request {
	size := q.First + 1
	if q.NoHits {
		size = search.DefaultPageSize + 1
	}
	req := &essearch.Request{
		Query:          &types.Query{Bool: hotelQuery(q, env)},
		Sort:           sortOf(q, env),
		Size:           &size,
		Source_:        types.SourceFilter{Includes: sourceFields},
		TrackTotalHits: first,
	}
	if after != nil {
		req.SearchAfter = searchAfter(q.Sort, *after)
	}
	if first {
		req.Aggregations = facetAggregations(q, env)
	}
	return req
}

// hotelQuery filters hotels: place, text, amenities, stars, and a room type
// that houses the party and is free for the stay, within the price range.
func hotelQuery(q search.Query, env environment) *types.BoolQuery {
	b := &types.BoolQuery{}
	if q.Text != "" {
		// Every word, typo-tolerant, somewhere in the hotel's text; the
		// multi_match only ranks (name over city over the rest).
		b.Must = append(b.Must, types.Query{Match: map[string]types.MatchQuery{
			"search_text": {Query: q.Text, Fuzziness: "AUTO", Operator: &operator.And}}})
		b.Should = append(b.Should, types.Query{MultiMatch: &types.MultiMatchQuery{
			Query: q.Text, Fields: []string{"name^3", "city^2", "country", "country_name", "description"}, Fuzziness: "AUTO"}})
	}
	if c := q.Near; c != nil {
		b.Filter = append(b.Filter, types.Query{GeoDistance: &types.GeoDistanceQuery{
			Distance:         fmt.Sprintf("%gkm", c.RadiusKm),
			GeoDistanceQuery: map[string]types.GeoLocation{"location": types.LatLonGeoLocation{Lat: types.Float64(c.Lat), Lon: types.Float64(c.Lon)}},
		}})
	}
	if w := q.Within; w != nil {
		// West > East crosses the antimeridian; Elasticsearch reads a box
		// whose left edge is east of its right edge the same way.
		b.Filter = append(b.Filter, types.Query{GeoBoundingBox: &types.GeoBoundingBoxQuery{
			GeoBoundingBoxQuery: map[string]types.GeoBounds{"location": types.TopLeftBottomRightGeoBounds{
				TopLeft:     types.LatLonGeoLocation{Lat: types.Float64(w.North), Lon: types.Float64(w.West)},
				BottomRight: types.LatLonGeoLocation{Lat: types.Float64(w.South), Lon: types.Float64(w.East)},
			}},
		}})
	}
	for _, a := range q.Amenities {
		b.Filter = append(b.Filter, types.Query{Term: map[string]types.TermQuery{"amenities": {Value: a}}})
	}
	if q.MinStars > 0 {
		b.Filter = append(b.Filter, numberRange("stars", ptr(float64(q.MinStars)), nil, nil))
	}
	stay := stayQuery(q, env)
	rooms := stay
	if p := q.Price; p != nil {
		if env.target == nil {
			// No exchange rate for the currency: no price compares (search.sql agrees).
			b.Filter = append(b.Filter, types.Query{MatchNone: &types.MatchNoneQuery{}})
		} else {
			// Necessary conditions on the window's nightly rates, with half a
			// minor unit of slack for rounding; PostgreSQL checks the exact
			// stay price of each page.
			perUnit := func(amount float64) float64 {
				return toUSDCents(amount, env.target.perUSD, env.target.minorDigits) / float64(q.RoomCount())
			}
			if p.Max != nil {
				// some free room type has a night at most max
				rooms = allOf(stay, numberRange("room_types.price_from_usd_cents", nil, ptr(perUnit(float64(*p.Max)+0.5)), nil))
			}
			if p.Min != nil {
				// no free room type has every night below min
				b.MustNot = append(b.MustNot, nested(allOf(stay,
					numberRange("room_types.price_to_usd_cents", nil, nil, ptr(perUnit(float64(*p.Min)-0.5))))))
			}
		}
	}
	// With no stay and no party, hotels without room types are listed too
	// (no criteria lists the catalog, as search.sql does).
	if q.AsksForRooms() {
		b.Filter = append(b.Filter, nested(rooms))
	}
	if q.CheckIn != nil {
		if closed := closedZones(env.zones, *q.CheckIn, q.Now); len(closed) > 0 {
			b.MustNot = append(b.MustNot, terms("time_zone", closed))
		}
	}
	return b
}

// stayQuery matches a room type (inside the nested room_types) that houses
// the party and, with dates, has RoomCount units free and priced on every
// night of the hotel-local stay. For arrivingAt, the stay depends on the
// hotel's zone: one clause per local check-in night, each for its zones.
func stayQuery(q search.Query, env environment) types.Query {
	switch {
	case q.CheckIn != nil:
		return types.Query{Bool: roomQuery(q, *q.CheckIn, *q.CheckOut)}
	case q.ArrivingAt != nil:
		groups := arrivalNights(env.zones, *q.ArrivingAt, q.Now)
		if len(groups) == 0 {
			return types.Query{MatchNone: &types.MatchNoneQuery{}}
		}
		either := &types.BoolQuery{MinimumShouldMatch: 1}
		for _, g := range groups {
			b := roomQuery(q, g.checkIn, g.checkIn.AddDate(0, 0, q.Nights))
			b.Filter = append([]types.Query{terms("room_types.time_zone", g.zones)}, b.Filter...)
			either.Should = append(either.Should, types.Query{Bool: b})
		}
		return types.Query{Bool: either}
	default:
		return types.Query{Bool: &types.BoolQuery{Filter: partyFilters(q)}}
	}
}

// roomQuery is a room type free for n units on [checkIn, checkOut): at least
// n units in service, none of the stay's nights short of n or unpriced.
func roomQuery(q search.Query, checkIn, checkOut time.Time) *types.BoolQuery {
	n := q.RoomCount()
	b := &types.BoolQuery{Filter: append(partyFilters(q), numberRange("room_types.units", ptr(float64(n)), nil, nil))}
	for _, field := range []string{shortNightsField(n), "unpriced_nights"} {
		b.MustNot = append(b.MustNot, types.Query{Range: map[string]types.RangeQuery{"room_types." + field: types.DateRangeQuery{
			Gte: ptr(checkIn.Format(time.DateOnly)), Lt: ptr(checkOut.Format(time.DateOnly)), Format: ptr(dateFormat)}}})
	}
	return b
}

// partyFilters: the room type houses the largest party of the query.
func partyFilters(q search.Query) []types.Query {
	adults, children, people := q.PartyBounds()
	return []types.Query{
		numberRange("room_types.max_adults", ptr(float64(adults)), nil, nil),
		numberRange("room_types.max_children", ptr(float64(children)), nil, nil),
		numberRange("room_types.max_occupancy", ptr(float64(people)), nil, nil),
	}
}

// closedZones are the zones whose hotels cannot take a stay checking in on
// checkIn: it is before their business date (hoteldate.BusinessDate), or
// more than search.MaxDaysAhead days after it (as search.sql and the
// booking core read it). Until 06:00 local time the night that began the
// evening before is not past.
func closedZones(zones []string, checkIn, now time.Time) []string {
	var out []string
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			continue // PostgreSQL confirms such hotels' pages
		}
		if !sells(hoteldate.BusinessDate(now, loc), checkIn) {
			out = append(out, z)
		}
	}
	return out
}

// sells says whether a hotel whose business date is today sells a stay
// checking in on night: from today to search.MaxDaysAhead days ahead.
func sells(today, night time.Time) bool {
	return !night.Before(today) && !night.After(today.AddDate(0, 0, search.MaxDaysAhead))
}

// arrivalGroup is the zones whose hotels read an arrival as the same local
// check-in night.
type arrivalGroup struct {
	checkIn time.Time
	zones   []string
}

// arrivalNights groups zones by the local check-in night of an arrival at
// instant at, the zone's business date then: arriving before
// hoteldate.Cutoff local time needs the night before (the wall clock
// minus the cutoff, as search.sql computes it). Zones that do not sell that
// night now (sells) are left out: an arrival at 02:00 within the hour still
// finds the night in progress.
func arrivalNights(zones []string, at, now time.Time) []arrivalGroup {
	byNight := map[time.Time][]string{}
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			continue
		}
		night := hoteldate.BusinessDate(at, loc)
		if !sells(hoteldate.BusinessDate(now, loc), night) {
			continue
		}
		byNight[night] = append(byNight[night], z)
	}
	var out []arrivalGroup
	for night, zs := range byNight {
		slices.Sort(zs)
		out = append(out, arrivalGroup{checkIn: night, zones: zs})
	}
	slices.SortFunc(out, func(a, b arrivalGroup) int { return a.checkIn.Compare(b.checkIn) })
	return out
}

// sortOf orders by the query's sort, then by id, so search_after resumes
// exactly (the keyset of search.Cursor).
func sortOf(q search.Query, env environment) []types.SortCombinations {
	byID := types.SortOptions{SortOptions: map[string]types.FieldSort{"id": {Order: &sortorder.Asc}}}
	var first types.SortOptions
	switch q.Sort {
	case search.SortDistance:
		first = types.SortOptions{GeoDistance_: &types.GeoDistanceSort{
			GeoDistanceSort: map[string][]types.GeoLocation{"location": {types.LatLonGeoLocation{Lat: types.Float64(q.Near.Lat), Lon: types.Float64(q.Near.Lon)}}},
			Order:           &sortorder.Asc, Unit: &distanceunit.Kilometers, DistanceType: &geodistancetype.Arc,
		}}
	case search.SortStars:
		first = types.SortOptions{SortOptions: map[string]types.FieldSort{"stars": {Order: &sortorder.Desc}}}
	case search.SortPrice:
		// The cheapest nightly rate of the window among the room types free
		// for the stay, in US cents: the stay's own price would need a sum
		// over its nights, which the index cannot sort on.
		stay := stayQuery(q, env)
		first = types.SortOptions{SortOptions: map[string]types.FieldSort{"room_types.price_from_usd_cents": {
			Order: &sortorder.Asc, Mode: &sortmode.Min, Missing: missingPrice,
			Nested: &types.NestedSortValue{Path: "room_types", Filter: &stay},
		}}}
	default:
		first = types.SortOptions{Score_: &types.ScoreSort{Order: &sortorder.Desc}}
	}
	return []types.SortCombinations{first, byID}
}

// sortKey turns a hit's first sort value into the cursor key (lower first).
func sortKey(s search.Sort, value float64) float64 {
	switch s {
	case search.SortStars, search.SortRelevance:
		return 0 - value // descending; 0 - x never yields -0
	default:
		return value
	}
}

// searchAfter is the search_after of a cursor: its sort value and id.
func searchAfter(s search.Sort, c search.Cursor) []types.FieldValue {
	return []types.FieldValue{sortKey(s, c.Key), c.ID.String()}
}

// facetAggregations count amenities, stars and, with dates, nightly prices
// over the whole filtered set.
func facetAggregations(q search.Query, env environment) map[string]types.Aggregations {
	aggs := map[string]types.Aggregations{
		"amenities": {Terms: &types.TermsAggregation{Field: ptr("amenities"), Size: ptr(maxAmenityFacets),
			Order: []map[string]sortorder.SortOrder{{"_count": sortorder.Desc}, {"_key": sortorder.Asc}}}},
		"stars": {Terms: &types.TermsAggregation{Field: ptr("stars"), Size: ptr(5),
			Order: map[string]sortorder.SortOrder{"_key": sortorder.Desc}}},
	}
	if !q.HasDates() || env.target == nil {
		return aggs
	}
	// A hotel's nightly price is its cheapest free room type's. Counting
	// hotels (reverse_nested) with some free room type below each edge
	// gives cumulative counts; their differences are the buckets, each
	// hotel in exactly one. Edges are per unit: the price is for RoomCount units.
	edges := env.priceEdges(q)
	var ranges []types.AggregationRange
	for i := 1; i < len(edges); i++ {
		to := toUSDCents(float64(edges[i]), env.target.perUSD, env.target.minorDigits) / float64(q.RoomCount())
		ranges = append(ranges, types.AggregationRange{Key: ptr(fmt.Sprintf("below_%d", i)), To: ptr(types.Float64(to))})
	}
	ranges = append(ranges, types.AggregationRange{Key: ptr("all"), From: ptr(types.Float64(0))})
	stay := stayQuery(q, env)
	aggs["prices"] = types.Aggregations{
		Nested: &types.NestedAggregation{Path: ptr("room_types")},
		Aggregations: map[string]types.Aggregations{"stay": {
			Filter: &stay,
			Aggregations: map[string]types.Aggregations{"nightly": {
				Range:        &types.RangeAggregation{Field: ptr("room_types.price_from_usd_cents"), Ranges: ranges},
				Aggregations: map[string]types.Aggregations{"hotels": {ReverseNested: &types.ReverseNestedAggregation{}}},
			}},
		}},
	}
	return aggs
}

func nested(q types.Query) types.Query {
	return types.Query{Nested: &types.NestedQuery{Path: "room_types", Query: q}}
}

func allOf(qs ...types.Query) types.Query {
	return types.Query{Bool: &types.BoolQuery{Filter: qs}}
}

func terms(field string, values []string) types.Query {
	vs := make([]types.FieldValue, len(values))
	for i, v := range values {
		vs[i] = v
	}
	return types.Query{Terms: &types.TermsQuery{TermsQuery: map[string]types.TermsQueryField{field: vs}}}
}

func numberRange(field string, gte, lte, lt *float64) types.Query {
	r := types.NumberRangeQuery{}
	if gte != nil {
		r.Gte = ptr(types.Float64(*gte))
	}
	if lte != nil {
		r.Lte = ptr(types.Float64(*lte))
	}
	if lt != nil {
		r.Lt = ptr(types.Float64(*lt))
	}
	return types.Query{Range: map[string]types.RangeQuery{field: r}}
}
