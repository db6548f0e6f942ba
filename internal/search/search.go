// Package search answers "where can I stay": hotels near a point or inside a
// map box or matching text, free for a party on hotel-local dates, with the
// amenities, stars and price asked for, sorted and faceted.
//
// Engines implement Engine. The postgres engine (default) answers from the
// live catalog and inventory tables and is never stale; the elasticsearch
// engine answers from an index the CDC indexer keeps current, and confirms
// each page against PostgreSQL before returning it. Both pass the shared
// suite in searchtest.
package search

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/money"
)

// Engine is a search engine.
type Engine interface {
	// Name identifies the engine in responses and logs ("postgres", "elasticsearch").
	Name() string
	// Ping reports whether the engine can answer.
	Ping(ctx context.Context) error
	// Search runs a validated query.
	Search(ctx context.Context, q Query) (Result, error)
}

// ErrUnavailable wraps failures to reach an engine.
var ErrUnavailable = errors.New("search engine unavailable")

// Circle is "within RadiusKm of a point".
type Circle struct {
	Lat, Lon float64
	RadiusKm float64
}

// Box is a map bounding box. West > East crosses the antimeridian.
type Box struct {
	North, South, East, West float64
}

// Party is who stays in one room.
type Party struct {
	Adults    int
	ChildAges []int
}

// PriceRange bounds the nightly price, in minor units of Currency.
type PriceRange struct {
	Min      *int64
	Max      *int64
	Currency string
}

// Sort orders hits.
type Sort string

// Sort orders.
const (
	// SortRelevance ranks text matches first, then by id (the default).
	SortRelevance Sort = "RELEVANCE"
	// SortDistance is nearest first; needs Near.
	SortDistance Sort = "DISTANCE"
	// SortPrice is the lowest stay total first (in USD terms across currencies); needs dates.
	SortPrice Sort = "PRICE"
	// SortStars is the most stars first.
	SortStars Sort = "STARS"
)

// Query is a search. Every criterion is optional; none lists the catalog.
type Query struct {
	Text   string
	Near   *Circle
	Within *Box
	// CheckIn and CheckOut are hotel-local dates (times at UTC midnight):
	// every hotel reads them on its own calendar.
	CheckIn, CheckOut *time.Time
	// ArrivingAt is an instant; each hotel turns it into its local check-in
	// night, its business date at that instant (arriving before
	// hoteldate.Cutoff local time needs the night before). Nights long.
	// Exclusive with CheckIn.
	ArrivingAt *time.Time
	Nights     int
	// Rooms are the parties; a room type matches if it houses each and has
	// len(Rooms) units free on every night.
	Rooms     []Party
	Amenities []string
	MinStars  int
	Price     *PriceRange
	Sort      Sort
	// First is the page size (0: DefaultPageSize); After the cursor of the
	// last hit seen. NoHits asks for no page at all (the API's first: 0):
	// the total, the facets and whether a page would have hits, for a count
	// or a filter panel without the cost of a page.
	First  int
	NoHits bool
	After  string
	// Now is "now" for each hotel's today, its business date: a stay is
	// offered from it on (hoteldate.BusinessDate). Zero means time.Now().
	Now time.Time
}

// RoomTypeHit is a room type of a hit that houses the party.
type RoomTypeHit struct {
	RoomTypeID uuid.UUID
	Currency   string // the hotel's
	// RatePlanID is the plan of the lowest total; uuid.Nil without dates.
	RatePlanID uuid.UUID
	// Total is the stay total for all rooms incl. tax, in the hotel's
	// currency minor units; 0 without dates.
	Total int64
	// UnitsLeft is the fewest units free on any night; -1 without dates.
	UnitsLeft int
	// What a results page shows of the room type and the rate plan, when
	// the engine read them with the hit (Hit.Named).
	Name                                 string
	MaxAdults, MaxChildren, MaxOccupancy int
	RatePlanName                         string
}

// TotalPrice is Total with its currency; nil without dates.
func (rt *RoomTypeHit) TotalPrice() *money.Money {
	if rt.RatePlanID == uuid.Nil {
		return nil
	}
	return &money.Money{Amount: rt.Total, Currency: rt.Currency}
}

// FreeUnits is UnitsLeft; nil without dates.
func (rt *RoomTypeHit) FreeUnits() *int {
	if rt.UnitsLeft < 0 {
		return nil
	}
	return &rt.UnitsLeft
}

// Hit is one hotel in the results.
type Hit struct {
	HotelID    uuid.UUID
	Currency   string
	DistanceKm *float64
	// LowestTotal is the cheapest stay across RoomTypes; nil without dates.
	LowestTotal *int64
	// CheckIn and CheckOut are the local dates used for this hotel.
	CheckIn, CheckOut *time.Time
	// RoomTypes are cheapest first (then by id).
	RoomTypes []RoomTypeHit
	Cursor    string
	// Named says the engine read the names a results page shows with the
	// hit, in the same snapshot (HotelName, StarRating and those of
	// RoomTypes); otherwise the catalog has to be asked.
	Named      bool
	HotelName  string
	StarRating int
}

// LowestTotalPrice is LowestTotal with its currency; nil without dates.
func (h *Hit) LowestTotalPrice() *money.Money {
	if h.LowestTotal == nil {
		return nil
	}
	return &money.Money{Amount: *h.LowestTotal, Currency: h.Currency}
}

// Count is a facet value and how many hits have it.
type Count struct {
	Value string
	Count int
}

// Bucket is a nightly price range (minor units of the query's currency,
// To exclusive, nil for open) and how many hits fall in it.
type Bucket struct {
	From  int64
	To    *int64
	Count int
}

// Facets summarise the whole filtered set, not just the page.
type Facets struct {
	Amenities []Count
	Stars     []Count
	Prices    []Bucket
}

// Result is one page of hits.
type Result struct {
	Hits        []Hit
	TotalCount  int
	HasNextPage bool
	// EndCursor, when set, is where the next page resumes instead of the
	// last hit's cursor: an engine that examined candidates past the last
	// hit (and found them gone) resumes after them, also from a page
	// without hits.
	EndCursor string
	Facets    Facets
	// Engine names the engine that answered.
	Engine string
}
