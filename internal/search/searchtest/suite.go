package searchtest

import (
	"bytes"
	"cmp"
	"context"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/search"
)

// NewEngine turns a database holding the suite's catalog into the engine
// under test (an index-backed engine builds its index from it here).
type NewEngine func(t *testing.T, pool *pgxpool.Pool) search.Engine

func date(s string) *time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &d
}

func ptr[T any](v T) *T { return &v }

type testCase struct {
	name string
	q    search.Query
	// want lists hotel keys in order (ordered) or as a set.
	want    []string
	ordered bool
	check   func(t *testing.T, c Catalog, r search.Result)
}

// Run is the shared suite: it loads the suite's catalog into a fresh
// database, builds the engine with newEngine, and checks every case.
func Run(t *testing.T, newEngine NewEngine) {
	pool := pgtest.NewDB(t)
	c := Load(t, pool)
	// Montmartre's only room is taken on the night of 2027-06-20.
	c.Hold(t, "montmartre/Double", 1, *date("2027-06-20"), *date("2027-06-21"))
	// One of Lumiere's two doubles is taken on 2027-06-21.
	c.Hold(t, "lumiere/Double", 1, *date("2027-06-21"), *date("2027-06-22"))
	// Lumiere's doubles also sell with breakfast, dearer: offers take the
	// cheapest plan whatever the plans are called.
	c.AddRatePlan(t, pool, "lumiere/Double", "Breakfast included", 14000)
	c.AddOpeningHotel(t, pool)
	c.AddKuwaitHotel(t, pool)
	engine := newEngine(t, pool)

	paris := &search.Circle{Lat: 48.8566, Lon: 2.3522, RadiusKm: 5}
	cases := []testCase{
		{name: "no criteria lists the whole catalog", q: search.Query{},
			want: []string{"lumiere", "montmartre", "versailles", "london", "kiritimati", "pagopago", "tokyo", "kuwait", "opening"}},
		{name: "a party needs a room type that houses it", q: search.Query{Rooms: []search.Party{{Adults: 1}}},
			want: []string{"lumiere", "montmartre", "versailles", "london", "kiritimati", "pagopago", "tokyo", "kuwait"}},
		{name: "the opening hotel is found by its text", q: search.Query{Text: "reykjavik"}, want: []string{"opening"}},
		{name: "within a radius, nearest first", q: search.Query{Near: paris},
			want: []string{"lumiere", "montmartre"}, ordered: true,
			check: func(t *testing.T, c Catalog, r search.Result) {
				if d := r.Hits[1].DistanceKm; d == nil || *d < 3 || *d > 4 {
					t.Errorf("Montmartre is about 3.4 km from the centre, got %v", d)
				}
			}},
		// Distances on the Earth's mean radius, as Elasticsearch measures:
		// Montmartre is 3.4125 km away, 3.4163 km on a 6,378 km radius.
		{name: "distances on the mean radius", q: search.Query{Near: &search.Circle{Lat: 48.8566, Lon: 2.3522, RadiusKm: 3.4144}},
			want: []string{"lumiere", "montmartre"}, ordered: true,
			check: func(t *testing.T, c Catalog, r search.Result) {
				if d := r.Hits[1].DistanceKm; d == nil || math.Abs(*d-3.4125) > 0.0005 {
					t.Errorf("Montmartre is 3.4125 km from the centre, got %v", d)
				}
			}},
		{name: "a wider radius reaches Versailles", q: search.Query{Near: &search.Circle{Lat: 48.8566, Lon: 2.3522, RadiusKm: 30}},
			want: []string{"lumiere", "montmartre", "versailles"}, ordered: true},
		{name: "inside a map box", q: search.Query{Within: &search.Box{North: 49, South: 48.7, East: 2.5, West: 2}},
			want: []string{"lumiere", "montmartre", "versailles"}},
		{name: "a box across the antimeridian", q: search.Query{Within: &search.Box{North: 5, South: -20, East: -150, West: 170}},
			want: []string{"kiritimati", "pagopago"}},
		{name: "free text on the name", q: search.Query{Text: "lumiere"}, want: []string{"lumiere"}},
		{name: "free text forgives a typo", q: search.Query{Text: "montmarte"}, want: []string{"montmartre"}},
		{name: "free text on the city", q: search.Query{Text: "london"}, want: []string{"london"}},
		{name: "free text on the country's name", q: search.Query{Text: "France"}, want: []string{"lumiere", "montmartre", "versailles"}},
		// Every word, wherever it is in the hotel's text: the lodge in
		// London, not the one in Kiritimati nor another London hotel.
		{name: "free text: every word, in any order", q: search.Query{Text: "london lodge"}, want: []string{"london"}},
		{name: "free text: a country code is a word of its own", q: search.Query{Text: "FR"}, want: []string{"lumiere", "montmartre", "versailles"}},
		{name: "free text: a typo in one of the words", q: search.Query{Text: "inn montmarte"}, want: []string{"montmartre"}},
		{name: "free text: words far apart in the hotel's text", q: search.Query{Text: "paris hotel"}, want: []string{"lumiere"}},
		// A letter off in a short word, two letters swapped in a longer one.
		{name: "free text: a wrong letter in a short word", q: search.Query{Text: "Tokio"}, want: []string{"tokyo"}},
		{name: "free text: two letters swapped", q: search.Query{Text: "lodnon"}, want: []string{"london"}},
		// "montmartre's" is one word to Elasticsearch, within its two edits
		// of "montmartre"; not a word "montmartre" and a word "s"
		{name: "free text: a possessive", q: search.Query{Text: "Montmartre's"}, want: []string{"montmartre"}},
		{name: "free text: a possessive with a typographic apostrophe", q: search.Query{Text: "montmartre’s inn"}, want: []string{"montmartre"}},
		// "l'hotel" likewise, not a word "l" (which no hotel's text has) and "hotel"
		{name: "free text: an elision", q: search.Query{Text: "l'Hotel Lumiere"}, want: []string{"lumiere"}},
		{name: "free text: an elision with a typographic apostrophe and accents", q: search.Query{Text: "l’hôtel lumière"}, want: []string{"lumiere"}},
		// Fuzziness AUTO: any letter, the first too; a swap is one edit.
		{name: "free text: a wrong first letter", q: search.Query{Text: "Zokyo"}, want: []string{"tokyo"}},
		{name: "free text: two letters swapped in a short word", q: search.Query{Text: "prais"}, want: []string{"lumiere", "montmartre"}},
		{name: "free text: a known word is not taken for another", q: search.Query{Text: "paris"}, want: []string{"lumiere", "montmartre"}},
		{name: "free text: a hotel named with the word comes first", q: search.Query{Text: "stay"},
			want: []string{"lumiere", "montmartre", "versailles", "london", "kiritimati", "pagopago", "tokyo", "kuwait", "opening"},
			check: func(t *testing.T, c Catalog, r search.Result) {
				// every description has "a fine place to stay"; one name has the word
				if r.Hits[0].HotelID != c.Hotels["tokyo"] {
					t.Errorf("first hit %s, want Ginza Stay", r.Hits[0].HotelName)
				}
			}},
		// A letter that splits into no word (a modifier apostrophe): nothing
		// to look for is found nowhere, near a point or not.
		{name: "free text without a word, near a point", q: search.Query{Text: "ʼ", Near: paris}, want: []string{}},
		{name: "free text without a word", q: search.Query{Text: "ʼ"}, want: []string{}},
		{name: "all of the amenities", q: search.Query{Amenities: []string{"spa", "pool"}}, want: []string{"versailles"}},
		{name: "minimum stars", q: search.Query{MinStars: 4}, want: []string{"lumiere", "versailles", "tokyo"}},
		{name: "dates read on each hotel's calendar",
			q:    search.Query{CheckIn: date("2027-06-09"), CheckOut: date("2027-06-10"), Within: &search.Box{North: 5, South: -20, East: -150, West: 170}},
			want: []string{"pagopago"}}, // the night of the 9th is over in Kiritimati, in progress in Pago Pago
		{name: "the next day suits both islands",
			q:    search.Query{CheckIn: date("2027-06-10"), CheckOut: date("2027-06-11"), Within: &search.Box{North: 5, South: -20, East: -150, West: 170}},
			want: []string{"kiritimati", "pagopago"}}, // at 01:00 on the 11th Kiritimati still sells the night of the 10th
		{name: "a sold-out night hides the hotel", q: search.Query{Near: paris, CheckIn: date("2027-06-19"), CheckOut: date("2027-06-22")},
			want: []string{"lumiere"},
			check: func(t *testing.T, c Catalog, r search.Result) {
				rt := roomType(r.Hits[0], c.RoomTypes["lumiere/Double"])
				if rt == nil || rt.UnitsLeft != 1 || rt.Total != 30000 {
					t.Errorf("Lumiere's double: %+v, want 1 unit left at 300.00", rt)
				}
				if *r.Hits[0].LowestTotal != 30000 {
					t.Errorf("lowest total %d, want 30000", *r.Hits[0].LowestTotal)
				}
				// what a results page shows comes with the hit
				if h := r.Hits[0]; !h.Named || h.HotelName != "Hotel Lumiere" || h.StarRating != 4 || h.Currency != "EUR" {
					t.Errorf("Lumiere's hit: named %v, %q, %d stars, %s", h.Named, h.HotelName, h.StarRating, h.Currency)
				}
				if rt != nil && (rt.Currency != "EUR" || rt.Name != "Double" || rt.MaxAdults != 2 || rt.MaxChildren != 0 ||
					rt.MaxOccupancy != 2 || rt.RatePlanName != "Flexible") {
					t.Errorf("Lumiere's double: %+v, want EUR, Double for 2 adults, Flexible", *rt)
				}
			}},
		{name: "two rooms need two free units on every night",
			q:    search.Query{Near: paris, CheckIn: date("2027-06-20"), CheckOut: date("2027-06-22"), Rooms: []search.Party{{Adults: 2}, {Adults: 2}}},
			want: []string{}},
		{name: "two rooms fit where two units are free",
			q:    search.Query{Near: paris, CheckIn: date("2027-06-24"), CheckOut: date("2027-06-26"), Rooms: []search.Party{{Adults: 2}, {Adults: 1}}},
			want: []string{"lumiere"},
			check: func(t *testing.T, c Catalog, r search.Result) {
				if len(r.Hits[0].RoomTypes) != 1 || r.Hits[0].RoomTypes[0].RoomTypeID != c.RoomTypes["lumiere/Double"] {
					t.Errorf("only the double has two units: %+v", r.Hits[0].RoomTypes)
				}
				if *r.Hits[0].LowestTotal != 40000 {
					t.Errorf("two rooms, two nights at 100.00: %d", *r.Hits[0].LowestTotal)
				}
			}},
		{name: "children need a room type that houses them",
			q:    search.Query{Near: paris, CheckIn: date("2027-06-24"), CheckOut: date("2027-06-25"), Rooms: []search.Party{{Adults: 2, ChildAges: []int{9, 4}}}},
			want: []string{"lumiere"},
			check: func(t *testing.T, c Catalog, r search.Result) {
				if len(r.Hits[0].RoomTypes) != 1 || r.Hits[0].RoomTypes[0].RoomTypeID != c.RoomTypes["lumiere/Family"] {
					t.Errorf("only the family room houses 2+2: %+v", r.Hits[0].RoomTypes)
				}
			}},
		{name: "arriving after midnight needs the night before",
			// 2027-06-12 00:30 in London is 2027-06-11 23:30 UTC and 08:30 on the 12th in Tokyo.
			q:    search.Query{ArrivingAt: ptr(time.Date(2027, 6, 11, 23, 30, 0, 0, time.UTC)), Nights: 1, Text: "thames"},
			want: []string{"london"},
			check: func(t *testing.T, c Catalog, r search.Result) {
				if got := r.Hits[0].CheckIn.Format(time.DateOnly); got != "2027-06-11" {
					t.Errorf("London check-in night %s, want 2027-06-11", got)
				}
			}},
		{name: "arriving in the morning needs that night",
			q:    search.Query{ArrivingAt: ptr(time.Date(2027, 6, 11, 23, 30, 0, 0, time.UTC)), Nights: 2, Text: "ginza"},
			want: []string{"tokyo"},
			check: func(t *testing.T, c Catalog, r search.Result) {
				if got := r.Hits[0].CheckIn.Format(time.DateOnly) + ".." + r.Hits[0].CheckOut.Format(time.DateOnly); got != "2027-06-12..2027-06-14" {
					t.Errorf("Tokyo stay %s, want 2027-06-12..2027-06-14", got)
				}
			}},
		// Cards settle KWD in tens of fils: a room's total with tax is
		// rounded to them (money.TaxedTotal), in a search as in a quote and
		// a hold. 3 nights at 45.000 KWD and 7.5 % tax are 145.125 KWD,
		// charged as 145.130; two rooms as 290.260.
		{name: "a three-decimal currency's totals are the quote's and the hold's",
			q:    search.Query{Text: "kuwait", CheckIn: date("2027-07-01"), CheckOut: date("2027-07-04"), Rooms: []search.Party{{Adults: 2}, {Adults: 1}}},
			want: []string{"kuwait"},
			check: func(t *testing.T, c Catalog, r search.Result) {
				h := r.Hits[0]
				rt := roomType(h, c.RoomTypes["kuwait/Double"])
				if h.LowestTotal == nil || rt == nil {
					t.Fatalf("the Kuwaiti hotel's double is not priced: %+v", h)
				}
				if *h.LowestTotal != 290260 || rt.Total != 290260 || h.Currency != "KWD" {
					t.Fatalf("two rooms, 3 nights at 45.000 KWD and 7.5 %% tax: lowest total %d %s, the double's %d; want 290260 fils",
						*h.LowestTotal, h.Currency, rt.Total)
				}
				quote := c.Quote(t, "kuwait/Double", 2, *date("2027-07-01"), *date("2027-07-04"))
				held := c.Hold(t, "kuwait/Double", 2, *date("2027-07-01"), *date("2027-07-04"))
				if quote.Total != *h.LowestTotal || held.Total != *h.LowestTotal {
					t.Errorf("search total %d fils, quote %d, hold %d", *h.LowestTotal, quote.Total, held.Total)
				}
			}},
		{name: "a nightly price range in another currency",
			// Indicative rates: 60 EUR ≈ 65 USD, 100 EUR ≈ 109 USD, 400 EUR ≈ 435 USD.
			q:    search.Query{Near: &search.Circle{Lat: 48.8566, Lon: 2.3522, RadiusKm: 30}, CheckIn: date("2027-06-24"), CheckOut: date("2027-06-25"), Price: &search.PriceRange{Max: ptr(int64(10000)), Currency: "USD"}},
			want: []string{"montmartre"}},
		{name: "sorted by price", q: search.Query{CheckIn: date("2027-06-24"), CheckOut: date("2027-06-25"), Sort: search.SortPrice, Near: &search.Circle{Lat: 48.8566, Lon: 2.3522, RadiusKm: 30}},
			want: []string{"montmartre", "lumiere", "versailles"}, ordered: true},
		{name: "sorted by stars", q: search.Query{Sort: search.SortStars, Within: &search.Box{North: 49, South: 48.7, East: 2.5, West: 2}},
			want: []string{"versailles", "lumiere", "montmartre"}, ordered: true},
		{name: "facets count the whole filtered set",
			q:    search.Query{CheckIn: date("2027-06-24"), CheckOut: date("2027-06-25"), Near: &search.Circle{Lat: 48.8566, Lon: 2.3522, RadiusKm: 30}, First: 1, Price: &search.PriceRange{Currency: "EUR"}},
			want: []string{"lumiere"},
			check: func(t *testing.T, c Catalog, r search.Result) {
				if r.TotalCount != 3 || !r.HasNextPage {
					t.Errorf("total %d, next page %v", r.TotalCount, r.HasNextPage)
				}
				wantAmenities := []search.Count{{Value: "free_wifi", Count: 3}, {Value: "spa", Count: 2}, {Value: "pool", Count: 1}}
				if !slices.Equal(r.Facets.Amenities, wantAmenities) {
					t.Errorf("amenity facets %+v, want %+v", r.Facets.Amenities, wantAmenities)
				}
				wantStars := []search.Count{{Value: "5", Count: 1}, {Value: "4", Count: 1}, {Value: "2", Count: 1}}
				if !slices.Equal(r.Facets.Stars, wantStars) {
					t.Errorf("star facets %+v, want %+v", r.Facets.Stars, wantStars)
				}
				// 60, 100 and 400 EUR a night.
				got := map[int64]int{}
				for _, b := range r.Facets.Prices {
					got[b.From] = b.Count
				}
				if got[5000] != 1 || got[10000] != 1 || got[30000] != 1 || len(r.Facets.Prices) != len(search.PriceBuckets) {
					t.Errorf("price facets %+v", r.Facets.Prices)
				}
			}},
		{name: "price facets in a currency of small units",
			q:    search.Query{CheckIn: date("2027-06-24"), CheckOut: date("2027-06-25"), Near: &search.Circle{Lat: 48.8566, Lon: 2.3522, RadiusKm: 30}, Price: &search.PriceRange{Currency: "JPY"}},
			want: []string{"lumiere", "montmartre", "versailles"},
			check: func(t *testing.T, c Catalog, r search.Result) {
				// A dollar buys 150 yen: the edges are a hundred times the
				// dollar's, ¥0–5,000, ¥5,000–10,000, ..., ¥100,000 and more;
				// 60, 100 and 400 EUR are about ¥9,800, ¥16,300 and ¥65,200.
				want := []int64{0, 5000, 10000, 15000, 20000, 30000, 50000, 100000}
				var edges []int64
				got := map[int64]int{}
				for _, b := range r.Facets.Prices {
					edges = append(edges, b.From)
					got[b.From] = b.Count
				}
				if !slices.Equal(edges, want) || got[5000] != 1 || got[15000] != 1 || got[50000] != 1 {
					t.Errorf("price facets in yen %+v, want edges %v with one hotel from 5000, 15000 and 50000", r.Facets.Prices, want)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Now = Now
			if err := q.Normalize(); err != nil {
				t.Fatal(err)
			}
			r, err := engine.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			got := keysOf(c, r)
			want := tc.want
			if !tc.ordered {
				slices.Sort(got)
				want = slices.Sorted(slices.Values(want))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("hits %v, want %v", got, want)
			}
			checkOffers(t, r)
			if tc.check != nil {
				tc.check(t, c, r)
			}
		})
	}
	t.Run("pages have no duplicates or gaps", func(t *testing.T) {
		// Every hotel of the catalog has a room on the night of 2027-06-24
		// but the opening one, which has no room types.
		var stay []string
		stars := map[string]int{}
		for _, h := range append(slices.Clone(hotels), kuwait) {
			stay = append(stay, h.key)
			stars[h.key] = h.stars
		}
		const pageSize = 2
		for _, pc := range []struct {
			sort search.Sort
			near *search.Circle
			// want are the hotels the query finds, in their order when the
			// sort alone decides it.
			want    []string
			ordered bool
		}{
			{sort: search.SortRelevance, want: stay},
			{sort: search.SortStars, want: stay},
			{sort: search.SortPrice, want: stay},
			// 500 km around Paris: its three hotels and London (344 km),
			// not Reykjavik (2,200 km) nor the rest of the world.
			{sort: search.SortDistance, near: &search.Circle{Lat: 48.8566, Lon: 2.3522, RadiusKm: 500},
				want: []string{"lumiere", "montmartre", "versailles", "london"}, ordered: true},
		} {
			if len(pc.want) <= pageSize {
				t.Fatalf("%s: %d hotels fit on one page of %d; the case pages through nothing", pc.sort, len(pc.want), pageSize)
			}
			query := func(first int) search.Query {
				q := search.Query{Sort: pc.sort, First: first, Now: Now, CheckIn: date("2027-06-24"), CheckOut: date("2027-06-25"), Near: pc.near}
				if err := q.Normalize(); err != nil {
					t.Fatal(err)
				}
				return q
			}
			// The order of the hits on one page that holds them all.
			whole, err := engine.Search(context.Background(), query(len(pc.want)+5))
			if err != nil {
				t.Fatal(err)
			}
			if whole.HasNextPage || whole.TotalCount != len(pc.want) {
				t.Fatalf("%s: one page of all hits: total %d, next page %v; want %d hits", pc.sort, whole.TotalCount, whole.HasNextPage, len(pc.want))
			}
			wantOrder := keysOf(c, whole)
			if pc.ordered && !slices.Equal(wantOrder, pc.want) {
				t.Fatalf("%s: one page of all hits %v, want %v", pc.sort, wantOrder, pc.want)
			}
			if !slices.Equal(slices.Sorted(slices.Values(wantOrder)), slices.Sorted(slices.Values(pc.want))) {
				t.Fatalf("%s: one page of all hits %v, want %v in any order", pc.sort, wantOrder, pc.want)
			}

			q := query(pageSize)
			var paged []search.Hit
			pages := 0
			for {
				pages++
				if pages > len(pc.want)+1 {
					t.Fatalf("%s: still a next page after %d pages of %d hotels", pc.sort, pages-1, len(pc.want))
				}
				r, err := engine.Search(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				if r.TotalCount != len(pc.want) {
					t.Fatalf("%s: page %d says total %d, want %d", pc.sort, pages, r.TotalCount, len(pc.want))
				}
				if len(r.Hits) > pageSize {
					t.Fatalf("%s: page %d has %d hits, more than %d", pc.sort, pages, len(r.Hits), pageSize)
				}
				paged = append(paged, r.Hits...)
				if !r.HasNextPage {
					break
				}
				q.After = r.EndCursor
				if q.After == "" {
					if len(r.Hits) == 0 {
						t.Fatalf("%s: page %d has no hits, a next page and no end cursor", pc.sort, pages)
					}
					q.After = r.Hits[len(r.Hits)-1].Cursor
				}
			}
			if pages < 2 {
				t.Fatalf("%s: %d hotels on %d page of %d", pc.sort, len(pc.want), pages, pageSize)
			}
			got := keysOf(c, search.Result{Hits: paged})
			seen := map[string]int{}
			for _, k := range got {
				seen[k]++
			}
			for _, k := range pc.want {
				if seen[k] != 1 {
					t.Errorf("%s: %s seen %d times across %d pages: %v", pc.sort, k, seen[k], pages, got)
				}
			}
			if !slices.Equal(got, wantOrder) {
				t.Errorf("%s: pages list %v, one page %v", pc.sort, got, wantOrder)
			}
			switch pc.sort {
			case search.SortDistance:
				for i, h := range paged {
					if h.DistanceKm == nil || (i > 0 && paged[i-1].DistanceKm != nil && *h.DistanceKm < *paged[i-1].DistanceKm) {
						t.Errorf("hit %d (%s) at %v km, not nearest first", i, got[i], h.DistanceKm)
					}
				}
			case search.SortStars:
				for i := 1; i < len(got); i++ {
					if stars[got[i]] > stars[got[i-1]] {
						t.Errorf("hit %d (%s) has %d stars, more than %s before it", i, got[i], stars[got[i]], got[i-1])
					}
				}
			}
		}
	})
	t.Run("no page: the total, the facets and whether there are hits", func(t *testing.T) {
		for _, near := range []*search.Circle{paris, {Lat: 0, Lon: -30, RadiusKm: 10}} {
			query := func(noHits bool, after string) search.Query {
				q := search.Query{Now: Now, Near: near, CheckIn: date("2027-06-24"), CheckOut: date("2027-06-25"), NoHits: noHits, After: after}
				if err := q.Normalize(); err != nil {
					t.Fatal(err)
				}
				return q
			}
			page, err := engine.Search(context.Background(), query(false, ""))
			if err != nil {
				t.Fatal(err)
			}
			none, err := engine.Search(context.Background(), query(true, ""))
			if err != nil {
				t.Fatal(err)
			}
			if len(none.Hits) != 0 || none.TotalCount != page.TotalCount || none.HasNextPage != (page.TotalCount > 0) ||
				!reflect.DeepEqual(none.Facets, page.Facets) {
				t.Errorf("near %v: no page gave %d hits, total %d, next page %v, facets %+v; a page: total %d, facets %+v",
					*near, len(none.Hits), none.TotalCount, none.HasNextPage, none.Facets, page.TotalCount, page.Facets)
			}
			if len(page.Hits) == 0 || page.HasNextPage {
				continue
			}
			// After the last hit there is nothing left.
			last, err := engine.Search(context.Background(), query(true, page.Hits[len(page.Hits)-1].Cursor))
			if err != nil {
				t.Fatal(err)
			}
			if len(last.Hits) != 0 || last.HasNextPage {
				t.Errorf("near %v: no page after the last hit: %d hits, next page %v", *near, len(last.Hits), last.HasNextPage)
			}
		}
	})
	t.Run("a cursor of another sort is refused", func(t *testing.T) {
		q := search.Query{First: 1, Now: Now}
		if err := q.Normalize(); err != nil {
			t.Fatal(err)
		}
		r, err := engine.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		q2 := search.Query{First: 1, Now: Now, Sort: search.SortStars, After: r.Hits[0].Cursor}
		if err := q2.Normalize(); err != nil {
			t.Fatal(err)
		}
		if _, err := engine.Search(context.Background(), q2); !apperr.HasCode(err, apperr.InvalidInput) {
			t.Fatalf("cursor of another sort: %v", err)
		}
	})
	t.Run("stays start at most 365 days after the hotel's business date, as they are sold", func(t *testing.T) {
		if search.MaxDaysAhead != booking.MaxDaysAhead {
			t.Fatalf("search offers %d days ahead, the booking core sells %d", search.MaxDaysAhead, booking.MaxDaysAhead)
		}
		for _, w := range []struct {
			now   time.Time
			where search.Query
			want  map[string][]string // check-in: hits
		}{
			// 14:00 on 2026-06-20 in Paris.
			{time.Date(2026, 6, 20, 12, 0, 0, 0, time.UTC), search.Query{Near: paris},
				map[string][]string{"2027-06-20": {"lumiere"}, "2027-06-21": {}}},
			// 01:30 on 2026-06-10 in Pago Pago: its business date is the
			// 9th, and the window ends 365 days after it, not after the 10th.
			{time.Date(2026, 6, 10, 12, 30, 0, 0, time.UTC), search.Query{Text: "pago"},
				map[string][]string{"2027-06-09": {"pagopago"}, "2027-06-10": {}}},
		} {
			for checkIn, want := range w.want {
				in := *date(checkIn)
				q := w.where
				q.Now, q.CheckIn, q.CheckOut = w.now, &in, ptr(in.AddDate(0, 0, 1))
				if err := q.Normalize(); err != nil {
					t.Fatal(err)
				}
				r, err := engine.Search(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				if got := keysOf(c, r); !slices.Equal(got, want) {
					t.Errorf("at %s, check-in %s: hits %v, want %v", w.now.Format(time.RFC3339), checkIn, got, want)
				}
			}
		}
	})
	t.Run("until 06:00 local the night in progress is offered", func(t *testing.T) {
		islands := &search.Box{North: 5, South: -20, East: -150, West: 170}
		// 01:30 on the 10th in Pago Pago, 02:30 on the 11th in Kiritimati:
		// each hotel is in the night that began the evening before (the 9th,
		// the 10th), a traveller landing within the hour needs it, and a
		// hotel sells it as it would to a walk-in.
		night := time.Date(2027, 6, 10, 12, 30, 0, 0, time.UTC)
		// 05:59 and 06:00 on the 10th in Pago Pago.
		beforeSix := time.Date(2027, 6, 10, 16, 59, 0, 0, time.UTC)
		six := time.Date(2027, 6, 10, 17, 0, 0, 0, time.UTC)
		for _, tc := range []struct {
			name string
			now  time.Time
			q    search.Query
			want map[string]string // hotel: its check-in; nil: refused
		}{
			{"arriving within the hour takes the night in progress", night,
				search.Query{ArrivingAt: ptr(night.Add(time.Hour)), Within: islands},
				map[string]string{"pagopago": "2027-06-09", "kiritimati": "2027-06-10"}},
			{"check-in on the business date, the day before the calendar's", night,
				search.Query{CheckIn: date("2027-06-09"), CheckOut: date("2027-06-10"), Within: islands},
				map[string]string{"pagopago": "2027-06-09"}},
			{"the night in progress at Kiritimati", night,
				search.Query{CheckIn: date("2027-06-10"), CheckOut: date("2027-06-11"), Within: islands},
				map[string]string{"pagopago": "2027-06-10", "kiritimati": "2027-06-10"}},
			// Over everywhere (even twelve hours behind UTC, where the 9th
			// is the business date): refused, not answered with no hits.
			{"the night before the night in progress is over", night,
				search.Query{CheckIn: date("2027-06-08"), CheckOut: date("2027-06-09"), Within: islands},
				nil},
			{"at 05:59 the night is still offered", beforeSix,
				search.Query{CheckIn: date("2027-06-09"), CheckOut: date("2027-06-10"), Text: "pago"},
				map[string]string{"pagopago": "2027-06-09"}},
			{"at 06:00 it is over", six,
				search.Query{CheckIn: date("2027-06-09"), CheckOut: date("2027-06-10"), Text: "pago"},
				map[string]string{}},
			// 05:59 in Pago Pago needed the night of the 9th, which is over
			// at 06:00; 06:59 in Kiritimati needs the 11th's.
			{"at 06:00 an arrival a minute ago finds no night in progress", six,
				search.Query{ArrivingAt: ptr(six.Add(-time.Minute)), Within: islands},
				map[string]string{"kiritimati": "2027-06-11"}},
			{"at 06:00 the day's night is offered", six,
				search.Query{ArrivingAt: ptr(six), Within: islands},
				map[string]string{"pagopago": "2027-06-10", "kiritimati": "2027-06-11"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				q := tc.q
				q.Now = tc.now
				err := q.Normalize()
				if tc.want == nil {
					if !apperr.HasCode(err, apperr.InvalidInput) {
						t.Fatalf("normalized: %v, want INVALID_INPUT", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				r, err := engine.Search(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for i, k := range keysOf(c, r) {
					got[k] = r.Hits[i].CheckIn.Format(time.DateOnly)
				}
				if !maps.Equal(got, tc.want) {
					t.Errorf("hits (hotel: check-in) %v, want %v", got, tc.want)
				}
				checkOffers(t, r)
			})
		}
	})
	t.Run("a price in a currency without an exchange rate is refused", func(t *testing.T) {
		// AFN is an ISO 4217 code the exchange rates leave out.
		for _, q := range []search.Query{
			{Now: Now, CheckIn: date("2027-06-10"), CheckOut: date("2027-06-11"), Price: &search.PriceRange{Currency: "AFN"}},
			{Now: Now, CheckIn: date("2027-06-10"), CheckOut: date("2027-06-11"), Price: &search.PriceRange{Currency: "AFN", Max: ptr(int64(100000))}},
		} {
			if err := q.Normalize(); err != nil {
				t.Fatal(err)
			}
			_, err := engine.Search(context.Background(), q)
			if !apperr.HasCode(err, apperr.InvalidInput) || !strings.Contains(err.Error(), "AFN") {
				t.Fatalf("a price in AFN: %v, want INVALID_INPUT naming AFN", err)
			}
		}
	})
}

func keysOf(c Catalog, r search.Result) []string {
	byID := map[uuid.UUID]string{}
	for k, id := range c.Hotels {
		byID[id] = k
	}
	out := []string{}
	for _, h := range r.Hits {
		out = append(out, byID[h.HotelID])
	}
	return out
}

func roomType(h search.Hit, id uuid.UUID) *search.RoomTypeHit {
	for i := range h.RoomTypes {
		if h.RoomTypes[i].RoomTypeID == id {
			return &h.RoomTypes[i]
		}
	}
	return nil
}

// checkOffers checks what every page shows: each hit's room types cheapest
// first (then by id), and its lowest total the first one's.
func checkOffers(t *testing.T, r search.Result) {
	t.Helper()
	for _, h := range r.Hits {
		if !slices.IsSortedFunc(h.RoomTypes, func(a, b search.RoomTypeHit) int {
			return cmp.Or(cmp.Compare(a.Total, b.Total), bytes.Compare(a.RoomTypeID[:], b.RoomTypeID[:]))
		}) {
			t.Errorf("%s: room types not cheapest first: %+v", h.HotelID, h.RoomTypes)
		}
		if h.LowestTotal != nil && (len(h.RoomTypes) == 0 || *h.LowestTotal != h.RoomTypes[0].Total) {
			t.Errorf("%s: lowest total %d is not the first room type's: %+v", h.HotelID, *h.LowestTotal, h.RoomTypes)
		}
	}
}
