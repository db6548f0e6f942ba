// Package searchtest is the table-driven suite every search engine passes.
// An engine's own test calls Run with a function that turns a database
// holding the suite's catalog into an engine over it.
package searchtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// Now is the suite's clock: 2027-06-10T11:00Z is 2027-06-11 01:00 in
// Pacific/Kiritimati (UTC+14) and 2027-06-10 00:00 in Pacific/Pago_Pago
// (UTC−11). Before 06:00 a hotel's day is still the day before (its business
// date, hoteldate.BusinessDate): the nights of the 10th and of the 9th are in
// progress and still sold. The same instant, two different todays.
var Now = time.Date(2027, 6, 10, 11, 0, 0, 0, time.UTC)

// firstNight is the first night the fixture prices.
var firstNight = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)

// newCatalog is a catalog service whose clock is at noon UTC of firstNight,
// when every fixture hotel's today is firstNight or the day before: the
// catalog is priced then, whenever the suite runs.
func newCatalog(pool *pgxpool.Pool) *catalog.Service {
	return catalog.NewService(pool).WithClock(func() time.Time { return firstNight.Add(12 * time.Hour) })
}

// roomTypeSpec is a room type of a fixture hotel.
type roomTypeSpec struct {
	name                     string
	adults, children, people int
	units                    int
	price                    int64 // minor units per night
}

type hotelSpec struct {
	key       string
	name      string
	zone      string
	lat, lon  float64
	city      string
	country   string
	currency  string
	stars     int
	amenities []string
	roomTypes []roomTypeSpec
}

// The suite's catalog. Taxes are zero so prices read plainly.
var hotels = []hotelSpec{
	{"lumiere", "Hotel Lumiere", "Europe/Paris", 48.8566, 2.3522, "Paris", "FR", "EUR", 4, []string{"free_wifi", "spa"},
		[]roomTypeSpec{{"Double", 2, 0, 2, 2, 10000}, {"Family", 2, 2, 4, 1, 18000}}},
	{"montmartre", "Montmartre Inn", "Europe/Paris", 48.8867, 2.3431, "Paris", "FR", "EUR", 2, []string{"free_wifi"},
		[]roomTypeSpec{{"Double", 2, 0, 2, 1, 6000}}},
	{"versailles", "Versailles Palace Hotel", "Europe/Paris", 48.8049, 2.1204, "Versailles", "FR", "EUR", 5, []string{"free_wifi", "pool", "spa"},
		[]roomTypeSpec{{"Suite", 3, 2, 4, 3, 40000}}},
	{"london", "Thames Lodge", "Europe/London", 51.5072, -0.1276, "London", "GB", "GBP", 3, []string{"free_wifi", "gym"},
		[]roomTypeSpec{{"Double", 2, 1, 3, 2, 9000}}},
	{"kiritimati", "Line Islands Lodge", "Pacific/Kiritimati", 1.87, -157.43, "Kiritimati", "KI", "AUD", 3, []string{"beach"},
		[]roomTypeSpec{{"Bungalow", 2, 2, 4, 2, 15000}}},
	{"pagopago", "Pago Bay Hotel", "Pacific/Pago_Pago", -14.27, -170.70, "Pago Pago", "AS", "USD", 3, []string{"beach"},
		[]roomTypeSpec{{"Double", 2, 1, 3, 2, 14000}}},
	{"tokyo", "Ginza Stay", "Asia/Tokyo", 35.6717, 139.765, "Tokyo", "JP", "JPY", 4, []string{"free_wifi", "gym"},
		[]roomTypeSpec{{"Double", 2, 0, 2, 2, 22000}}},
}

// Catalog is the suite's catalog as loaded: ids by key.
type Catalog struct {
	Hotels    map[string]uuid.UUID
	RoomTypes map[string]uuid.UUID // "hotel/roomtype"
	RatePlans map[string]uuid.UUID // "hotel/roomtype"
	Booking   *booking.Service
}

// Load creates the suite's catalog in pool, with rates from 2027-06-01 for 60 nights.
func Load(t testing.TB, pool *pgxpool.Pool) Catalog {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "searchtest"})
	cat := newCatalog(pool)
	c := Catalog{Hotels: map[string]uuid.UUID{}, RoomTypes: map[string]uuid.UUID{}, RatePlans: map[string]uuid.UUID{},
		Booking: booking.NewService(pool, cat, nil, nil, booking.Opts{Now: func() time.Time { return Now }})}
	for _, h := range hotels {
		c.add(t, ctx, cat, h, 0)
	}
	return c
}

// An opening hotel has no room types yet: it is in the catalog, and no
// stay or party finds it.
var opening = hotelSpec{"opening", "Harbour Guesthouse", "Atlantic/Reykjavik", 64.1466, -21.9426, "Reykjavik", "IS", "ISK", 2, []string{"free_wifi"}, nil}

// AddOpeningHotel adds a hotel without room types to the catalog.
func (c Catalog) AddOpeningHotel(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "searchtest"})
	c.add(t, ctx, newCatalog(pool), opening, 0)
}

// A Kuwaiti hotel prices in fils (KWD has three decimals), which cards
// settle in tens only, and taxes its rooms 7.5 %: 3 nights at 45.000 KWD
// are 145.125 KWD with tax, which the quote, the hold and the search all
// round to 145.130 (money.TaxedTotal).
var kuwait = hotelSpec{"kuwait", "Gulf Pearl Suites", "Asia/Kuwait", 29.3759, 47.9774, "Kuwait City", "KW", "KWD", 3, []string{"pool"},
	[]roomTypeSpec{{"Double", 2, 0, 2, 2, 45000}}}

// AddKuwaitHotel adds the Kuwaiti hotel (key "kuwait", its double
// "kuwait/Double") to the catalog.
func (c Catalog) AddKuwaitHotel(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "searchtest"})
	c.add(t, ctx, newCatalog(pool), kuwait, 750)
}

// add creates hotel h, taxing taxBps, with its room types, their rooms,
// and one rate plan each with rates from 2027-06-01 for 60 nights.
func (c Catalog) add(t testing.TB, ctx context.Context, cat *catalog.Service, h hotelSpec, taxBps int) {
	t.Helper()
	from := firstNight
	hotel, err := cat.CreateHotel(ctx, catalog.HotelFields{Name: h.name, TimeZone: h.zone,
		Location: catalog.GeoPoint{Lat: h.lat, Lon: h.lon}, Description: "A fine place to stay in " + h.city + ", from breakfast to a late check-out",
		Address:  catalog.Address{Line1: "1 Main Street", City: h.city, CountryCode: h.country},
		Currency: h.currency, StarRating: h.stars, Amenities: h.amenities,
		CheckInTime: catalog.DefaultCheckIn, CheckOutTime: catalog.DefaultCheckOut, TaxRateBasisPoints: taxBps})
	if err != nil {
		t.Fatalf("create %s: %v", h.key, err)
	}
	c.Hotels[h.key] = hotel.ID
	for _, r := range h.roomTypes {
		rt, err := cat.CreateRoomType(ctx, hotel.ID, catalog.RoomTypeFields{Name: r.name, MaxAdults: r.adults, MaxChildren: r.children, MaxOccupancy: r.people})
		if err != nil {
			t.Fatalf("create %s/%s: %v", h.key, r.name, err)
		}
		numbers := make([]string, r.units)
		for i := range numbers {
			numbers[i] = fmt.Sprintf("%s-%d", r.name, i+1)
		}
		if _, err := c.Booking.AddRooms(ctx, cat, rt.ID, numbers); err != nil {
			t.Fatal(err)
		}
		rp, err := cat.CreateRatePlan(ctx, rt.ID, catalog.RatePlanFields{Name: "Flexible",
			CancellationPolicy: catalog.CancellationPolicy{Refundable: true}, DepositPolicy: catalog.DepositPolicy{Kind: catalog.DepositFull}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := cat.SetRates(ctx, rp.ID, from, from.AddDate(0, 0, 59), r.price); err != nil {
			t.Fatal(err)
		}
		c.RoomTypes[h.key+"/"+r.name] = rt.ID
		c.RatePlans[h.key+"/"+r.name] = rp.ID
	}
}

// Hold books units of a room type for local nights [checkIn, checkOut).
func (c Catalog) Hold(t testing.TB, key string, units int, checkIn, checkOut time.Time) booking.Booking {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleGuest, Subject: "searchtest-guest"})
	q := c.stay(key, units, checkIn, checkOut)
	in := booking.HoldInput{IdempotencyKey: fmt.Sprintf("%s-%d-%s", key, units, checkIn), HotelID: q.HotelID,
		CheckIn: checkIn, CheckOut: checkOut, Rooms: q.Rooms, Contact: booking.Contact{Email: "guest@example.com"}}
	b, err := c.Booking.Hold(ctx, in)
	if err != nil {
		t.Fatalf("hold %s: %v", key, err)
	}
	return b
}

// Quote prices units of a room type for local nights [checkIn, checkOut),
// as a guest asks before holding them.
func (c Catalog) Quote(t testing.TB, key string, units int, checkIn, checkOut time.Time) booking.Quote {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleGuest, Subject: "searchtest-guest"})
	q, err := c.Booking.Quote(ctx, c.stay(key, units, checkIn, checkOut))
	if err != nil {
		t.Fatalf("quote %s: %v", key, err)
	}
	return q
}

// stay asks for units of a room type's plan ("hotel/roomtype"), a guest
// in each.
func (c Catalog) stay(key string, units int, checkIn, checkOut time.Time) booking.QuoteInput {
	in := booking.QuoteInput{HotelID: c.Hotels[key[:indexOf(key, '/')]], CheckIn: checkIn, CheckOut: checkOut}
	for range units {
		in.Rooms = append(in.Rooms, booking.RoomRequest{RatePlanID: c.RatePlans[key], Party: booking.Party{Adults: 1},
			Guests: []booking.GuestName{{GivenName: "Sam", FamilyName: "Guest"}}})
	}
	return in
}

// AddRatePlan gives a room type another rate plan, priced at price a night
// on the fixture's nights.
func (c Catalog) AddRatePlan(t testing.TB, pool *pgxpool.Pool, key, name string, price int64) {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "searchtest"})
	cat := newCatalog(pool)
	rp, err := cat.CreateRatePlan(ctx, c.RoomTypes[key], catalog.RatePlanFields{Name: name,
		CancellationPolicy: catalog.CancellationPolicy{Refundable: true}, DepositPolicy: catalog.DepositPolicy{Kind: catalog.DepositFull}})
	if err != nil {
		t.Fatal(err)
	}
	from := firstNight
	if _, _, err := cat.SetRates(ctx, rp.ID, from, from.AddDate(0, 0, 59), price); err != nil {
		t.Fatal(err)
	}
}

func indexOf(s string, b byte) int {
	for i := range len(s) {
		if s[i] == b {
			return i
		}
	}
	return len(s)
}
