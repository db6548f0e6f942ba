package catalog_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/postgres/db"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

type testBundle struct {
	pool  *pgxpool.Pool
	svc   *catalog.Service
	admin context.Context
}

// testNow is the catalog's clock in these tests: the rates they set stay
// ahead of it whenever they run.
var testNow = time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC)

func setup(t *testing.T) testBundle {
	t.Helper()
	pool := pgtest.NewDB(t)
	return testBundle{
		pool:  pool,
		svc:   catalog.NewService(pool).WithClock(func() time.Time { return testNow }),
		admin: auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"}),
	}
}

// addRooms adds rooms as the API does: through the booking core, which
// keeps the room type's inventory.
func (b testBundle) addRooms(ctx context.Context, roomTypeID uuid.UUID, numbers ...string) ([]catalog.Room, error) {
	return booking.NewService(b.pool, b.svc, nil, nil, booking.Opts{}).AddRooms(ctx, b.svc, roomTypeID, numbers)
}

func staffOf(hotels ...uuid.UUID) context.Context {
	return auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleStaff, Subject: "staff", HotelIDs: hotels})
}

func hotelFields(name string) catalog.HotelFields {
	return catalog.HotelFields{
		Name: name, TimeZone: "Europe/Paris", Location: catalog.GeoPoint{Lat: 48.8566, Lon: 2.3522},
		Address:  catalog.Address{Line1: "1 Rue de Rivoli", City: "Paris", CountryCode: "fr"},
		Currency: "eur", StarRating: 4, Amenities: []string{"Pool", "free_wifi", "pool"},
		CheckInTime: catalog.DefaultCheckIn, CheckOutTime: catalog.DefaultCheckOut, TaxRateBasisPoints: 1000,
	}
}

func createHotel(t *testing.T, b testBundle, name string) catalog.Hotel {
	t.Helper()
	h, err := b.svc.CreateHotel(b.admin, hotelFields(name))
	if err != nil {
		t.Fatalf("create hotel: %v", err)
	}
	return h
}

func codes(err error) map[apperr.Code][]string {
	all, _ := apperr.All(err)
	out := map[apperr.Code][]string{}
	for _, e := range all {
		out[e.Code] = append(out[e.Code], joinField(e.Field))
	}
	return out
}

func joinField(f []string) string {
	s := ""
	for i, p := range f {
		if i > 0 {
			s += "."
		}
		s += p
	}
	return s
}

func TestCreateHotelNormalisesAndPersists(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := createHotel(t, b, "  Hôtel de Ville ")
	if h.Name != "Hôtel de Ville" || h.Currency != "EUR" || h.Address.CountryCode != "FR" || h.Version != 1 {
		t.Fatalf("unexpected hotel %+v", h)
	}
	if got := h.Amenities; len(got) != 2 || got[0] != "free_wifi" || got[1] != "pool" {
		t.Fatalf("amenities = %v, want [free_wifi pool]", got)
	}
	reloaded, err := b.svc.Hotel(context.Background(), h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if reloaded.CheckInTime.String() != "15:00" || reloaded.TimeZone != "Europe/Paris" || reloaded.TaxRateBasisPoints != 1000 {
		t.Fatalf("reloaded %+v", reloaded)
	}
}

func TestCreateHotelReportsEveryInvalidField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := hotelFields("")
	f.TimeZone = "Mars/Olympus_Mons"
	f.Currency = "EURO"
	f.StarRating = 7
	f.Location.Lat = 123
	f.Address.CountryCode = "France"
	_, err := b.svc.CreateHotel(b.admin, f)
	got := codes(err)[apperr.InvalidInput]
	want := []string{"input.name", "input.timeZone", "input.location.lat", "input.address.countryCode", "input.currency", "input.starRating"}
	if len(got) != len(want) {
		t.Fatalf("invalid fields = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("invalid fields = %v, want %v", got, want)
		}
	}
	var n int
	if err := b.pool.QueryRow(context.Background(), "SELECT count(*) FROM hotels").Scan(&n); err != nil || n != 0 {
		t.Fatalf("hotels after failed create = %d (%v), want 0", n, err)
	}
}

func TestOnlyAdminsCreateHotels(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.svc.CreateHotel(context.Background(), hotelFields("x")); !apperr.HasCode(err, apperr.Unauthenticated) {
		t.Fatalf("anonymous create: %v, want UNAUTHENTICATED", err)
	}
	if _, err := b.svc.CreateHotel(staffOf(uuid.New()), hotelFields("x")); !apperr.HasCode(err, apperr.Forbidden) {
		t.Fatalf("staff create: %v, want FORBIDDEN", err)
	}
}

func TestStaffManageOnlyTheirHotel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := createHotel(t, b, "A")
	other := createHotel(t, b, "B")
	staffA := staffOf(a.ID)
	name := "A renamed"
	if _, err := b.svc.UpdateHotel(staffA, a.ID, a.Version, catalog.HotelPatch{Name: &name}); err != nil {
		t.Fatalf("staff of A updating A: %v", err)
	}
	if _, err := b.svc.UpdateHotel(staffA, other.ID, other.Version, catalog.HotelPatch{Name: &name}); !apperr.HasCode(err, apperr.Forbidden) {
		t.Fatalf("staff of A updating B: %v, want FORBIDDEN", err)
	}
	if _, err := b.svc.CreateRoomType(staffA, other.ID, catalog.RoomTypeFields{Name: "x", MaxAdults: 2, MaxOccupancy: 2}); !apperr.HasCode(err, apperr.Forbidden) {
		t.Fatalf("staff of A adding a room type to B: %v, want FORBIDDEN", err)
	}
	if _, err := b.svc.RoomsOfHotels(staffA, []uuid.UUID{other.ID}); !apperr.HasCode(err, apperr.Forbidden) {
		t.Fatalf("staff of A listing rooms of B: %v, want FORBIDDEN", err)
	}
	unchanged, err := b.svc.Hotel(context.Background(), other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if unchanged.Name != "B" || unchanged.Version != 1 {
		t.Fatalf("hotel B changed: %+v", unchanged)
	}
}

// Two editors race to update the same hotel from the same version: exactly one
// wins, the other is told STALE_VERSION, and the row moved exactly once.
func TestConcurrentUpdatesOneWinsOtherStale(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := createHotel(t, b, "Race")
	const editors = 8
	var wg sync.WaitGroup
	results := make([]error, editors)
	start := make(chan struct{})
	for i := range editors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			name := "Editor " + string(rune('A'+i))
			_, results[i] = b.svc.UpdateHotel(b.admin, h.ID, h.Version, catalog.HotelPatch{Name: &name})
		}()
	}
	close(start)
	wg.Wait()
	won, stale := 0, 0
	for _, err := range results {
		switch {
		case err == nil:
			won++
		case apperr.HasCode(err, apperr.StaleVersion):
			stale++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if won != 1 || stale != editors-1 {
		t.Fatalf("won=%d stale=%d, want 1 and %d", won, stale, editors-1)
	}
	var version int64
	if err := b.pool.QueryRow(context.Background(), "SELECT version FROM hotels WHERE id = $1", h.ID).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != 2 {
		t.Fatalf("version in database = %d, want 2", version)
	}
}

func TestUpdateWithOldVersionIsStale(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := createHotel(t, b, "Old")
	stars := 5
	if _, err := b.svc.UpdateHotel(b.admin, h.ID, h.Version, catalog.HotelPatch{StarRating: &stars}); err != nil {
		t.Fatal(err)
	}
	_, err := b.svc.UpdateHotel(b.admin, h.ID, h.Version, catalog.HotelPatch{StarRating: &stars})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.StaleVersion || joinField(e.Field) != "input.expectedVersion" {
		t.Fatalf("update from version 1 again: %v, want STALE_VERSION on input.expectedVersion", err)
	}
}

// An update that changes nothing — the same values, or values that
// normalise to them — is not written: the version stays, and the audit
// trail (and so the change stream and partners' webhooks) sees nothing.
// Its version is still checked.
func TestUpdatesThatChangeNothingAreNotWritten(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := createHotel(t, b, "Quiet")
	ctx := staffOf(h.ID)
	rt, err := b.svc.CreateRoomType(ctx, h.ID, catalog.RoomTypeFields{Name: "Double", MaxAdults: 2, MaxOccupancy: 2,
		Beds: []catalog.Bed{{Type: catalog.BedQueen, Count: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := b.svc.CreateRatePlan(ctx, rt.ID, catalog.RatePlanFields{Name: "Flexible",
		CancellationPolicy: catalog.CancellationPolicy{Refundable: true, Penalties: []catalog.PenaltyWindow{
			{HoursBeforeCheckIn: 72, Percent: 50}, {HoursBeforeCheckIn: 24, Percent: 100}}},
		DepositPolicy: catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30}})
	if err != nil {
		t.Fatal(err)
	}
	audited := func() (n int) {
		t.Helper()
		if err := b.pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_log WHERE action = 'UPDATE'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := audited()

	name, amenities := h.Name, []string{"POOL", "free_wifi"} // the hotel's, in another order and case
	h2, err := b.svc.UpdateHotel(ctx, h.ID, h.Version, catalog.HotelPatch{Name: &name, Amenities: amenities})
	if err != nil || h2.Version != h.Version || !slices.Equal(h2.Amenities, h.Amenities) {
		t.Fatalf("hotel updated to what it is: version %d (was %d), amenities %v, %v", h2.Version, h.Version, h2.Amenities, err)
	}
	rtName := rt.Name
	if rt2, err := b.svc.UpdateRoomType(ctx, rt.ID, rt.Version, catalog.RoomTypePatch{Name: &rtName}); err != nil || rt2.Version != rt.Version {
		t.Fatalf("room type updated to what it is: version %d (was %d), %v", rt2.Version, rt.Version, err)
	}
	reordered := []catalog.PenaltyWindow{{HoursBeforeCheckIn: 24, Percent: 100}, {HoursBeforeCheckIn: 72, Percent: 50}}
	policy := catalog.CancellationPolicy{Refundable: true, Penalties: reordered}
	if rp2, err := b.svc.UpdateRatePlan(ctx, rp.ID, rp.Version, catalog.RatePlanPatch{CancellationPolicy: &policy}); err != nil || rp2.Version != rp.Version {
		t.Fatalf("rate plan updated to what it is: version %d (was %d), %v", rp2.Version, rp.Version, err)
	}
	if n := audited(); n != before {
		t.Fatalf("%d updates audited for changes that changed nothing", n-before)
	}
	if _, err := b.svc.UpdateHotel(ctx, h.ID, h.Version-1, catalog.HotelPatch{Name: &name}); !apperr.HasCode(err, apperr.StaleVersion) {
		t.Fatalf("no change from an old version: %v, want STALE_VERSION", err)
	}
	stars := h.StarRating - 1
	if h3, err := b.svc.UpdateHotel(ctx, h.ID, h.Version, catalog.HotelPatch{StarRating: &stars}); err != nil || h3.Version != h.Version+1 || audited() != before+1 {
		t.Fatalf("a real change: version %d, %v; want %d and one audited update", h3.Version, err, h.Version+1)
	}
}

func TestRoomTypesRoomsAndRates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := createHotel(t, b, "Rooms")
	ctx := staffOf(h.ID)
	rt, err := b.svc.CreateRoomType(ctx, h.ID, catalog.RoomTypeFields{
		Name: "Family", MaxAdults: 2, MaxChildren: 2, MaxOccupancy: 4,
		Beds: []catalog.Bed{{Type: catalog.BedQueen, Count: 1}, {Type: catalog.BedBunk, Count: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rt.Houses(2, 2) || rt.Houses(3, 0) || rt.Houses(0, 2) {
		t.Fatalf("occupancy rules wrong for %+v", rt)
	}
	if _, err := b.svc.CreateRoomType(ctx, h.ID, catalog.RoomTypeFields{Name: "Bad", MaxAdults: 2, MaxChildren: 0, MaxOccupancy: 5}); !apperr.HasCode(err, apperr.InvalidInput) {
		t.Fatalf("occupancy above adults+children: %v, want INVALID_INPUT", err)
	}
	if _, err := b.svc.CreateRoomType(ctx, h.ID, catalog.RoomTypeFields{Name: "Twice", MaxAdults: 2, MaxOccupancy: 2,
		Beds: []catalog.Bed{{Type: catalog.BedSingle, Count: 1}, {Type: catalog.BedSingle, Count: 1}}}); !apperr.HasCode(err, apperr.InvalidInput) {
		t.Fatalf("a bed type listed twice: %v, want INVALID_INPUT", err)
	}
	rooms, err := b.addRooms(ctx, rt.ID, "101", "102", "103")
	if err != nil || len(rooms) != 3 {
		t.Fatalf("add rooms: %v %v", rooms, err)
	}
	// A duplicate number anywhere in the batch adds none of it.
	if _, err := b.addRooms(ctx, rt.ID, "104", "101"); !apperr.HasCode(err, apperr.Conflict) {
		t.Fatalf("duplicate room number: %v, want CONFLICT", err)
	}
	inService, err := b.svc.RoomsInService(ctx, []uuid.UUID{rt.ID})
	if err != nil || inService[rt.ID] != 3 {
		t.Fatalf("rooms in service = %v (%v), want 3: the failed batch must add nothing", inService, err)
	}
	q := db.New(b.pool)
	if _, err := b.svc.SetRoomServiceTx(ctx, q, rooms[0].ID, rooms[0].Version, false, ""); !apperr.HasCode(err, apperr.InvalidInput) {
		t.Fatalf("out of service without a note: %v, want INVALID_INPUT", err)
	}
	room, err := b.svc.SetRoomServiceTx(ctx, q, rooms[0].ID, rooms[0].Version, false, "water damage")
	if err != nil || room.InService || room.Version != 2 {
		t.Fatalf("take out of service: %+v %v", room, err)
	}
	if _, err := b.svc.SetRoomServiceTx(ctx, q, rooms[0].ID, rooms[0].Version, true, ""); !apperr.HasCode(err, apperr.StaleVersion) {
		t.Fatalf("stale room update: %v", err)
	}
	inService, err = b.svc.RoomsInService(ctx, []uuid.UUID{rt.ID})
	if err != nil {
		t.Fatal(err)
	}
	if inService[rt.ID] != 2 {
		t.Fatalf("rooms in service = %d, want 2", inService[rt.ID])
	}

	rp, err := b.svc.CreateRatePlan(ctx, rt.ID, catalog.RatePlanFields{
		Name: "Flexible",
		CancellationPolicy: catalog.CancellationPolicy{Refundable: true, Penalties: []catalog.PenaltyWindow{
			{HoursBeforeCheckIn: 24, Percent: 100}, {HoursBeforeCheckIn: 72, Percent: 50}}},
		DepositPolicy: catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := rp.CancellationPolicy.Penalties; p[0].HoursBeforeCheckIn != 72 || p[1].HoursBeforeCheckIn != 24 {
		t.Fatalf("penalties not sorted earliest first: %+v", p)
	}
	from := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	rp2, n, err := b.svc.SetRates(ctx, rp.ID, from, from.AddDate(0, 0, 30), 15000)
	if err != nil || n != 31 || rp2.Version != rp.Version+1 {
		t.Fatalf("set rates: n=%d version=%d err=%v", n, rp2.Version, err)
	}
	if _, _, err := b.svc.SetRates(ctx, rp.ID, from.AddDate(0, 0, 10), from.AddDate(0, 0, 12), 20000); err != nil {
		t.Fatal(err)
	}
	rates, err := b.svc.Rates(ctx, rp, h.Currency, from.AddDate(0, 0, 9), from.AddDate(0, 0, 13))
	if err != nil || len(rates) != 5 {
		t.Fatalf("rates: %v %v", rates, err)
	}
	want := []int64{15000, 20000, 20000, 20000, 15000}
	for i, r := range rates {
		if r.Price.Amount != want[i] || r.Price.Currency != "EUR" {
			t.Fatalf("night %d price %v, want %d EUR", i, r.Price, want[i])
		}
	}
	if _, _, err := b.svc.SetRates(ctx, rp.ID, from, from.AddDate(2, 0, 0), 1); !apperr.HasCode(err, apperr.InvalidInput) {
		t.Fatalf("two years of rates at once: %v, want INVALID_INPUT", err)
	}
	// The error names the date out of range.
	for _, c := range []struct{ from, to, field string }{
		{"0001-01-01", "0001-01-01", "input.from"}, {"9999-12-25", "9999-12-25", "input.from"},
		{"2199-12-30", "2200-01-02", "input.to"},
	} {
		from, _ := time.Parse(time.DateOnly, c.from)
		to, _ := time.Parse(time.DateOnly, c.to)
		_, _, err := b.svc.SetRates(ctx, rp.ID, from, to, 1)
		if all, _ := apperr.All(err); len(all) != 1 || all[0].Code != apperr.InvalidInput || strings.Join(all[0].Field, ".") != c.field {
			t.Fatalf("rates from %s to %s: %v, want INVALID_INPUT at %s", c.from, c.to, err, c.field)
		}
	}
	if _, _, err := b.svc.SetRates(staffOf(uuid.New()), rp.ID, from, from, 1); !apperr.HasCode(err, apperr.Forbidden) {
		t.Fatalf("other hotel's staff setting rates: %v, want FORBIDDEN", err)
	}
}

// Nights before a hotel's business date are over: setting their price is
// refused on input.from, naming the hotel's today, and writes nothing. The
// same instant is a different today in Tokyo and New York, and until 06:00
// local the night in progress can still be priced, as it is still sold.
func TestRatesStartAtTheHotelsToday(t *testing.T) {
	t.Parallel()
	b := setup(t)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	plan := func(zone string) catalog.RatePlan {
		t.Helper()
		f := hotelFields("Hotel " + zone)
		f.TimeZone = zone
		h, err := b.svc.CreateHotel(b.admin, f)
		if err != nil {
			t.Fatal(err)
		}
		rt, err := b.svc.CreateRoomType(b.admin, h.ID, catalog.RoomTypeFields{Name: "Double", MaxAdults: 2, MaxOccupancy: 2})
		if err != nil {
			t.Fatal(err)
		}
		rp, err := b.svc.CreateRatePlan(b.admin, rt.ID, catalog.RatePlanFields{Name: "Flexible",
			DepositPolicy: catalog.DepositPolicy{Kind: catalog.DepositFull}})
		if err != nil {
			t.Fatal(err)
		}
		return rp
	}
	tokyo, newYork := plan("Asia/Tokyo"), plan("America/New_York")
	at := func(instant string) *catalog.Service {
		now, err := time.Parse(time.RFC3339, instant)
		if err != nil {
			t.Fatal(err)
		}
		return b.svc.WithClock(func() time.Time { return now })
	}
	for _, c := range []struct {
		instant string
		rp      catalog.RatePlan
		from    string
		today   string // "" when from may be priced
	}{
		// 07:00 on the 2nd in Tokyo: the night of the 1st is over
		{"2027-03-01T22:00:00Z", tokyo, "2027-03-01", "2027-03-02 in Asia/Tokyo"},
		{"2027-03-01T22:00:00Z", tokyo, "2027-03-02", ""},
		// 17:00 on the 1st in New York at that instant
		{"2027-03-01T22:00:00Z", newYork, "2027-03-01", ""},
		{"2027-03-01T22:00:00Z", newYork, "2027-02-28", "2027-03-01 in America/New_York"},
		// 05:30 on the 2nd in Tokyo: the night of the 1st is still in progress
		{"2027-03-01T20:30:00Z", tokyo, "2027-03-01", ""},
		{"2027-03-01T20:30:00Z", tokyo, "2027-02-28", "2027-03-01 in Asia/Tokyo"},
	} {
		from := day(c.from)
		before, err := b.svc.RatePlan(b.admin, c.rp.ID)
		if err != nil {
			t.Fatal(err)
		}
		rp, n, err := at(c.instant).SetRates(b.admin, c.rp.ID, from, from.AddDate(0, 0, 2), 9000)
		if c.today == "" {
			if err != nil || n != 3 || rp.Version != before.Version+1 {
				t.Fatalf("at %s, rates of %s from %s: n=%d version %d, %v; want 3 nights set", c.instant, c.rp.Name, c.from, n, rp.Version, err)
			}
			continue
		}
		all, _ := apperr.All(err)
		if len(all) != 1 || all[0].Code != apperr.InvalidInput || joinField(all[0].Field) != "input.from" ||
			!strings.Contains(all[0].Message, c.today) {
			t.Fatalf("at %s, rates from %s: %v; want INVALID_INPUT at input.from naming %s", c.instant, c.from, err, c.today)
		}
		after, err := b.svc.RatePlan(b.admin, c.rp.ID)
		if err != nil || after.Version != before.Version {
			t.Fatalf("a refused call changed the plan: version %d -> %d (%v)", before.Version, after.Version, err)
		}
		if got, err := b.svc.Rates(b.admin, after, "EUR", from, from); err != nil || len(got) != 0 {
			t.Fatalf("a refused call priced %s: %v %v", c.from, got, err)
		}
	}
}

// A hotel's currency must have an exchange rate: search compares, filters
// and sorts hotels of every currency through them.
func TestCurrencyNeedsAnExchangeRate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := hotelFields("Kabul Inn")
	f.Currency = "AFN" // ISO 4217, without an exchange rate
	_, err := b.svc.CreateHotel(b.admin, f)
	if got := codes(err); len(got[apperr.InvalidInput]) != 1 || got[apperr.InvalidInput][0] != "input.currency" || !strings.Contains(err.Error(), "AFN") {
		t.Fatalf("creating a hotel in AFN: %v, want INVALID_INPUT on input.currency", err)
	}
	h := createHotel(t, b, "Kabul Inn")
	afn := "AFN"
	_, err = b.svc.UpdateHotel(staffOf(h.ID), h.ID, h.Version, catalog.HotelPatch{Currency: &afn})
	if got := codes(err); len(got[apperr.InvalidInput]) != 1 || got[apperr.InvalidInput][0] != "input.currency" {
		t.Fatalf("moving a hotel to AFN: %v, want INVALID_INPUT on input.currency", err)
	}
	if got, err := b.svc.Hotel(b.admin, h.ID); err != nil || got.Currency != h.Currency || got.Version != h.Version {
		t.Fatalf("the refused change was written: %+v %v", got, err)
	}
}

// A country code must name a country: "ZZ" has the shape, not the meaning.
func TestCountryCodeMustNameACountry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := hotelFields("Nowhere Inn")
	f.Address.CountryCode = "ZZ"
	_, err := b.svc.CreateHotel(b.admin, f)
	if got := codes(err); len(got[apperr.InvalidInput]) != 1 || got[apperr.InvalidInput][0] != "input.address.countryCode" {
		t.Fatalf("creating a hotel in ZZ: %v, want INVALID_INPUT on input.address.countryCode", err)
	}
	h := createHotel(t, b, "Somewhere Inn")
	addr := catalog.AddressPatch{Line1: h.Address.Line1, City: h.Address.City, CountryCode: "XX"}
	_, err = b.svc.UpdateHotel(staffOf(h.ID), h.ID, h.Version, catalog.HotelPatch{Address: &addr})
	if got := codes(err); len(got[apperr.InvalidInput]) != 1 || got[apperr.InvalidInput][0] != "input.address.countryCode" {
		t.Fatalf("moving a hotel to XX: %v, want INVALID_INPUT on input.address.countryCode", err)
	}
}

// Rates and bookings hold amounts in the hotel's currency: a hotel without
// them may change its currency, one with rates may not.
func TestCurrencyIsFixedOnceRatesExist(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := createHotel(t, b, "Currency")
	ctx := staffOf(h.ID)
	jpy, eur := "JPY", h.Currency
	h, err := b.svc.UpdateHotel(ctx, h.ID, h.Version, catalog.HotelPatch{Currency: &jpy})
	if err != nil || h.Currency != "JPY" {
		t.Fatalf("a hotel without rates changing currency: %v %+v", err, h)
	}
	_, rp := doubleWithPlan(t, b, ctx, h.ID)
	from := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	if _, _, err := b.svc.SetRates(ctx, rp.ID, from, from.AddDate(0, 0, 3), 15000); err != nil {
		t.Fatal(err)
	}
	h, err = b.svc.Hotel(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.UpdateHotel(ctx, h.ID, h.Version, catalog.HotelPatch{Currency: &eur})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || joinField(e.Field) != "input.currency" {
		t.Fatalf("changing the currency of a hotel with rates: %v, want CONFLICT on input.currency", err)
	}
	if got, err := b.svc.Hotel(ctx, h.ID); err != nil || got.Currency != "JPY" || got.Version != h.Version {
		t.Fatalf("the refused change was written: %+v %v", got, err)
	}
	// Other fields still change, the currency given unchanged.
	name := "Currency Inn"
	if _, err := b.svc.UpdateHotel(ctx, h.ID, h.Version, catalog.HotelPatch{Name: &name, Currency: &jpy}); err != nil {
		t.Fatalf("renaming with the same currency: %v", err)
	}
}

// A currency change waits for rates being written and then refuses: the
// check cannot miss a rate committed while it runs.
func TestCurrencyChangeWaitsForRatesBeingWritten(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := createHotel(t, b, "Race")
	ctx := staffOf(h.ID)
	rt, rp := doubleWithPlan(t, b, ctx, h.ID)
	h, err := b.svc.Hotel(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A rate written but not yet committed.
	tx, err := b.pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(context.Background(), `INSERT INTO nightly_rates (rate_plan_id, night, amount, hotel_id, room_type_id)
		VALUES ($1, '2027-03-01', 15000, $2, $3)`, rp.ID, h.ID, rt.ID); err != nil {
		t.Fatal(err)
	}
	jpy := "JPY"
	done := make(chan error, 1)
	go func() {
		_, err := b.svc.UpdateHotel(ctx, h.ID, h.Version, catalog.HotelPatch{Currency: &jpy})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the currency change did not wait for the rate being written: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !apperr.HasCode(err, apperr.Conflict) {
		t.Fatalf("currency change after the rate committed: %v, want CONFLICT", err)
	}
	got, err := b.svc.Hotel(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Currency != h.Currency || got.Version != h.Version {
		t.Fatalf("the hotel changed under its rates: %s at version %d, was %s at %d", got.Currency, got.Version, h.Currency, h.Version)
	}
}

// doubleWithPlan creates a double room type at hotel and a rate plan for it.
func doubleWithPlan(t *testing.T, b testBundle, ctx context.Context, hotel uuid.UUID) (catalog.RoomType, catalog.RatePlan) {
	t.Helper()
	rt, err := b.svc.CreateRoomType(ctx, hotel, catalog.RoomTypeFields{Name: "Double", MaxAdults: 2, MaxOccupancy: 2,
		Beds: []catalog.Bed{{Type: catalog.BedQueen, Count: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := b.svc.CreateRatePlan(ctx, rt.ID, catalog.RatePlanFields{Name: "Flexible",
		CancellationPolicy: catalog.CancellationPolicy{Refundable: true}, DepositPolicy: catalog.DepositPolicy{Kind: catalog.DepositPayAtHotel}})
	if err != nil {
		t.Fatal(err)
	}
	return rt, rp
}

// A non-refundable plan keeps everything whenever the guest cancels:
// penalty windows would say otherwise, so they are refused.
func TestNonRefundablePlanHasNoPenaltyWindows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := createHotel(t, b, "Strict")
	ctx := staffOf(h.ID)
	rt, _ := doubleWithPlan(t, b, ctx, h.ID)
	_, err := b.svc.CreateRatePlan(ctx, rt.ID, catalog.RatePlanFields{Name: "Saver",
		CancellationPolicy: catalog.CancellationPolicy{Refundable: false, Penalties: []catalog.PenaltyWindow{{HoursBeforeCheckIn: 48, Percent: 50}}},
		DepositPolicy:      catalog.DepositPolicy{Kind: catalog.DepositFull}})
	if got := codes(err); len(got[apperr.InvalidInput]) != 1 || got[apperr.InvalidInput][0] != "input.cancellationPolicy.penalties" {
		t.Fatalf("a non-refundable plan with a window: %v", err)
	}
}

// A description within its limit is saved whatever its words: one long run of
// letters (a pasted blob, a line of Thai without spaces) used to fail every
// save as an internal error, the search dictionary's index refusing it.
func TestLongWordInDescriptionSaves(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := rand.New(rand.NewPCG(1, 2)) // letters that do not compress
	letters := func(n int, from []rune) string {
		w := make([]rune, n)
		for i := range w {
			w[i] = from[r.IntN(len(from))]
		}
		return string(w)
	}
	blob := letters(3000, []rune("abcdefghijklmnopqrstuvwxyz"))
	f := hotelFields("Blob Inn")
	f.Description = "Rooms by the river. " + blob
	h, err := b.svc.CreateHotel(b.admin, f)
	if err != nil {
		t.Fatalf("create a hotel with a %d-letter word in its description: %v", len(blob), err)
	}
	thai := letters(1500, []rune("กขคงจฉชซญดตถทนบปผพฟมยรลวสหอฮ")) // 4,500 bytes
	h, err = b.svc.UpdateHotel(b.admin, h.ID, h.Version, catalog.HotelPatch{Description: &thai})
	if err != nil {
		t.Fatalf("update the description to a line of Thai without spaces: %v", err)
	}
	if h.Description != thai {
		t.Fatalf("description not saved: %q", h.Description)
	}
	var longest int
	if err := b.pool.QueryRow(context.Background(), `SELECT max(length(word)) FROM search_words`).Scan(&longest); err != nil {
		t.Fatal(err)
	}
	if longest > 100 {
		t.Fatalf("the search dictionary holds a word of %d letters", longest)
	}
}

// A hotel's time zone is an IANA name of the form Area/Location (or UTC),
// which PostgreSQL (search) reads as Go (booking) does: summer and winter,
// every zone the catalog accepts gives both the same local time. CET, EET,
// MET and WET keep summer time in Go but are fixed-offset abbreviations to
// PostgreSQL; localtime and posixrules are whatever the machine is set to.
func TestHotelsNameZonesSearchAndBookingReadAlike(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	rows, err := b.pool.Query(ctx, `SELECT name FROM pg_timezone_names WHERE name !~ '^(posix|right)/' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	zones, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	zones = append(zones, "posix/Europe/Paris", "right/Europe/Paris", "Local", "")
	accepted := map[string]bool{}
	for _, tz := range zones {
		f := hotelFields("Zone " + tz)
		f.TimeZone = tz
		h, err := b.svc.CreateHotel(b.admin, f)
		if err != nil {
			if got := codes(err)[apperr.InvalidInput]; len(got) != 1 || got[0] != "input.timeZone" {
				t.Fatalf("%q: %v", tz, err)
			}
			continue
		}
		accepted[tz] = true
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []time.Time{time.Date(2027, 1, 15, 4, 30, 0, 0, time.UTC), time.Date(2027, 7, 15, 4, 30, 0, 0, time.UTC)} {
			var local time.Time
			if err := b.pool.QueryRow(ctx, `SELECT $2::timestamptz AT TIME ZONE time_zone FROM hotels WHERE id = $1`, h.ID, at).Scan(&local); err != nil {
				t.Fatal(err)
			}
			if want := at.In(loc).Format(time.DateTime); local.Format(time.DateTime) != want {
				t.Errorf("%s at %s: PostgreSQL reads %s, Go %s", tz, at.Format(time.RFC3339), local.Format(time.DateTime), want)
			}
		}
	}
	for _, tz := range []string{"UTC", "Etc/GMT-3", "Europe/Paris", "America/Argentina/Buenos_Aires", "Australia/Lord_Howe", "Pacific/Chatham"} {
		if !accepted[tz] {
			t.Errorf("%s refused", tz)
		}
	}
	for _, tz := range []string{"CET", "EET", "MET", "WET", "localtime", "posixrules", "Factory", "posix/Europe/Paris", "Local", ""} {
		if accepted[tz] {
			t.Errorf("%q accepted", tz)
		}
	}
	if len(accepted) < 400 {
		t.Errorf("only %d zones accepted", len(accepted))
	}
}

// A name that shows as nothing (a zero-width space, a braille blank) is as
// empty as a blank one, and what shows is kept without the invisible ends.
func TestInvisibleNamesAreEmpty(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := hotelFields("\u200b\u2800")
	f.Address.City = "\ufeff Paris\u200b"
	_, err := b.svc.CreateHotel(b.admin, f)
	if got := codes(err)[apperr.InvalidInput]; len(got) != 1 || got[0] != "input.name" {
		t.Fatalf("a hotel named by invisible characters: %v, want INVALID_INPUT on input.name", err)
	}
	f.Name = "\u3164Hôtel du Lac\u200b"
	h, err := b.svc.CreateHotel(b.admin, f)
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != "Hôtel du Lac" || h.Address.City != "Paris" {
		t.Fatalf("saved as %q in %q, want Hôtel du Lac in Paris", h.Name, h.Address.City)
	}
}

// A hotel saved before the catalog took only Area/Location names keeps its
// zone (US/Eastern, Japan: read alike by Go and PostgreSQL) until it is
// changed: its staff can still edit the hotel, and send the zone back as it
// is, while a new zone follows the rule.
func TestHotelsInOlderZoneNamesCanStillBeEdited(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for _, tz := range []string{"US/Eastern", "EST5EDT", "Japan", "GB"} {
		h := createHotel(t, b, "Legacy "+tz)
		if _, err := b.pool.Exec(ctx, `UPDATE hotels SET time_zone = $2 WHERE id = $1`, h.ID, tz); err != nil {
			t.Fatal(err)
		}
		name := "Renamed " + tz
		renamed, err := b.svc.UpdateHotel(b.admin, h.ID, h.Version, catalog.HotelPatch{Name: &name})
		if err != nil || renamed.Name != name || renamed.TimeZone != tz {
			t.Fatalf("renaming a hotel in %s: %+v, %v", tz, renamed, err)
		}
		same := tz
		again, err := b.svc.UpdateHotel(b.admin, h.ID, renamed.Version, catalog.HotelPatch{Name: &name, TimeZone: &same})
		if err != nil || again.Version != renamed.Version {
			t.Fatalf("sending %s back unchanged: version %d → %d, %v; want no change", tz, renamed.Version, again.Version, err)
		}
		other := "US/Pacific"
		if _, err := b.svc.UpdateHotel(b.admin, h.ID, renamed.Version, catalog.HotelPatch{TimeZone: &other}); codes(err)[apperr.InvalidInput] == nil {
			t.Fatalf("moving a hotel in %s to %s: %v, want INVALID_INPUT", tz, other, err)
		}
		paris := "Europe/Paris"
		if moved, err := b.svc.UpdateHotel(b.admin, h.ID, renamed.Version, catalog.HotelPatch{TimeZone: &paris}); err != nil || moved.TimeZone != paris {
			t.Fatalf("moving a hotel in %s to Europe/Paris: %+v, %v", tz, moved, err)
		}
	}
}
