// Package postgres is the default search engine: one SQL statement over the
// live catalog, inventory and rate tables (GiST on location, GIN on
// amenities and trigrams, btree on inventory nights), so its answers are
// never stale.
package postgres

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/search"
)

//go:embed search.sql
var searchSQL string

// SQL is the engine's one statement (search.sql), for benchmarks that run it
// directly with the same parameters.
func SQL() string { return searchSQL }

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
func (e *Engine) Name() string { return "postgres" }

// Ping implements search.Engine.
func (e *Engine) Ping(ctx context.Context) error {
	if err := e.pool.Ping(ctx); err != nil {
		return fmt.Errorf("%w: %v", search.ErrUnavailable, err)
	}
	return nil
}

type answer struct {
	Total int `json:"total"`
	Hits  []struct {
		ID          uuid.UUID  `json:"id"`
		Currency    string     `json:"currency"`
		DistanceKm  *float64   `json:"distance_km"`
		LowestTotal *int64     `json:"lowest_total"`
		CheckIn     *pgDate    `json:"check_in"`
		CheckOut    *pgDate    `json:"check_out"`
		SortKey     float64    `json:"sort_key"`
		RoomTypes   []roomType `json:"room_types"`
	} `json:"hits"`
	Amenities []search.Count `json:"amenities"`
	Stars     []search.Count `json:"stars"`
	Prices    []struct {
		Bucket int `json:"bucket"`
		Count  int `json:"count"`
	} `json:"prices"`
}

type roomType struct {
	RoomTypeID uuid.UUID  `json:"room_type_id"`
	RatePlanID *uuid.UUID `json:"rate_plan_id"`
	Total      *int64     `json:"total"`
	UnitsLeft  int        `json:"units_left"`
}

type pgDate struct{ time.Time }

func (d *pgDate) UnmarshalJSON(b []byte) error {
	t, err := time.Parse(`"2006-01-02"`, string(b))
	d.Time = t
	return err
}

// Search implements search.Engine. q must be normalized.
func (e *Engine) Search(ctx context.Context, q search.Query) (search.Result, error) {
	cursor, err := search.ParseCursor(q.After, q.Sort)
	if err != nil {
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
	edges := bucketEdges(currency)
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
	// The statement is written for the plan PostgreSQL caches for it (a
	// generic plan, blind to the parameters): planning it afresh for each
	// search's parameters (a custom plan, which PostgreSQL keeps choosing for
	// it on its own) costs more than running it. The setting is sent with the
	// search in one round trip and is undone after it; a failed search rolls
	// it back with its implicit transaction.
	if e.turns != nil {
		// goroutines blocked on a full channel are woken in arrival order
		select {
		case e.turns <- struct{}{}:
			defer func() { <-e.turns }()
		case <-ctx.Done():
			return search.Result{}, fmt.Errorf("search hotels: waiting for a turn: %w", ctx.Err())
		}
	}
	var raw string
	b := &pgx.Batch{}
	b.Queue("SET plan_cache_mode = force_generic_plan")
	b.Queue(searchSQL,
		q.Text, lat, lon, radius, north, south, east, west,
		q.CheckIn, q.CheckOut, q.ArrivingAt, nights,
		q.RoomCount(), adults, children, people,
		amenities, q.MinStars, priceMin, priceMax, currency,
		q.Now, string(q.Sort), cursorKey, cursorID, q.First+1, edges,
		q.HasDates() || len(q.Rooms) > 0,
	).QueryRow(func(row pgx.Row) error { return row.Scan(&raw) })
	b.Queue("RESET plan_cache_mode")
	if err := e.pool.SendBatch(ctx, b).Close(); err != nil {
		return search.Result{}, fmt.Errorf("search hotels: %w", err)
	}
	var a answer
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		return search.Result{}, fmt.Errorf("decode search answer: %w", err)
	}
	res := search.Result{TotalCount: a.Total, Engine: e.Name(),
		Facets: search.Facets{Amenities: orEmpty(a.Amenities), Stars: orEmpty(a.Stars), Prices: buckets(edges, a.Prices)}}
	for _, h := range a.Hits {
		hit := search.Hit{HotelID: h.ID, Currency: h.Currency, DistanceKm: h.DistanceKm, LowestTotal: h.LowestTotal,
			Cursor: search.Cursor{Sort: q.Sort, Key: h.SortKey, ID: h.ID}.Encode()}
		if h.CheckIn != nil && h.CheckOut != nil {
			hit.CheckIn, hit.CheckOut = &h.CheckIn.Time, &h.CheckOut.Time
		}
		for _, rt := range h.RoomTypes {
			rth := search.RoomTypeHit{RoomTypeID: rt.RoomTypeID, Currency: h.Currency, UnitsLeft: rt.UnitsLeft}
			if rt.RatePlanID != nil {
				rth.RatePlanID = *rt.RatePlanID
			}
			if rt.Total != nil {
				rth.Total = *rt.Total
			}
			hit.RoomTypes = append(hit.RoomTypes, rth)
		}
		res.Hits = append(res.Hits, hit)
	}
	if len(res.Hits) > q.First {
		res.Hits, res.HasNextPage = res.Hits[:q.First], true
	}
	return res, nil
}

// bucketEdges are the price facet edges in minor units of currency.
func bucketEdges(currency string) []int64 {
	scale := int64(1)
	for range money.MinorDigits(currency) {
		scale *= 10
	}
	edges := make([]int64, len(search.PriceBuckets))
	for i, e := range search.PriceBuckets {
		edges[i] = e * scale
	}
	return edges
}

// buckets turns width_bucket counts into ranges. Bucket i (1-based) is
// [edges[i-1], edges[i]); the last one is open-ended. Every range is listed,
// empty ones with 0, so clients can draw a stable histogram.
func buckets(edges []int64, counts []struct {
	Bucket int `json:"bucket"`
	Count  int `json:"count"`
}) []search.Bucket {
	out := make([]search.Bucket, len(edges))
	for i := range edges {
		out[i].From = edges[i]
		if i+1 < len(edges) {
			to := edges[i+1]
			out[i].To = &to
		}
	}
	for _, c := range counts {
		if c.Bucket >= 1 && c.Bucket <= len(out) {
			out[c.Bucket-1].Count = c.Count
		}
	}
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
