package search_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/search"
)

// A query's places must be numbers in range: NaN and infinities, which
// compare false with every bound, are refused like any value out of range.
func TestQueryRefusesPlacesOutOfRange(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for name, q := range map[string]search.Query{
		"NaN latitude":      {Near: &search.Circle{Lat: nan, Lon: 2, RadiusKm: 5}},
		"NaN radius":        {Near: &search.Circle{Lat: 48, Lon: 2, RadiusKm: nan}},
		"infinite radius":   {Near: &search.Circle{Lat: 48, Lon: 2, RadiusKm: inf}},
		"latitude past 90":  {Near: &search.Circle{Lat: 91, Lon: 2, RadiusKm: 5}},
		"NaN north":         {Within: &search.Box{North: nan, South: 48, East: 3, West: 2}},
		"NaN west":          {Within: &search.Box{North: 49, South: 48, East: 3, West: nan}},
		"south above north": {Within: &search.Box{North: 48, South: 49, East: 3, West: 2}},
	} {
		if err := q.Normalize(); !apperr.HasCode(err, apperr.InvalidInput) {
			t.Errorf("%s: %v, want INVALID_INPUT", name, err)
		}
	}
	ok := search.Query{Near: &search.Circle{Lat: 48, Lon: 2, RadiusKm: 5}, Within: &search.Box{North: 49, South: 48, East: 3, West: 2}}
	if err := ok.Normalize(); err != nil {
		t.Errorf("a query in range: %v", err)
	}
}

// A price range below zero is a mistake, not a filter that matches nothing.
func TestQueryRefusesNegativePrices(t *testing.T) {
	in, out := time.Now().AddDate(0, 0, 10), time.Now().AddDate(0, 0, 11)
	for _, tc := range []struct {
		price search.PriceRange
		field string // the input path at fault; "" when the range is fine
	}{
		{search.PriceRange{Max: ptr(int64(-1))}, "input.price.max"},
		{search.PriceRange{Min: ptr(int64(-1))}, "input.price.min"},
		{search.PriceRange{Min: ptr(int64(5000)), Max: ptr(int64(4000))}, "input.price.min"},
		{search.PriceRange{Min: ptr(int64(0)), Max: ptr(int64(0))}, ""},
	} {
		tc.price.Currency = "EUR"
		q := search.Query{CheckIn: &in, CheckOut: &out, Price: &tc.price}
		err := q.Normalize()
		errs, _ := apperr.All(err)
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%+v: %v, want it accepted", tc.price, err)
		case tc.field != "" && (len(errs) != 1 || errs[0].Code != apperr.InvalidInput || strings.Join(errs[0].Field, ".") != tc.field):
			t.Errorf("%+v: %v, want INVALID_INPUT at %s", tc.price, err, tc.field)
		}
	}
}

// Price facet edges follow the currency's magnitude: what a dollar buys,
// to the nearest power of ten, times the dollar's edges.
func TestPriceEdges(t *testing.T) {
	for _, tc := range []struct {
		currency string
		perUSD   float64
		want     []int64
	}{
		{"USD", 1, []int64{0, 5000, 10000, 15000, 20000, 30000, 50000, 100000}},
		{"EUR", 0.92, []int64{0, 5000, 10000, 15000, 20000, 30000, 50000, 100000}},
		{"JPY", 150, []int64{0, 5000, 10000, 15000, 20000, 30000, 50000, 100000}},
		{"KRW", 1350, []int64{0, 50000, 100000, 150000, 200000, 300000, 500000, 1000000}},
		{"JPY", 0, []int64{0, 50, 100, 150, 200, 300, 500, 1000}}, // no rate known
	} {
		if got := search.PriceEdges(tc.currency, tc.perUSD); !slices.Equal(got, tc.want) {
			t.Errorf("%s at %v a dollar: %v, want %v", tc.currency, tc.perUSD, got, tc.want)
		}
	}
}

// A stay starting more than a year ahead cannot be sold anywhere: refused.
func TestNormalizeRefusesStaysBeyondTheBookingHorizon(t *testing.T) {
	now := time.Date(2026, 11, 26, 23, 0, 0, 0, time.UTC)
	for days, ok := range map[int]bool{365: true, 366: true, 367: false} {
		in := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)
		out := in.AddDate(0, 0, 1)
		q := search.Query{Now: now, CheckIn: &in, CheckOut: &out}
		if err := q.Normalize(); (err == nil) != ok {
			t.Errorf("check-in %d days after UTC's today: %v", days, err)
		}
	}
}

// Limits count characters, not bytes: 200 é (400 bytes) are fine.
func TestTextLimitCountsCharacters(t *testing.T) {
	for n, ok := range map[int]bool{200: true, 201: false} {
		q := search.Query{Text: strings.Repeat("é", n)}
		if err := q.Normalize(); (err == nil) != ok {
			t.Errorf("%d characters: %v", n, err)
		}
	}
}

// nights says how long a stay from an arrival lasts; with dates it would be
// ignored, so it is refused.
func TestNightsGoWithArrival(t *testing.T) {
	in := time.Date(2027, 6, 10, 0, 0, 0, 0, time.UTC)
	out := in.AddDate(0, 0, 2)
	for name, q := range map[string]search.Query{
		"nights alone":      {Nights: 2},
		"nights with dates": {CheckIn: &in, CheckOut: &out, Nights: 2},
	} {
		err := q.Normalize()
		if all, _ := apperr.All(err); len(all) != 1 || all[0].Code != apperr.InvalidInput || strings.Join(all[0].Field, ".") != "input.nights" {
			t.Errorf("%s: %v, want INVALID_INPUT on input.nights", name, err)
		}
	}
}

// An arrival with no night on sale at any hotel is refused, as a check-in
// past in every time zone or beyond 365 days everywhere is: a business day
// lasts 24 hours (25 across a DST change), so an arrival 36 hours ago has a
// night over everywhere, and one 366½ days ahead a night more than 365 days
// after every hotel's today. Those a day ago or 366 days ahead may still
// have a night somewhere.
func TestArrivalIsWithinTheHorizon(t *testing.T) {
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{time.Date(9999, 12, 31, 12, 0, 0, 0, time.UTC), now.AddDate(0, 0, -3),
		now.Add(-36 * time.Hour), now.Add(-25*time.Hour - time.Second),
		now.Add(366*24*time.Hour + 12*time.Hour), now.Add(366*24*time.Hour + time.Hour + time.Second)} {
		q := search.Query{Now: now, ArrivingAt: &at}
		if all, _ := apperr.All(q.Normalize()); len(all) != 1 || strings.Join(all[0].Field, ".") != "input.arrivingAt" {
			t.Errorf("arriving %s: %v, want INVALID_INPUT on input.arrivingAt", at, all)
		}
	}
	for _, at := range []time.Time{now.AddDate(0, 0, 30), now.Add(-24 * time.Hour), now.Add(366 * 24 * time.Hour)} {
		if q := (search.Query{Now: now, ArrivingAt: &at}); q.Normalize() != nil {
			t.Errorf("arriving %s: %v", at, q.Normalize())
		}
	}
}

// A room's party is bounded as a hold bounds it: 20 guests are fine, 21
// (however made up, even past the largest int) are refused.
func TestPartyIsBoundedAsAHoldBoundsIt(t *testing.T) {
	if search.MaxPartySize != booking.MaxPartySize {
		t.Fatalf("search houses %d guests a room, a hold %d", search.MaxPartySize, booking.MaxPartySize)
	}
	for _, c := range []struct {
		party search.Party
		ok    bool
	}{
		{search.Party{Adults: 10, ChildAges: make([]int, 10)}, true},
		{search.Party{Adults: 20}, true},
		{search.Party{Adults: 1, ChildAges: make([]int, 20)}, false},
		{search.Party{Adults: 21}, false},
		{search.Party{Adults: 11, ChildAges: make([]int, 10)}, false},
		{search.Party{Adults: 0, ChildAges: make([]int, 2)}, false},
		// a sum that wraps around is refused too, not sent to PostgreSQL
		{search.Party{Adults: math.MaxInt, ChildAges: make([]int, 1)}, false},
	} {
		q := search.Query{Rooms: []search.Party{c.party}}
		all, _ := apperr.All(q.Normalize())
		if c.ok != (len(all) == 0) || !c.ok && (len(all) != 1 || strings.Join(all[0].Field, ".") != "input.rooms.0.adults") {
			t.Errorf("%d adults, %d children: %v, want ok=%v (else INVALID_INPUT on input.rooms.0.adults)", c.party.Adults, len(c.party.ChildAges), all, c.ok)
		}
	}
}

// Text without letters or digits has no words to look for: refused, not
// ignored.
func TestTextNeedsWords(t *testing.T) {
	for text, ok := range map[string]bool{"!!!": false, " - ": false, "": true, "é!": true, "4*": true} {
		q := search.Query{Text: text}
		if err := q.Normalize(); (err == nil) != ok {
			t.Errorf("text %q: %v", text, err)
		}
	}
}

// A search asks for at most as many amenities as a hotel can have.
func TestNormalizeBoundsAmenities(t *testing.T) {
	codes := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "amenity_" + strings.Repeat("a", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		}
		return out
	}
	q := search.Query{Amenities: codes(search.MaxAmenities)}
	if err := q.Normalize(); err != nil || len(q.Amenities) != search.MaxAmenities {
		t.Fatalf("%d amenities: %v, %d kept", search.MaxAmenities, err, len(q.Amenities))
	}
	q = search.Query{Amenities: codes(search.MaxAmenities + 1)}
	if err := q.Normalize(); !apperr.HasCode(err, apperr.InvalidInput) {
		t.Fatalf("%d amenities: %v, want INVALID_INPUT", search.MaxAmenities+1, err)
	}
}

// A check-in before the business date of the last time zone (twelve hours
// behind UTC) is over everywhere: refused, not answered with no hits.
func TestNormalizeRefusesStaysPastEverywhere(t *testing.T) {
	for _, tc := range []struct {
		now     time.Time
		checkIn string
		ok      bool
	}{
		{time.Date(2026, 11, 26, 23, 0, 0, 0, time.UTC), "2026-11-26", true},  // 11:00 on the 26th at UTC−12
		{time.Date(2026, 11, 26, 23, 0, 0, 0, time.UTC), "2026-11-25", false}, // over at 06:00 there
		{time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC), "2026-11-25", true},  // 05:00 there: the night of the 25th goes on
		{time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC), "2026-11-24", false},
	} {
		in, err := time.Parse(time.DateOnly, tc.checkIn)
		if err != nil {
			t.Fatal(err)
		}
		out := in.AddDate(0, 0, 1)
		q := search.Query{Now: tc.now, CheckIn: &in, CheckOut: &out}
		if err := q.Normalize(); (err == nil) != tc.ok || !tc.ok && !apperr.HasCode(err, apperr.InvalidInput) {
			t.Errorf("check-in %s at %s: %v", tc.checkIn, tc.now.Format(time.RFC3339), err)
		}
	}
}

func ptr[T any](v T) *T { return &v }
