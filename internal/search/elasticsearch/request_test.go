package elasticsearch

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/search"
)

// now is 2027-06-10T11:00Z: already 2027-06-11 in Pacific/Kiritimati (UTC+14),
// still 2027-06-10 in Pacific/Pago_Pago (UTC−11).
var now = time.Date(2027, 6, 10, 11, 0, 0, 0, time.UTC)

// zones are the time zones of the test catalog.
var zones = []string{"Asia/Tokyo", "Europe/London", "Europe/Paris", "Pacific/Kiritimati", "Pacific/Pago_Pago"}

// rates are the migration's indicative exchange rates.
var rates = map[string]exchangeRate{"USD": {1, 2}, "EUR": {0.92, 2}, "GBP": {0.79, 2}, "JPY": {150, 0}, "AUD": {1.52, 2}}

func day(s string) *time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &d
}

func envFor(q search.Query) environment {
	env := environment{zones: zones}
	if r, ok := rates[q.PriceCurrency()]; ok {
		env.target = &r
	}
	return env
}

var (
	paris   = &search.Circle{Lat: 48.8566, Lon: 2.3522, RadiusKm: 5}
	lastID  = uuid.MustParse("0190f5a4-3c2e-7d41-8a10-5b2f1e0c9d77")
	pacific = &search.Box{North: 5, South: -20, East: -150, West: 170}
)

func TestRequestBodies(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		q     search.Query
		after *search.Cursor
		first bool // false: a later round of the same page (no totals, no facets)
	}{
		{name: "radius_dates_rooms_amenities", first: true, q: search.Query{Near: paris, CheckIn: day("2027-06-19"), CheckOut: day("2027-06-22"),
			Rooms: []search.Party{{Adults: 2, ChildAges: []int{9}}, {Adults: 1}}, Amenities: []string{"spa", "free_wifi"}, MinStars: 3}},
		{name: "checkin_today_skips_zones_past_it", first: true, q: search.Query{CheckIn: day("2027-06-10"), CheckOut: day("2027-06-11"), Within: pacific}},
		{name: "box_across_antimeridian", first: true, q: search.Query{Within: pacific}},
		// A party without dates still needs a room type that houses it.
		{name: "party_without_dates", first: true, q: search.Query{Within: pacific, Rooms: []search.Party{{Adults: 2, ChildAges: []int{4}}}}},
		{name: "text", first: true, q: search.Query{Text: "montmarte"}},
		{name: "arriving_at", first: true, q: search.Query{ArrivingAt: ptr(time.Date(2027, 6, 11, 23, 30, 0, 0, time.UTC)), Nights: 2}},
		{name: "price_range_other_currency", first: true, q: search.Query{Near: &search.Circle{Lat: 48.8566, Lon: 2.3522, RadiusKm: 30},
			CheckIn: day("2027-06-24"), CheckOut: day("2027-06-25"), Rooms: []search.Party{{Adults: 2}, {Adults: 2}},
			Price: &search.PriceRange{Min: ptr(int64(5000)), Max: ptr(int64(12000)), Currency: "GBP"}}},
		{name: "sort_relevance_after", first: true, q: search.Query{Text: "paris", Sort: search.SortRelevance},
			after: &search.Cursor{Sort: search.SortRelevance, Key: -2.3862944, ID: lastID}},
		{name: "sort_stars_after", first: true, q: search.Query{Sort: search.SortStars},
			after: &search.Cursor{Sort: search.SortStars, Key: -4, ID: lastID}},
		{name: "sort_distance_after", first: true, q: search.Query{Near: paris},
			after: &search.Cursor{Sort: search.SortDistance, Key: 3.3917, ID: lastID}},
		{name: "sort_price_after", first: true, q: search.Query{CheckIn: day("2027-06-24"), CheckOut: day("2027-06-25"), Sort: search.SortPrice},
			after: &search.Cursor{Sort: search.SortPrice, Key: 6521.739130434783, ID: lastID}},
		// first: 0 examines a default page's candidates, to say whether
		// there are hits in one round.
		{name: "no_hits", first: true, q: search.Query{Near: paris, CheckIn: day("2027-06-19"), CheckOut: day("2027-06-22"), NoHits: true}},
		{name: "later_round", first: false, q: search.Query{Sort: search.SortStars, First: 2},
			after: &search.Cursor{Sort: search.SortStars, Key: 0, ID: lastID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Now = now
			if err := q.Normalize(); err != nil {
				t.Fatal(err)
			}
			goldenJSON(t, "request_"+tc.name+".golden.json", buildRequest(q, tc.after, envFor(q), tc.first))
		})
	}
}

func TestPastZonesReadEachHotelsCalendar(t *testing.T) {
	t.Parallel()
	got := pastZones(zones, *day("2027-06-10"), now)
	if want := []string{"Pacific/Kiritimati"}; !slices.Equal(got, want) {
		t.Errorf("zones already past 2027-06-10 at %s: %v, want %v", now, got, want)
	}
	if got := pastZones(zones, *day("2027-06-11"), now); len(got) != 0 {
		t.Errorf("2027-06-11 is today or later everywhere: %v", got)
	}
}

func TestArrivalNightsGroupZonesByLocalNight(t *testing.T) {
	t.Parallel()
	// 2027-06-11T23:30Z is 00:30 on the 12th in London (before the cutoff: the
	// 11th), 08:30 on the 12th in Tokyo, 12:30 on the 11th in Pago Pago.
	got := arrivalNights(zones, time.Date(2027, 6, 11, 23, 30, 0, 0, time.UTC), now)
	want := []arrivalGroup{
		{checkIn: *day("2027-06-11"), zones: []string{"Europe/London", "Europe/Paris", "Pacific/Pago_Pago"}},
		{checkIn: *day("2027-06-12"), zones: []string{"Asia/Tokyo", "Pacific/Kiritimati"}},
	}
	if len(got) != len(want) {
		t.Fatalf("groups %+v, want %+v", got, want)
	}
	for i := range want {
		if !got[i].checkIn.Equal(want[i].checkIn) || !slices.Equal(got[i].zones, want[i].zones) {
			t.Errorf("group %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// An arrival already past in every zone offers nothing.
	if got := arrivalNights(zones, time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC), now); len(got) != 0 {
		t.Errorf("past arrival: %+v", got)
	}
}

func TestCursorRoundTripsThroughSearchAfter(t *testing.T) {
	t.Parallel()
	for _, s := range []search.Sort{search.SortRelevance, search.SortStars, search.SortDistance, search.SortPrice} {
		value := 4.0
		c := search.Cursor{Sort: s, Key: sortKey(s, value), ID: lastID}
		parsed, err := search.ParseCursor(c.Encode(), s)
		if err != nil {
			t.Fatal(err)
		}
		sa := searchAfter(s, *parsed)
		if sa[0] != value || sa[1] != lastID.String() {
			t.Errorf("%s: search_after %v, want [%v %s]", s, sa, value, lastID)
		}
	}
	// A zero score must come back as +0: Elasticsearch orders -0 before 0.
	if sa := searchAfter(search.SortRelevance, search.Cursor{Key: sortKey(search.SortRelevance, 0)}); sa[0].(float64) != 0 || 1/sa[0].(float64) < 0 {
		t.Errorf("zero score came back as %v", sa[0])
	}
}
