package elasticsearch

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

// The truth on the page: whatever the index says, PostgreSQL has the last
// word on each page's stays.
func TestConfirmAgainstPostgreSQL(t *testing.T) {
	t.Parallel()
	b := setupCatalog(t)
	// a dearer plan whose name sorts first: offers take the cheapest plan
	b.cat.AddRatePlan(t, b.pool, "lumiere/Double", "Breakfast included", 14000)
	b.cat.AddOpeningHotel(t, b.pool)
	b.cat.AddKuwaitHotel(t, b.pool)
	e := NewEngine(nil, b.pool, Opts{})
	h := b.cat.Hotels
	page := []uuid.UUID{h["lumiere"], h["montmartre"], h["versailles"], h["kiritimati"], h["pagopago"], h["opening"], h["kuwait"], uuid.New()}
	confirm := func(q search.Query) map[uuid.UUID]confirmation {
		t.Helper()
		q.Now = searchtest.Now
		if err := q.Normalize(); err != nil {
			t.Fatal(err)
		}
		c, err := e.confirm(context.Background(), q, page)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	t.Run("a sold-out night drops the hotel", func(t *testing.T) {
		c := confirm(search.Query{CheckIn: day("2027-06-19"), CheckOut: day("2027-06-22")})
		if _, ok := c[h["montmartre"]]; ok {
			t.Error("Montmartre's only room is held on 2027-06-20")
		}
		lumiere, ok := c[h["lumiere"]]
		if !ok || *lumiere.lowestTotal != 30000 || lumiere.currency != "EUR" || lumiere.checkIn.Format(time.DateOnly) != "2027-06-19" {
			t.Fatalf("Lumiere: %+v", lumiere)
		}
		if rt := lumiere.roomTypes[0]; rt.RoomTypeID != b.cat.RoomTypes["lumiere/Double"] || rt.UnitsLeft != 1 || rt.Total != 30000 ||
			rt.RatePlanID != b.cat.RatePlans["lumiere/Double"] || rt.Currency != "EUR" {
			t.Errorf("Lumiere's cheapest room type: %+v", rt)
		}
		// with what a results page shows, as the postgres engine answers
		if rt := lumiere.roomTypes[0]; lumiere.name != "Hotel Lumiere" || lumiere.starRating != 4 ||
			rt.Name != "Double" || rt.MaxAdults != 2 || rt.MaxOccupancy != 2 || rt.RatePlanName != "Flexible" {
			t.Errorf("Lumiere's names: %q, %d stars, %+v", lumiere.name, lumiere.starRating, rt)
		}
	})
	t.Run("a check-in before the hotel's business date is dropped", func(t *testing.T) {
		c := confirm(search.Query{CheckIn: day("2027-06-09"), CheckOut: day("2027-06-10")})
		if _, ok := c[h["kiritimati"]]; ok {
			t.Error("the night of 2027-06-09 is over in Kiritimati")
		}
		if _, ok := c[h["pagopago"]]; !ok {
			t.Error("at 00:00 on 2027-06-10 in Pago Pago the night of the 9th is in progress")
		}
		c = confirm(search.Query{CheckIn: day("2027-06-10"), CheckOut: day("2027-06-11")})
		if _, ok := c[h["kiritimati"]]; !ok {
			t.Error("at 01:00 on 2027-06-11 in Kiritimati the night of the 10th is in progress")
		}
	})
	t.Run("an arrival within the hour takes the night in progress", func(t *testing.T) {
		c := confirm(search.Query{ArrivingAt: ptr(searchtest.Now.Add(time.Hour))})
		if got := c[h["kiritimati"]].checkIn.Format(time.DateOnly); got != "2027-06-10" {
			t.Errorf("02:00 on the 11th in Kiritimati needs the night of the 10th: %s", got)
		}
		if got := c[h["pagopago"]].checkIn.Format(time.DateOnly); got != "2027-06-09" {
			t.Errorf("01:00 on the 10th in Pago Pago needs the night of the 9th: %s", got)
		}
	})
	t.Run("arrivals are read on each hotel's clock", func(t *testing.T) {
		c := confirm(search.Query{ArrivingAt: ptr(time.Date(2027, 6, 11, 23, 30, 0, 0, time.UTC)), Nights: 2})
		if got := c[h["lumiere"]].checkIn.Format(time.DateOnly); got != "2027-06-11" {
			t.Errorf("01:30 in Paris needs the night before: %s", got)
		}
		if got := c[h["kiritimati"]].checkOut.Format(time.DateOnly); got != "2027-06-14" {
			t.Errorf("13:30 in Kiritimati is that night, for two: %s", got)
		}
	})
	t.Run("the exact nightly price decides the range", func(t *testing.T) {
		// 60 EUR ≈ 65 USD, 100 EUR ≈ 109 USD, 400 EUR ≈ 435 USD
		c := confirm(search.Query{CheckIn: day("2027-06-24"), CheckOut: day("2027-06-25"),
			Price: &search.PriceRange{Max: ptr(int64(10000)), Currency: "USD"}})
		if !c[h["montmartre"]].inPriceRange || c[h["lumiere"]].inPriceRange || c[h["versailles"]].inPriceRange {
			t.Errorf("in range: Montmartre %v, Lumiere %v, Versailles %v",
				c[h["montmartre"]].inPriceRange, c[h["lumiere"]].inPriceRange, c[h["versailles"]].inPriceRange)
		}
	})
	t.Run("without dates every room type that houses the party", func(t *testing.T) {
		c := confirm(search.Query{Rooms: []search.Party{{Adults: 2, ChildAges: []int{4}}}})
		lumiere := c[h["lumiere"]]
		if len(lumiere.roomTypes) != 1 || lumiere.roomTypes[0].UnitsLeft != -1 || lumiere.lowestTotal != nil || lumiere.checkIn != nil {
			t.Errorf("Lumiere without dates: %+v", lumiere)
		}
		if _, ok := c[h["montmartre"]]; ok {
			t.Error("Montmartre has no room for a child")
		}
		if _, ok := c[h["opening"]]; ok {
			t.Error("a hotel without room types houses no party")
		}
	})
	t.Run("without a stay or a party a hotel without room types stays on the page", func(t *testing.T) {
		c := confirm(search.Query{})
		opening, ok := c[h["opening"]]
		if !ok || !opening.inPriceRange || len(opening.roomTypes) != 0 || opening.lowestTotal != nil || opening.name != "Harbour Guesthouse" {
			t.Errorf("the opening hotel with no criteria: %+v (confirmed %v), want it with no room types", opening, ok)
		}
		if len(c[h["lumiere"]].roomTypes) != 2 || len(c) != 7 {
			t.Errorf("Lumiere's room types %d, hotels confirmed %d; want 2 and 7 (not the unknown id)", len(c[h["lumiere"]].roomTypes), len(c))
		}
	})
	t.Run("a three-decimal currency's totals are the quote's", func(t *testing.T) {
		// 3 nights at 45.000 KWD and 7.5 % tax are 145.125 KWD a room,
		// which cards settle only as 145.130 (money.TaxedTotal)
		in, out := *day("2027-07-01"), *day("2027-07-04")
		c := confirm(search.Query{CheckIn: &in, CheckOut: &out, Rooms: []search.Party{{Adults: 2}, {Adults: 1}}})
		kuwait := c[h["kuwait"]]
		quote := b.cat.Quote(t, "kuwait/Double", 2, in, out)
		if kuwait.lowestTotal == nil || len(kuwait.roomTypes) != 1 {
			t.Fatalf("two rooms in Kuwait: %+v", kuwait)
		}
		if *kuwait.lowestTotal != 290260 || kuwait.roomTypes[0].Total != 290260 || quote.Total != 290260 {
			t.Errorf("two rooms in Kuwait: confirmed %d fils (the double %d), quoted %d; want 290260",
				*kuwait.lowestTotal, kuwait.roomTypes[0].Total, quote.Total)
		}
	})
}

// A hotel whose stars or amenities changed after the index last saw it is
// dropped from a page that asks for what it no longer has: the page shows
// PostgreSQL's stars, and a 2-star hotel under "4 stars and up" would
// contradict the filter it is listed under.
func TestConfirmDropsHotelsNoLongerMatchingTheFilters(t *testing.T) {
	t.Parallel()
	b := setupCatalog(t)
	e := NewEngine(nil, b.pool, Opts{})
	versailles := b.cat.Hotels["versailles"] // 5 stars, free_wifi, pool, spa
	q := search.Query{CheckIn: day("2027-06-24"), CheckOut: day("2027-06-25"), MinStars: 4, Amenities: []string{"pool"},
		Now: searchtest.Now}
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	// the index's page, as a search hit it before the change reached it
	p := page{sort: q.Sort, hits: []pageHit{{id: versailles}}}
	shown := func() []search.Hit {
		t.Helper()
		c, err := e.confirm(context.Background(), q, p.hotelIDs())
		if err != nil {
			t.Fatal(err)
		}
		hits, _ := p.confirmed(c)
		return hits
	}
	if hits := shown(); len(hits) != 1 || hits[0].StarRating != 5 {
		t.Fatalf("before the change: %+v, want Versailles with 5 stars", hits)
	}
	for _, change := range []string{
		"UPDATE hotels SET amenities = '{free_wifi,spa}' WHERE id = $1",
		"UPDATE hotels SET amenities = '{free_wifi,pool,spa}', star_rating = 3 WHERE id = $1",
	} {
		if _, err := b.pool.Exec(context.Background(), change, versailles); err != nil {
			t.Fatal(err)
		}
		for _, h := range shown() {
			t.Errorf("after %q: %s shown (%d stars) for 4 stars and up with a pool", change, h.HotelName, h.StarRating)
		}
	}
}

func TestExchangeRatesAreCached(t *testing.T) {
	t.Parallel()
	b := setupCatalog(t)
	e := NewEngine(nil, b.pool, Opts{})
	r, err := e.cachedRates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r["EUR"] != (exchangeRate{perUSD: 0.92, minorDigits: 2}) || r["JPY"].minorDigits != 0 {
		t.Errorf("rates: EUR %+v, JPY %+v", r["EUR"], r["JPY"])
	}
	if _, err := b.pool.Exec(context.Background(), "UPDATE exchange_rates SET per_usd = 1 WHERE currency = 'EUR'"); err != nil {
		t.Fatal(err)
	}
	if r, err := e.cachedRates(context.Background()); err != nil || r["EUR"].perUSD != 0.92 {
		t.Errorf("rates reloaded within CacheFor: %+v %v", r["EUR"], err)
	}
}

// A price in a currency without an exchange rate is refused before the
// index is asked (no client here: asking it would fail otherwise).
func TestPriceWithoutExchangeRateIsRefused(t *testing.T) {
	t.Parallel()
	b := setupCatalog(t)
	e := NewEngine(nil, b.pool, Opts{})
	q := search.Query{Now: searchtest.Now, CheckIn: day("2027-06-10"), CheckOut: day("2027-06-11"), Price: &search.PriceRange{Currency: "AFN"}}
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Search(context.Background(), q); !apperr.HasCode(err, apperr.InvalidInput) || !strings.Contains(err.Error(), "AFN") {
		t.Fatalf("a price in AFN: %v, want INVALID_INPUT naming AFN", err)
	}
}
