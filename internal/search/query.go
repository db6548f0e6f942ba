package search

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/money"
)

// lastZone is the last time zone to reach a date, twelve hours behind UTC.
var lastZone = time.FixedZone("UTC-12", -12*3600)

// Limits of a query.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
	MaxNights       = 28
	// MaxDaysAhead is how far ahead a stay may start at a hotel, in days
	// from its business date, as the booking core sells
	// (booking.MaxDaysAhead).
	MaxDaysAhead = 365
	MaxRooms     = 9
	// MaxPartySize bounds the guests of one room, as a hold does
	// (booking.MaxPartySize).
	MaxPartySize = 20
	MaxRadiusKm  = 500
	MaxChildAge  = 17
	// DefaultCurrency prices facets when the query names no currency.
	DefaultCurrency = "USD"
)

// MaxAmenities is the most amenities a search asks for: a hotel has at
// most as many (catalog), so more would match nothing.
const MaxAmenities = 50

var amenityPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_]{0,39}$`)

// Normalize validates q and fills in defaults, reporting every bad field.
func (q *Query) Normalize() error {
	var errs apperr.List
	fail := func(msg string, field ...string) {
		errs = append(errs, apperr.Invalid(msg, append([]string{"input"}, field...)...))
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	q.Text = strings.TrimSpace(q.Text)
	if utf8.RuneCountInString(q.Text) > 200 {
		fail("at most 200 characters", "text")
	} else if q.Text != "" && !strings.ContainsFunc(q.Text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		fail("give words to look for: the text has no letters or digits", "text")
	}
	// The checks say what is valid, so that NaN, which compares false
	// with everything, is not.
	if c := q.Near; c != nil {
		if !(c.Lat >= -90 && c.Lat <= 90 && c.Lon >= -180 && c.Lon <= 180) {
			fail("lat must be within ±90 and lon within ±180", "near")
		}
		if !(c.RadiusKm > 0 && c.RadiusKm <= MaxRadiusKm) {
			fail(fmt.Sprintf("radiusKm must be above 0 and at most %d", MaxRadiusKm), "near", "radiusKm")
		}
	}
	if b := q.Within; b != nil {
		if !(b.South >= -90 && b.North <= 90 && b.South <= b.North && b.West >= -180 && b.West <= 180 && b.East >= -180 && b.East <= 180) {
			fail("give south ≤ north within ±90 and east, west within ±180", "within")
		}
	}
	switch {
	case q.ArrivingAt != nil && (q.CheckIn != nil || q.CheckOut != nil):
		fail("give either checkIn and checkOut or arrivingAt, not both", "arrivingAt")
	case q.ArrivingAt != nil:
		if q.Nights == 0 {
			q.Nights = 1
		}
		if q.Nights < 1 || q.Nights > MaxNights {
			fail(fmt.Sprintf("1 to %d nights", MaxNights), "nights")
		}
		// As check-in: an arrival with no night on sale at any hotel is
		// refused. A business day lasts 24 hours (25 across a DST change),
		// so the night of an arrival 25 hours ago is over everywhere, and
		// that of one 366 days and an hour ahead is beyond every hotel's
		// MaxDaysAhead days.
		if q.ArrivingAt.Before(q.Now.Add(-25 * time.Hour)) {
			fail("the arrival is past in every time zone: its night is over at every hotel", "arrivingAt")
		} else if q.ArrivingAt.After(q.Now.Add((MaxDaysAhead+1)*24*time.Hour + time.Hour)) {
			fail(fmt.Sprintf("arrive within the next %d days", MaxDaysAhead), "arrivingAt")
		}
	case q.Nights != 0:
		fail("nights goes with arrivingAt; with checkIn, checkOut says how long", "nights")
	case (q.CheckIn == nil) != (q.CheckOut == nil):
		fail("give both checkIn and checkOut", "checkOut")
	case q.CheckIn != nil:
		n := int(q.CheckOut.Sub(*q.CheckIn).Hours()/24 + 0.5)
		if n < 1 || n > MaxNights {
			fail(fmt.Sprintf("check-out must be 1 to %d nights after check-in", MaxNights), "checkOut")
		}
		// No hotel's business date is a day past UTC's date (UTC+14 at
		// most; the business date is never after the local one).
		y, m, d := q.Now.UTC().Date()
		if q.CheckIn.After(time.Date(y, m, d+MaxDaysAhead+1, 0, 0, 0, 0, time.UTC)) {
			fail(fmt.Sprintf("check-in is more than %d days ahead", MaxDaysAhead), "checkIn")
		}
		// Nor is any before the business date twelve hours behind UTC,
		// the last of the day's zones: such a night is over everywhere.
		if earliest := hoteldate.BusinessDate(q.Now, lastZone); q.CheckIn.Before(earliest) {
			fail(fmt.Sprintf("check-in is past in every time zone: the earliest night still sold anywhere is %s",
				earliest.Format(time.DateOnly)), "checkIn")
		}
	}
	if len(q.Rooms) > MaxRooms {
		fail(fmt.Sprintf("at most %d rooms", MaxRooms), "rooms")
	}
	for i, r := range q.Rooms {
		if r.Adults < 1 {
			fail("at least 1 adult a room", "rooms", fmt.Sprint(i), "adults")
		} else if r.Adults > MaxPartySize || len(r.ChildAges) > MaxPartySize-r.Adults { // no sum that could wrap
			fail(fmt.Sprintf("a room houses at most %d guests", MaxPartySize), "rooms", fmt.Sprint(i), "adults")
		}
		for _, a := range r.ChildAges {
			if a < 0 || a > MaxChildAge {
				fail(fmt.Sprintf("child ages are 0 to %d", MaxChildAge), "rooms", fmt.Sprint(i), "childAges")
				break
			}
		}
	}
	norm := make([]string, 0, len(q.Amenities))
	for _, a := range q.Amenities {
		a = strings.ToLower(strings.TrimSpace(a))
		if !amenityPattern.MatchString(a) {
			fail(fmt.Sprintf("%s is not an amenity code such as free_wifi", apperr.Quote(a)), "amenities")
			continue
		}
		norm = append(norm, a)
	}
	slices.Sort(norm)
	q.Amenities = slices.Compact(norm)
	if len(q.Amenities) > MaxAmenities {
		fail(fmt.Sprintf("at most %d amenities, as a hotel has", MaxAmenities), "amenities")
	}
	if q.MinStars < 0 || q.MinStars > 5 {
		fail("minStars is 0 to 5", "minStars")
	}
	if p := q.Price; p != nil {
		c, ok := money.Normalize(p.Currency)
		if !ok {
			fail(fmt.Sprintf("%s is not a currency prices are kept in (an ISO 4217 code of money in circulation, such as EUR)", apperr.Quote(p.Currency)), "price", "currency")
		}
		p.Currency = c
		if p.Min != nil && p.Max != nil && *p.Min > *p.Max || p.Min != nil && *p.Min < 0 {
			fail("min must be at least 0 and at most max", "price", "min")
		}
		if p.Max != nil && *p.Max < 0 {
			fail("max must be at least 0", "price", "max")
		}
		if !q.HasDates() {
			fail("a price range needs dates (checkIn and checkOut, or arrivingAt)", "price")
		}
	}
	switch q.Sort {
	case "":
		q.Sort = SortRelevance
		if q.Near != nil {
			q.Sort = SortDistance
		}
	case SortRelevance, SortStars:
	case SortDistance:
		if q.Near == nil {
			fail("sorting by distance needs near", "sort")
		}
	case SortPrice:
		if !q.HasDates() {
			fail("sorting by price needs dates", "sort")
		}
	default:
		fail(fmt.Sprintf("unknown sort %s", apperr.Quote(string(q.Sort))), "sort")
	}
	switch {
	case q.NoHits:
		q.First = 0
	case q.First == 0:
		q.First = DefaultPageSize
	}
	if !q.NoHits && (q.First < 1 || q.First > MaxPageSize) {
		errs = append(errs, apperr.Invalid(fmt.Sprintf("first must be between 0 and %d", MaxPageSize), "first"))
	}
	return errs.Err()
}

// HasDates reports whether the query asks for a stay.
func (q *Query) HasDates() bool { return q.CheckIn != nil || q.ArrivingAt != nil }

// AsksForRooms is whether q asks for a stay or a party: only then must a
// hotel have a matching room type. Without either, every hotel that meets
// the other criteria is listed, room types or not (no criteria lists the
// catalog).
func (q *Query) AsksForRooms() bool { return q.HasDates() || len(q.Rooms) > 0 }

// ErrNoExchangeRate is an engine's answer to a price in a currency it has
// no exchange rate for: nothing can be priced in it.
func ErrNoExchangeRate(currency string) error {
	return apperr.Invalid(fmt.Sprintf("prices cannot be shown in %s: it has no exchange rate", currency), "input", "price", "currency")
}

// PriceCurrency is the currency of price filters and facets.
func (q *Query) PriceCurrency() string {
	if q.Price != nil && q.Price.Currency != "" {
		return q.Price.Currency
	}
	return DefaultCurrency
}

// PriceBounds is the nightly price range asked for; nil where it is open.
func (q *Query) PriceBounds() (lowest, highest *int64) {
	if q.Price == nil {
		return nil, nil
	}
	return q.Price.Min, q.Price.Max
}

// ArrivalNights is the stay's length when the stay is given as an arrival
// instant (the engines' SQL parameter); nil otherwise.
func (q *Query) ArrivalNights() *int {
	if q.ArrivingAt == nil {
		return nil
	}
	return &q.Nights
}

// Party bounds: a room type houses every party of the query when it fits
// the most adults, the most children and the largest party among them.
func (q *Query) PartyBounds() (adults, children, people int) {
	adults, people = 1, 1
	for _, r := range q.Rooms {
		adults = max(adults, r.Adults)
		children = max(children, len(r.ChildAges))
		people = max(people, r.Adults+len(r.ChildAges))
	}
	return adults, children, people
}

// RoomCount is the number of units asked for (at least 1).
func (q *Query) RoomCount() int { return max(1, len(q.Rooms)) }

// PriceBuckets are the facet edges, in major units of a currency worth about
// a US dollar (see PriceEdges).
var PriceBuckets = []int64{0, 50, 100, 150, 200, 300, 500, 1000}

// PriceEdges are the price facet edges in minor units of currency, of which
// a US dollar buys perUSD units: PriceBuckets times the currency's
// magnitude, the power of ten nearest perUSD (at least 1), so that buckets
// in yen or rupiah say as much as buckets in euros (¥0–5,000, ¥5,000–10,000,
// ...). Without a rate (perUSD ≤ 0) they are PriceBuckets. The PostgreSQL
// engine scales them the same way in SQL.
func PriceEdges(currency string, perUSD float64) []int64 {
	scale := int64(math.Pow10(money.MinorDigits(currency)))
	if perUSD > 0 {
		scale *= int64(math.Pow10(max(0, int(math.Round(math.Log10(perUSD))))))
	}
	edges := make([]int64, len(PriceBuckets))
	for i, e := range PriceBuckets {
		edges[i] = e * scale
	}
	return edges
}
