package booking_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

type testBundle struct {
	pool    *pgxpool.Pool
	catalog *catalog.Service
	svc     *booking.Service
	admin   context.Context
	now     time.Time
}

// setup gives a fresh database and a booking service whose clock stands
// still at now (the zero time means the real clock).
func setup(t *testing.T, now time.Time, opts ...func(*booking.Opts)) testBundle {
	t.Helper()
	pool := pgtest.NewDB(t)
	cat := catalog.NewService(pool)
	o := booking.Opts{}
	if !now.IsZero() {
		o.Now = func() time.Time { return now }
	} else {
		now = time.Now()
	}
	for _, f := range opts {
		f(&o)
	}
	if o.Now != nil { // the catalog prices nights from the hotels' today on that clock too
		cat = cat.WithClock(o.Now)
	}
	svc := booking.NewService(pool, cat, payment.NewRegistry(sandbox.New()), nil, o)
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"})
	return testBundle{pool: pool, catalog: cat, svc: svc, admin: admin, now: now}
}

// fixture is a hotel with one room type, its rooms and one rate plan priced
// for the next year. The plan's terms are fixtureOpts.policy, whose zero
// value is non-refundable: the plan is named for its terms.
type fixture struct {
	hotel    catalog.Hotel
	roomType catalog.RoomType
	rooms    []catalog.Room
	plan     catalog.RatePlan
}

type fixtureOpts struct {
	zone    string
	rooms   int
	price   int64
	taxBps  int
	policy  catalog.CancellationPolicy // zero: non-refundable
	deposit catalog.DepositPolicy
	checkIn catalog.TimeOfDay
}

func (b testBundle) fixture(t *testing.T, o fixtureOpts) fixture {
	t.Helper()
	if o.zone == "" {
		o.zone = "Europe/Paris"
	}
	if o.rooms == 0 {
		o.rooms = 3
	}
	if o.price == 0 {
		o.price = 10000
	}
	if o.deposit.Kind == "" {
		o.deposit = catalog.DepositPolicy{Kind: catalog.DepositFull}
	}
	if o.checkIn == 0 {
		o.checkIn = catalog.DefaultCheckIn
	}
	h, err := b.catalog.CreateHotel(b.admin, catalog.HotelFields{
		Name: "Hotel " + o.zone, TimeZone: o.zone, Location: catalog.GeoPoint{Lat: 10, Lon: 10},
		Address:  catalog.Address{Line1: "1 Main St", City: "Town", CountryCode: "FR"},
		Currency: "EUR", StarRating: 3, CheckInTime: o.checkIn, CheckOutTime: catalog.DefaultCheckOut,
		TaxRateBasisPoints: o.taxBps,
	})
	must(t, err)
	rt, err := b.catalog.CreateRoomType(b.admin, h.ID, catalog.RoomTypeFields{Name: "Double", MaxAdults: 2, MaxChildren: 2, MaxOccupancy: 3})
	must(t, err)
	numbers := make([]string, o.rooms)
	for i := range numbers {
		numbers[i] = fmt.Sprint(101 + i)
	}
	rooms, err := b.svc.AddRooms(b.admin, b.catalog, rt.ID, numbers)
	must(t, err)
	f := fixture{hotel: h, roomType: rt, rooms: rooms}
	f.plan = b.ratePlan(t, f, o.policy, o.deposit, time.Time{}, o.price)
	return f
}

// ratePlan adds a rate plan with the given terms to the fixture's room type,
// named for its terms, priced at price a night for a year from rateStart
// (the zero time: the hotel's today).
func (b testBundle) ratePlan(t *testing.T, f fixture, policy catalog.CancellationPolicy, deposit catalog.DepositPolicy, rateStart time.Time, price int64) catalog.RatePlan {
	t.Helper()
	if rateStart.IsZero() {
		loc, err := time.LoadLocation(f.hotel.TimeZone)
		must(t, err)
		rateStart = hoteldate.BusinessDate(b.now, loc)
	}
	name := "Non-refundable"
	if policy.Refundable {
		name = "Flexible"
	}
	rp, err := b.catalog.CreateRatePlan(b.admin, f.roomType.ID, catalog.RatePlanFields{Name: name, CancellationPolicy: policy, DepositPolicy: deposit})
	must(t, err)
	_, _, err = b.catalog.SetRates(b.admin, rp.ID, rateStart, rateStart.AddDate(0, 0, 365), price)
	must(t, err)
	return rp
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func guest(id string) context.Context {
	return auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleGuest, Subject: id})
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func holdInput(f fixture, key string, checkIn, checkOut time.Time, rooms int) booking.HoldInput {
	in := booking.HoldInput{IdempotencyKey: key, HotelID: f.hotel.ID, CheckIn: checkIn, CheckOut: checkOut,
		Contact: booking.Contact{Email: "ana@example.com", Phone: "+33 1 23 45 67 89"}}
	for i := range rooms {
		in.Rooms = append(in.Rooms, booking.RoomRequest{RatePlanID: f.plan.ID, Party: booking.Party{Adults: 2, ChildAges: []int{}},
			Guests: []booking.GuestName{{GivenName: "Ana", FamilyName: fmt.Sprintf("Guest%d", i)}}})
	}
	return in
}

func code(err error) apperr.Code {
	all, ok := apperr.All(err)
	if !ok || len(all) == 0 {
		return ""
	}
	return all[0].Code
}

// reserved reads the reservation count of each night from the database.
func (b testBundle) reserved(t *testing.T, roomType uuid.UUID, from, to time.Time) []int {
	t.Helper()
	rows, err := b.pool.Query(context.Background(), `
		SELECT coalesce(i.reserved, 0) FROM generate_series($2::date, $3::date - 1, interval '1 day') n
		LEFT JOIN inventory i ON i.room_type_id = $1 AND i.night = n::date ORDER BY n`, roomType, from, to)
	must(t, err)
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		must(t, rows.Scan(&n))
		out = append(out, n)
	}
	return out
}

// assertInventoryConsistent checks, in SQL, that no night is oversold,
// that every night's count equals the units active bookings hold on it, and
// that every night's capacity equals the rooms in service and not blocked.
func (b testBundle) assertInventoryConsistent(t *testing.T) {
	t.Helper()
	c, err := booking.CheckInventory(context.Background(), b.pool, b.now)
	must(t, err)
	if c != (booking.InventoryCheck{}) {
		t.Fatalf("inventory: %d oversold nights, %d nights whose count differs from the bookings holding them, %d whose capacity differs from the rooms in service and not blocked",
			c.Oversold, c.Miscounted, c.WrongCapacity)
	}
}

// penaltiesOf is what the API shows as bk's cancellation penalties.
func penaltiesOf(t *testing.T, b testBundle, ctx context.Context, bk booking.Booking) []booking.PenaltyWindow {
	t.Helper()
	rooms, err := b.svc.RoomsOf(ctx, []uuid.UUID{bk.ID})
	must(t, err)
	payments, err := b.svc.PaymentsOf(ctx, []uuid.UUID{bk.ID})
	must(t, err)
	h, err := b.catalog.Hotel(ctx, bk.HotelID)
	must(t, err)
	loc, err := time.LoadLocation(h.TimeZone)
	must(t, err)
	return b.svc.Penalties(bk, rooms[bk.ID], payments[bk.ID], loc)
}

// ledgerOf is one booking's ledger.
func ledgerOf(ctx context.Context, svc *booking.Service, id uuid.UUID) (booking.Ledger, error) {
	ls, err := svc.LedgersOf(ctx, []uuid.UUID{id})
	return ls[id], err
}

// relocationsOf is one hotel's bookings to relocate.
func relocationsOf(ctx context.Context, svc *booking.Service, hotel uuid.UUID) ([]booking.Booking, error) {
	m, err := svc.RelocationsOf(ctx, []uuid.UUID{hotel})
	return m[hotel], err
}

// blocksOf is one hotel's maintenance blocks from its today on.
func blocksOf(ctx context.Context, svc *booking.Service, hotel uuid.UUID) ([]booking.MaintenanceBlock, error) {
	m, err := svc.BlocksOf(ctx, []uuid.UUID{hotel})
	return m[hotel], err
}
