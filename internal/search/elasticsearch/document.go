package elasticsearch

import (
	"context"
	"embed"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/search"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

func mustSQL(name string) string {
	b, err := sqlFiles.ReadFile("sql/" + name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var (
	hotelsSQL        = mustSQL("document_hotels.sql")
	roomTypesSQL     = mustSQL("document_room_types.sql")
	inventorySQL     = mustSQL("document_inventory.sql")
	ratesSQL         = mustSQL("document_rates.sql")
	walPositionSQL   = mustSQL("wal_position.sql")
	hotelIDsSQL      = mustSQL("hotel_ids.sql")
	exchangeRatesSQL = mustSQL("exchange_rates.sql")
	confirmSQL       = mustSQL("confirm.sql")
)

// maxUnits is the most units a query asks for: the short-night levels kept.
const maxUnits = search.MaxRooms

// DefaultNights is the window of nights a document describes, from the day
// it is built.
const DefaultNights = 365

// GeoPoint is a geo_point in the lat/lon object form.
type GeoPoint struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Document is one hotel in the index. Its JSON tags are the mapping's field
// names (see mapping).
type Document struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	City        string    `json:"city"`
	Country     string    `json:"country"`
	// CountryName is the country's English name (PostgreSQL's
	// country_name), searchable as text.
	CountryName string   `json:"country_name"`
	Location    GeoPoint `json:"location"`
	Stars       int      `json:"stars"`
	Amenities   []string `json:"amenities"`
	Currency    string   `json:"currency"`
	// TimeZone is the hotel's IANA zone: stays are dates of its calendar.
	TimeZone   string `json:"time_zone"`
	TaxRateBps int    `json:"tax_rate_bps"`
	// NightsFrom and NightsUntil bound the window the room types' nights
	// describe: [NightsFrom, NightsUntil). Nights outside it are unknown to
	// the index and never exclude a hotel (PostgreSQL confirms them).
	NightsFrom  string             `json:"nights_from"`
	NightsUntil string             `json:"nights_until"`
	RoomTypes   []RoomTypeDocument `json:"room_types"`
	// Version orders writes of the same document: the WAL position of the
	// snapshot it was built from (Elasticsearch external_gte versioning), so
	// an older build never overwrites a newer one. Not part of the source.
	Version int64 `json:"-"`
}

// RoomTypeDocument is a room type of a hotel, a nested document. Its nights
// encode availability for n units (n = 1..search.MaxRooms): the stay
// [ci, co) offers n units of it when Units ≥ n and no date of ShortNightsN
// nor of UnpricedNights falls inside [ci, co).
type RoomTypeDocument struct {
	ID           uuid.UUID `json:"id"`
	TimeZone     string    `json:"time_zone"`
	MaxAdults    int       `json:"max_adults"`
	MaxChildren  int       `json:"max_children"`
	MaxOccupancy int       `json:"max_occupancy"`
	// Units is the number of rooms in service: no night offers more.
	Units int `json:"units"`
	// ShortNightsN lists the nights (yyyy-MM-dd) of the window on which fewer
	// than N units are free. Only kept for N ≤ Units: above, Units excludes.
	ShortNights1 []string `json:"short_nights_1,omitempty"`
	ShortNights2 []string `json:"short_nights_2,omitempty"`
	ShortNights3 []string `json:"short_nights_3,omitempty"`
	ShortNights4 []string `json:"short_nights_4,omitempty"`
	ShortNights5 []string `json:"short_nights_5,omitempty"`
	ShortNights6 []string `json:"short_nights_6,omitempty"`
	ShortNights7 []string `json:"short_nights_7,omitempty"`
	ShortNights8 []string `json:"short_nights_8,omitempty"`
	ShortNights9 []string `json:"short_nights_9,omitempty"`
	// UnpricedNights lists the nights of the window no rate plan has a rate for.
	UnpricedNights []string `json:"unpriced_nights,omitempty"`
	// PriceFrom is the lowest nightly rate of the window, tax included (as
	// a quote prices one night at it: money.TaxedTotal), in minor units of
	// the hotel's currency; nil without rates.
	PriceFrom *int64 `json:"price_from,omitempty"`
	// PriceFromUSDCents and PriceToUSDCents are the lowest and highest nightly
	// rate of the window, tax included, in US cents (at the exchange rates of
	// build time): every stay's average nightly price lies between them
	// (widened by the rounding to a cash step in currencies that have one).
	PriceFromUSDCents *float64 `json:"price_from_usd_cents,omitempty"`
	PriceToUSDCents   *float64 `json:"price_to_usd_cents,omitempty"`
}

// shortNights is the list for n units (1..maxUnits).
func (r *RoomTypeDocument) shortNights(n int) *[]string {
	return [...]*[]string{&r.ShortNights1, &r.ShortNights2, &r.ShortNights3, &r.ShortNights4, &r.ShortNights5,
		&r.ShortNights6, &r.ShortNights7, &r.ShortNights8, &r.ShortNights9}[n-1]
}

// shortNightsField is the mapping field of shortNights(n).
func shortNightsField(n int) string { return fmt.Sprintf("short_nights_%d", n) }

// toUSDCents converts minor units of a currency to US cents.
func toUSDCents(amount float64, perUSD float64, minorDigits int) float64 {
	return amount / math.Pow10(minorDigits) / perUSD * 100
}

type roomTypeRow struct {
	id, hotelID                      uuid.UUID
	adults, children, people, inServ int
}

type nightRate struct{ lowest, highest int64 }

// BuildDocuments reads hotels, their room types, rooms in service, inventory
// and nightly rates from PostgreSQL and builds their documents for the local
// nights [from, from+nights). Hotels that no longer exist are missing from
// the result (delete their documents). Everything is read in one snapshot
// whose WAL position becomes each document's Version.
func BuildDocuments(ctx context.Context, pool *pgxpool.Pool, hotelIDs []uuid.UUID, from time.Time, nights int) ([]Document, error) {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin document snapshot: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	// The first statement fixes the snapshot: every commit it sees is
	// before this position.
	var version int64
	if err := tx.QueryRow(ctx, walPositionSQL).Scan(&version); err != nil {
		return nil, fmt.Errorf("read wal position: %w", err)
	}
	return BuildDocumentsTx(ctx, tx, hotelIDs, from, nights, version)
}

// DeleteVersion is the version to delete documents at once BuildDocuments
// found their hotels gone: past the WAL position now, so above the version
// of every document built from a snapshot that still had them (Engine.Delete).
func DeleteVersion(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var position int64
	if err := pool.QueryRow(ctx, walPositionSQL).Scan(&position); err != nil {
		return 0, fmt.Errorf("read wal position: %w", err)
	}
	return position + 1, nil
}

// BuildDocumentsTx is BuildDocuments inside the caller's transaction, which
// should be repeatable read so that every query sees one state: that of an
// exported snapshot, for instance (SET TRANSACTION SNAPSHOT), which the
// change stream continues from. version is the WAL position of the state tx
// sees (every transaction it sees committed before it); it becomes each
// document's Version.
func BuildDocumentsTx(ctx context.Context, tx pgx.Tx, hotelIDs []uuid.UUID, from time.Time, nights int, version int64) ([]Document, error) {
	if nights <= 0 {
		nights = DefaultNights
	}
	from = hoteldate.Date(from)
	until := from.AddDate(0, 0, nights)
	docs, rates, err := loadHotels(ctx, tx, hotelIDs, from, until, version)
	if err != nil {
		return nil, err
	}
	byHotel := map[uuid.UUID]*Document{}
	for i := range docs {
		byHotel[docs[i].ID] = &docs[i]
	}
	rows, err := tx.Query(ctx, roomTypesSQL, hotelIDs)
	if err != nil {
		return nil, fmt.Errorf("load room types: %w", err)
	}
	roomTypes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (roomTypeRow, error) {
		var rt roomTypeRow
		err := r.Scan(&rt.id, &rt.hotelID, &rt.adults, &rt.children, &rt.people, &rt.inServ)
		return rt, err
	})
	if err != nil {
		return nil, fmt.Errorf("load room types: %w", err)
	}
	free, err := loadFree(ctx, tx, hotelIDs, from, until)
	if err != nil {
		return nil, err
	}
	prices, err := loadRates(ctx, tx, hotelIDs, from, until)
	if err != nil {
		return nil, err
	}
	for _, rt := range roomTypes {
		doc := byHotel[rt.hotelID]
		if doc == nil {
			continue
		}
		d := roomTypeDocument(rt, doc, rates[rt.hotelID], free[rt.id], prices[rt.id], from, until)
		doc.RoomTypes = append(doc.RoomTypes, d)
	}
	return docs, nil
}

// exchangeRate is what one US dollar buys of a currency.
type exchangeRate struct {
	perUSD      float64
	minorDigits int
}

func loadHotels(ctx context.Context, tx pgx.Tx, ids []uuid.UUID, from, until time.Time, version int64) ([]Document, map[uuid.UUID]*exchangeRate, error) {
	rows, err := tx.Query(ctx, hotelsSQL, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("load hotels: %w", err)
	}
	defer rows.Close()
	var docs []Document
	rates := map[uuid.UUID]*exchangeRate{}
	for rows.Next() {
		d := Document{Version: version, NightsFrom: from.Format(time.DateOnly), NightsUntil: until.Format(time.DateOnly),
			RoomTypes: []RoomTypeDocument{}}
		var perUSD *float64
		var digits *int
		if err := rows.Scan(&d.ID, &d.Name, &d.Description, &d.City, &d.Country, &d.CountryName, &d.Location.Lat, &d.Location.Lon,
			&d.Stars, &d.Amenities, &d.Currency, &d.TimeZone, &d.TaxRateBps, &perUSD, &digits); err != nil {
			return nil, nil, fmt.Errorf("load hotels: %w", err)
		}
		if d.Amenities == nil {
			d.Amenities = []string{}
		}
		if perUSD != nil && digits != nil && *perUSD > 0 {
			rates[d.ID] = &exchangeRate{perUSD: *perUSD, minorDigits: *digits}
		}
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("load hotels: %w", err)
	}
	return docs, rates, nil
}

// loadFree reads the free units per room type and night that have inventory rows.
func loadFree(ctx context.Context, tx pgx.Tx, ids []uuid.UUID, from, until time.Time) (map[uuid.UUID]map[time.Time]int, error) {
	rows, err := tx.Query(ctx, inventorySQL, ids, from, until)
	if err != nil {
		return nil, fmt.Errorf("load inventory: %w", err)
	}
	out := map[uuid.UUID]map[time.Time]int{}
	var id uuid.UUID
	var night time.Time
	var free int
	_, err = pgx.ForEachRow(rows, []any{&id, &night, &free}, func() error {
		if out[id] == nil {
			out[id] = map[time.Time]int{}
		}
		out[id][hoteldate.Date(night)] = free
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load inventory: %w", err)
	}
	return out, nil
}

// loadRates reads the lowest and highest rate per room type and priced night.
func loadRates(ctx context.Context, tx pgx.Tx, ids []uuid.UUID, from, until time.Time) (map[uuid.UUID]map[time.Time]nightRate, error) {
	rows, err := tx.Query(ctx, ratesSQL, ids, from, until)
	if err != nil {
		return nil, fmt.Errorf("load nightly rates: %w", err)
	}
	out := map[uuid.UUID]map[time.Time]nightRate{}
	var id uuid.UUID
	var night time.Time
	var r nightRate
	_, err = pgx.ForEachRow(rows, []any{&id, &night, &r.lowest, &r.highest}, func() error {
		if out[id] == nil {
			out[id] = map[time.Time]nightRate{}
		}
		out[id][hoteldate.Date(night)] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load nightly rates: %w", err)
	}
	return out, nil
}

// roomTypeDocument computes a room type's nights over [from, until).
func roomTypeDocument(rt roomTypeRow, hotel *Document, rate *exchangeRate, free map[time.Time]int, prices map[time.Time]nightRate, from, until time.Time) RoomTypeDocument {
	d := RoomTypeDocument{ID: rt.id, TimeZone: hotel.TimeZone, MaxAdults: rt.adults, MaxChildren: rt.children,
		MaxOccupancy: rt.people, Units: rt.inServ}
	levels := min(rt.inServ, maxUnits)
	var lowest, highest int64 = -1, -1
	for night := from; night.Before(until); night = night.AddDate(0, 0, 1) {
		date := night.Format(time.DateOnly)
		units := rt.inServ
		if f, ok := free[night]; ok {
			units = min(units, f)
		}
		for n := units + 1; n <= levels; n++ {
			list := d.shortNights(n)
			*list = append(*list, date)
		}
		p, ok := prices[night]
		if !ok {
			d.UnpricedNights = append(d.UnpricedNights, date)
			continue
		}
		if lowest < 0 || p.lowest < lowest {
			lowest = p.lowest
		}
		highest = max(highest, p.highest)
	}
	if lowest >= 0 {
		withTax := money.TaxedTotal(lowest, hotel.TaxRateBps, hotel.Currency) // a night at it, as quoted
		d.PriceFrom = &withTax
		if rate != nil {
			// A stay's total is rounded to a cash step of its currency
			// (money.TaxedTotal: tens of fils in KWD), by up to half a step
			// down and less than a step up: the bounds allow for it, so that
			// the index hides no stay PostgreSQL prices in a range.
			step := money.CashStep(hotel.Currency)
			taxed := func(amount, slack int64) *float64 {
				v := toUSDCents(float64(amount)*float64(10000+hotel.TaxRateBps)/10000+float64(slack), rate.perUSD, rate.minorDigits)
				return &v
			}
			d.PriceFromUSDCents, d.PriceToUSDCents = taxed(lowest, -step/2), taxed(highest, step-1)
		}
	}
	return d
}

// HotelIDs returns a keyset page of hotel ids after after (uuid.Nil for the first page).
func HotelIDs(ctx context.Context, pool *pgxpool.Pool, after uuid.UUID, limit int) ([]uuid.UUID, error) {
	var a *uuid.UUID
	if after != uuid.Nil {
		a = &after
	}
	rows, err := pool.Query(ctx, hotelIDsSQL, a, limit)
	if err != nil {
		return nil, fmt.Errorf("list hotel ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("list hotel ids: %w", err)
	}
	return ids, nil
}

// LoadAll is a Rebuild loader: every hotel's document, batch hotels at a
// time, for the nights [from, from+nights).
func LoadAll(ctx context.Context, pool *pgxpool.Pool, from time.Time, nights, batch int) func(yield func(Document) error) error {
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	return func(yield func(Document) error) error {
		after := uuid.Nil
		for {
			ids, err := HotelIDs(ctx, pool, after, batch)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				return nil
			}
			docs, err := BuildDocuments(ctx, pool, ids, from, nights)
			if err != nil {
				return err
			}
			for _, d := range docs {
				if err := yield(d); err != nil {
					return err
				}
			}
			after = ids[len(ids)-1]
		}
	}
}
