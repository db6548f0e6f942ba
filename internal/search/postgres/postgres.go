// Package postgres is the default search engine: one SQL statement over the
// live catalog, inventory and rate tables (GiST on location, GIN on
// amenities and trigrams, btree on inventory nights), so its answers are
// never stale.
package postgres

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/search"
)

//go:embed search.sql
var searchTemplate string

// statements are search.sql without and with the parts for free text.
var statements = func() (s [2]string) {
	t := template.Must(template.New("search.sql").Parse(searchTemplate))
	for i, text := range []bool{false, true} {
		var b strings.Builder
		if err := t.Execute(&b, struct{ Text bool }{text}); err != nil {
			panic(err)
		}
		s[i] = b.String()
	}
	return s
}()

// SQL is the statement the engine runs for q (search.sql for q's shape),
// for benchmarks that run it directly with the same parameters.
func SQL(q search.Query) string {
	if q.Text != "" {
		return statements[1]
	}
	return statements[0]
}

// Engine searches PostgreSQL.
type Engine struct {
	pool  *pgxpool.Pool
	turns chan struct{} // one token per search that may run at once; nil: no limit
}

var _ search.Engine = (*Engine)(nil)

// Opts tunes an Engine.
type Opts struct {
	// MaxConcurrent bounds the searches that run on PostgreSQL at once; the
	// others wait their turn in arrival order. A search is CPU work on the
	// database: beyond about its cores, more at once only share them, so a
	// small search takes as long as the big ones beside it, and a burst of
	// searches would take every connection of the pool from bookings.
	// 0 means no limit.
	MaxConcurrent int
}

// NewEngine returns the PostgreSQL engine over pool.
func NewEngine(pool *pgxpool.Pool, opts Opts) *Engine {
	e := &Engine{pool: pool}
	if opts.MaxConcurrent > 0 {
		e.turns = make(chan struct{}, opts.MaxConcurrent)
	}
	return e
}

// Name implements search.Engine.
func (e *Engine) Name() string { return engineName }

const engineName = "postgres"

// Ping implements search.Engine.
func (e *Engine) Ping(ctx context.Context) error {
	if err := e.pool.Ping(ctx); err != nil {
		return fmt.Errorf("%w: %v", search.ErrUnavailable, err)
	}
	return nil
}

// answer is the statement's one row: the page's hits and their offers as
// parallel arrays (offer_counts says how many offers each hit has, in page
// order), the total and the facets. The arrays are of types pgx decodes
// without reflection: slices of Go's basic types and of [16]byte (a uuid
// that is never NULL), and FlatArrays of pgx's nullable types.
type answer struct {
	Total                                int
	HotelIDs                             [][16]byte
	HotelNames                           []string
	StarRatings                          []int32
	Currencies                           []string
	DistancesKm                          pgtype.FlatArray[pgtype.Float8]
	LowestTotals                         pgtype.FlatArray[pgtype.Int8]
	CheckIns, CheckOuts                  pgtype.FlatArray[pgtype.Date]
	SortKeys                             []float64
	OfferCounts                          []int32
	RoomTypeIDs                          [][16]byte
	RatePlanIDs                          pgtype.FlatArray[pgtype.UUID]
	Totals                               pgtype.FlatArray[pgtype.Int8]
	UnitsLeft                            []int32
	RoomTypeNames                        []string
	MaxAdults, MaxChildren, MaxOccupancy []int32
	RatePlanNames                        pgtype.FlatArray[pgtype.Text]
	Amenities                            []string
	AmenityCounts                        []int32
	Stars                                []int32
	StarCounts                           []int32
	PriceEdges                           []int64
	PriceBuckets, PriceCounts            []int32
	CurrencyKnown                        bool
}

func (a *answer) scan(row pgx.Row) error {
	return row.Scan(&a.Total, &a.HotelIDs, &a.HotelNames, &a.StarRatings, &a.Currencies, &a.DistancesKm,
		&a.LowestTotals, &a.CheckIns, &a.CheckOuts, &a.SortKeys, &a.OfferCounts,
		&a.RoomTypeIDs, &a.RatePlanIDs, &a.Totals, &a.UnitsLeft, &a.RoomTypeNames,
		&a.MaxAdults, &a.MaxChildren, &a.MaxOccupancy, &a.RatePlanNames,
		&a.Amenities, &a.AmenityCounts, &a.Stars, &a.StarCounts, &a.PriceEdges, &a.PriceBuckets, &a.PriceCounts,
		&a.CurrencyKnown)
}

// check makes sure the arrays fit together before hits reads them.
func (a *answer) check() error {
	n, offers := len(a.HotelIDs), 0
	for _, c := range a.OfferCounts {
		offers += int(c)
	}
	for _, l := range []int{len(a.HotelNames), len(a.StarRatings), len(a.Currencies), len(a.DistancesKm),
		len(a.LowestTotals), len(a.CheckIns), len(a.CheckOuts), len(a.SortKeys), len(a.OfferCounts)} {
		if l != n {
			return fmt.Errorf("decode search answer: %d hits, a column of %d", n, l)
		}
	}
	for _, l := range []int{len(a.RoomTypeIDs), len(a.RatePlanIDs), len(a.Totals), len(a.UnitsLeft), len(a.RoomTypeNames),
		len(a.MaxAdults), len(a.MaxChildren), len(a.MaxOccupancy), len(a.RatePlanNames)} {
		if l != offers {
			return fmt.Errorf("decode search answer: %d offers, a column of %d", offers, l)
		}
	}
	if len(a.AmenityCounts) != len(a.Amenities) || len(a.StarCounts) != len(a.Stars) || len(a.PriceCounts) != len(a.PriceBuckets) ||
		len(a.PriceEdges) != len(search.PriceBuckets) {
		return fmt.Errorf("decode search answer: facet values and counts differ in number")
	}
	return nil
}

// hits rebuilds the page's hits from the arrays (checked).
func (a *answer) hits(sort search.Sort) []search.Hit {
	hits := make([]search.Hit, len(a.HotelIDs))
	next := 0 // the first offer of hit i
	for i := range hits {
		h := search.Hit{HotelID: a.HotelIDs[i], Currency: a.Currencies[i], Named: true, HotelName: a.HotelNames[i],
			StarRating: int(a.StarRatings[i]), Cursor: search.Cursor{Sort: sort, Key: a.SortKeys[i], ID: a.HotelIDs[i], Engine: engineName}.Encode()}
		if d := a.DistancesKm[i]; d.Valid {
			h.DistanceKm = &d.Float64
		}
		if t := a.LowestTotals[i]; t.Valid {
			h.LowestTotal = &t.Int64
		}
		if a.CheckIns[i].Valid && a.CheckOuts[i].Valid {
			h.CheckIn, h.CheckOut = &a.CheckIns[i].Time, &a.CheckOuts[i].Time
		}
		n := int(a.OfferCounts[i])
		h.RoomTypes = make([]search.RoomTypeHit, n)
		for j := range n {
			k := next + j
			rt := search.RoomTypeHit{RoomTypeID: a.RoomTypeIDs[k], Currency: h.Currency, UnitsLeft: int(a.UnitsLeft[k]),
				Name: a.RoomTypeNames[k], MaxAdults: int(a.MaxAdults[k]), MaxChildren: int(a.MaxChildren[k]),
				MaxOccupancy: int(a.MaxOccupancy[k])}
			if a.RatePlanIDs[k].Valid {
				rt.RatePlanID = a.RatePlanIDs[k].Bytes
			}
			if a.Totals[k].Valid {
				rt.Total = a.Totals[k].Int64
			}
			if a.RatePlanNames[k].Valid {
				rt.RatePlanName = a.RatePlanNames[k].String
			}
			h.RoomTypes[j] = rt
		}
		next += n
		hits[i] = h
	}
	return hits
}

// Search implements search.Engine. q must be normalized.
func (e *Engine) Search(ctx context.Context, q search.Query) (search.Result, error) {
	cursor, err := search.ParseCursor(q.After, q.Sort)
	if err != nil {
		return search.Result{}, err
	}
	if err := cursor.CheckEngine(engineName); err != nil {
		return search.Result{}, err
	}
	var lat, lon, radius, north, south, east, west *float64
	if q.Near != nil {
		r := q.Near.RadiusKm * 1000
		lat, lon, radius = &q.Near.Lat, &q.Near.Lon, &r
	}
	if q.Within != nil {
		north, south, east, west = &q.Within.North, &q.Within.South, &q.Within.East, &q.Within.West
	}
	nights := q.ArrivalNights()
	priceMin, priceMax := q.PriceBounds()
	currency := q.PriceCurrency()
	edges := search.PriceEdges(currency, 0) // scaled by the statement
	var cursorKey *float64
	var cursorID *uuid.UUID
	if cursor != nil {
		cursorKey, cursorID = &cursor.Key, &cursor.ID
	}
	adults, children, people := q.PartyBounds()
	amenities := q.Amenities
	if amenities == nil {
		amenities = []string{}
	}
	if e.turns != nil {
		// goroutines blocked on a full channel are woken in arrival order
		select {
		case e.turns <- struct{}{}:
			defer func() { <-e.turns }()
		case <-ctx.Done():
			return search.Result{}, fmt.Errorf("search hotels: waiting for a turn: %w", ctx.Err())
		}
	}
	// The statement is written for the plan PostgreSQL caches for it (a
	// generic plan, blind to the parameters): planning it afresh for each
	// search's parameters (a custom plan, which PostgreSQL keeps choosing for
	// it on its own) costs more than running it. The setting is sent with the
	// search in one round trip and is undone after it; a failed search rolls
	// it back with its implicit transaction.
	var a answer
	b := &pgx.Batch{}
	b.Queue("SET plan_cache_mode = force_generic_plan")
	b.Queue(SQL(q),
		q.Text, lat, lon, radius, north, south, east, west,
		q.CheckIn, q.CheckOut, q.ArrivingAt, nights,
		q.RoomCount(), adults, children, people,
		amenities, q.MinStars, priceMin, priceMax, currency,
		q.Now, string(q.Sort), cursorKey, cursorID, q.First+1, edges,
		q.AsksForRooms(),
	).QueryRow(a.scan)
	b.Queue("RESET plan_cache_mode")
	if err := e.pool.SendBatch(ctx, b).Close(); err != nil {
		return search.Result{}, fmt.Errorf("search hotels: %w", err)
	}
	if q.Price != nil && !a.CurrencyKnown {
		return search.Result{}, search.ErrNoExchangeRate(currency)
	}
	if err := a.check(); err != nil {
		return search.Result{}, err
	}
	res := search.Result{TotalCount: a.Total, Engine: e.Name(), Hits: a.hits(q.Sort),
		Facets: search.Facets{Amenities: counts(a.Amenities, a.AmenityCounts), Stars: starCounts(a.Stars, a.StarCounts),
			Prices: buckets(a.PriceEdges, a.PriceBuckets, a.PriceCounts)}}
	if len(res.Hits) > q.First {
		res.Hits, res.HasNextPage = res.Hits[:q.First], true
	}
	return res, nil
}

// buckets turns width_bucket counts into ranges. Bucket i (1-based) is
// [edges[i-1], edges[i]); the last one is open-ended. Every range is listed,
// empty ones with 0, so clients can draw a stable histogram.
func buckets(edges []int64, buckets, counts []int32) []search.Bucket {
	out := make([]search.Bucket, len(edges))
	for i := range edges {
		out[i].From = edges[i]
		if i+1 < len(edges) {
			to := edges[i+1]
			out[i].To = &to
		}
	}
	for i, b := range buckets {
		if b >= 1 && int(b) <= len(out) {
			out[b-1].Count = int(counts[i])
		}
	}
	return out
}

// counts pairs facet values with their counts; never nil.
func counts(values []string, n []int32) []search.Count {
	out := make([]search.Count, len(values))
	for i, v := range values {
		out[i] = search.Count{Value: v, Count: int(n[i])}
	}
	return out
}

// starCounts is counts for star ratings.
func starCounts(stars, n []int32) []search.Count {
	out := make([]search.Count, len(stars))
	for i, s := range stars {
		out[i] = search.Count{Value: strconv.Itoa(int(s)), Count: int(n[i])}
	}
	return out
}
