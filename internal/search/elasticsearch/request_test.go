package elasticsearch

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/search"
)

// now is 2027-06-10T11:00Z: 01:00 on 2027-06-11 in Pacific/Kiritimati
// (UTC+14), 00:00 on 2027-06-10 in Pacific/Pago_Pago (UTC−11). Before 06:00
// a hotel's business date is the day before: the 10th in Kiritimati, the 9th
// in Pago Pago, the 10th in the other zones.
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
		// Only Pago Pago is still in the night of the 9th.
		{name: "checkin_today_skips_zones_past_it", first: true, q: search.Query{CheckIn: day("2027-06-09"), CheckOut: day("2027-06-10"), Within: pacific}},
		// At 01:00 on the 11th the night of the 10th is in progress in
		// Kiritimati: no zone is past it.
		{name: "checkin_night_in_progress", first: true, q: search.Query{CheckIn: day("2027-06-10"), CheckOut: day("2027-06-11"), Within: pacific}},
		{name: "box_across_antimeridian", first: true, q: search.Query{Within: pacific}},
		// A party without dates still needs a room type that houses it.
		{name: "party_without_dates", first: true, q: search.Query{Within: pacific, Rooms: []search.Party{{Adults: 2, ChildAges: []int{4}}}}},
		{name: "text", first: true, q: search.Query{Text: "montmarte"}},
		{name: "arriving_at", first: true, q: search.Query{ArrivingAt: ptr(time.Date(2027, 6, 11, 23, 30, 0, 0, time.UTC)), Nights: 2}},
		// Within the hour: 02:00 in Kiritimati and 01:00 in Pago Pago need
		// the nights in progress, the 10th and the 9th.
		{name: "arriving_within_the_hour", first: true, q: search.Query{ArrivingAt: ptr(now.Add(time.Hour)), Within: pacific}},
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

func TestClosedZonesReadEachHotelsCalendar(t *testing.T) {
	t.Parallel()
	got := closedZones(zones, *day("2027-06-09"), now)
	if want := []string{"Asia/Tokyo", "Europe/London", "Europe/Paris", "Pacific/Kiritimati"}; !slices.Equal(got, want) {
		t.Errorf("zones already past 2027-06-09 at %s: %v, want %v (Pago Pago is in its night)", now, got, want)
	}
	// 01:00 on the 11th in Kiritimati: the night of the 10th is not past.
	if got := closedZones(zones, *day("2027-06-10"), now); len(got) != 0 {
		t.Errorf("2027-06-10 is the business date or later everywhere: %v", got)
	}
	// The night of the 10th is past in Kiritimati at 06:00 on the 11th,
	// not a minute before.
	six := time.Date(2027, 6, 10, 16, 0, 0, 0, time.UTC)
	if got := closedZones([]string{"Pacific/Kiritimati"}, *day("2027-06-10"), six.Add(-time.Minute)); len(got) != 0 {
		t.Errorf("at 05:59 in Kiritimati the 10th is past: %v", got)
	}
	if got := closedZones([]string{"Pacific/Kiritimati"}, *day("2027-06-10"), six); len(got) != 1 {
		t.Errorf("at 06:00 in Kiritimati the 10th is not past: %v", got)
	}
	// Stays are sold up to 365 days after each hotel's business date: the
	// 2028-06-09 is 365 days after the 2027-06-10, 366 after Pago Pago's 9th.
	if got := closedZones(zones, *day("2028-06-09"), now); !slices.Equal(got, []string{"Pacific/Pago_Pago"}) {
		t.Errorf("zones beyond their horizon on 2028-06-09 at %s: %v, want Pago Pago's", now, got)
	}
	if got := closedZones(zones, *day("2028-06-10"), now); !slices.Equal(got, zones) {
		t.Errorf("zones beyond their horizon on 2028-06-10 at %s: %v, want all", now, got)
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
	// Within the hour (02:00 on the 11th in Kiritimati, 01:00 on the 10th in
	// Pago Pago), the nights in progress: the business dates now.
	got = arrivalNights(zones, now.Add(time.Hour), now)
	want = []arrivalGroup{
		{checkIn: *day("2027-06-09"), zones: []string{"Pacific/Pago_Pago"}},
		{checkIn: *day("2027-06-10"), zones: []string{"Asia/Tokyo", "Europe/London", "Europe/Paris", "Pacific/Kiritimati"}},
	}
	if len(got) != len(want) {
		t.Fatalf("arriving within the hour: groups %+v, want %+v", got, want)
	}
	for i := range want {
		if !got[i].checkIn.Equal(want[i].checkIn) || !slices.Equal(got[i].zones, want[i].zones) {
			t.Errorf("arriving within the hour: group %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// 2028-06-09T20:00Z is 05:00 on the 10th in Tokyo (the 9th), the 9th's
	// evening in Europe, its morning in Pago Pago: the horizon there is the
	// 8th. Kiritimati's night is the 10th, beyond its horizon too.
	got = arrivalNights(zones, time.Date(2028, 6, 9, 20, 0, 0, 0, time.UTC), now)
	if len(got) != 1 || !got[0].checkIn.Equal(*day("2028-06-09")) || !slices.Equal(got[0].zones, []string{"Asia/Tokyo", "Europe/London", "Europe/Paris"}) {
		t.Errorf("arriving at the horizon: %+v, want the 9th in Tokyo, London and Paris", got)
	}
	// At 06:00 in Pago Pago an arrival a minute before needed the night of
	// the 9th, which is over.
	six := time.Date(2027, 6, 10, 17, 0, 0, 0, time.UTC)
	if got := arrivalNights([]string{"Pacific/Pago_Pago"}, six.Add(-time.Minute), six); len(got) != 0 {
		t.Errorf("at 06:00, an arrival at 05:59: %+v", got)
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
