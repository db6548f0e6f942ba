package demo

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// firstNight is a fixed first night, so tests do not depend on the day they run.
var firstNight = time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)

// nilUUID starts a listing at the first hotel.
var nilUUID = uuid.NullUUID{}

type testBundle struct {
	pool *pgxpool.Pool
	cat  *catalog.Service
}

func setup(t *testing.T) testBundle {
	t.Helper()
	pool := pgtest.NewDB(t)
	return testBundle{pool: pool, cat: catalog.NewService(pool)}
}

func load(t *testing.T, b testBundle, opts Opts) Summary {
	t.Helper()
	sum, err := Load(context.Background(), b.pool, opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return sum
}

// catalogDump lists every hotel, room type, room count, rate plan and nightly
// price in creation order, without ids.
func catalogDump(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT h.name, h.city, h.time_zone, h.star_rating, h.latitude, h.longitude, h.amenities,
		       rt.name, (SELECT count(*) FROM rooms r WHERE r.room_type_id = rt.id),
		       rp.name, rp.refundable, rp.deposit_kind, rp.deposit_percent,
		       (SELECT string_agg(n.night::text || '=' || n.amount, ',' ORDER BY n.night)
		          FROM nightly_rates n WHERE n.rate_plan_id = rp.id)
		FROM hotels h
		JOIN room_types rt ON rt.hotel_id = h.id
		JOIN rate_plans rp ON rp.room_type_id = rt.id
		ORDER BY h.id, rt.id, rp.id`)
	if err != nil {
		t.Fatalf("dump catalog: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatalf("dump catalog: %v", err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("dump catalog: %v", err)
	}
	return out
}

func TestLoadIsDeterministic(t *testing.T) {
	t.Parallel()
	opts := Opts{Hotels: 5, Seed: 7, Today: firstNight, Nights: 60}
	a, b := setup(t), setup(t)
	load(t, a, opts)
	load(t, b, opts)

	ha, err := a.cat.ListHotels(context.Background(), nilUUID, 100)
	if err != nil {
		t.Fatal(err)
	}
	hb, err := b.cat.ListHotels(context.Background(), nilUUID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(ha) != 5 || len(hb) != 5 {
		t.Fatalf("got %d and %d hotels, want 5 each", len(ha), len(hb))
	}
	for i := range ha {
		x, y := ha[i], hb[i]
		if x.Name != y.Name || x.Address.City != y.Address.City || x.TimeZone != y.TimeZone {
			t.Errorf("hotel %d: %q in %s (%s) vs %q in %s (%s)", i,
				x.Name, x.Address.City, x.TimeZone, y.Name, y.Address.City, y.TimeZone)
		}
		if want := generateHotel(7, i); x.Address.City != Cities[i].Name || x.Name != want.fields.Name {
			t.Errorf("hotel %d is %q in %s, want %q in %s", i, x.Name, x.Address.City, want.fields.Name, Cities[i].Name)
		}
	}
	da, db := catalogDump(t, a.pool), catalogDump(t, b.pool)
	if !slices.Equal(da, db) {
		t.Errorf("two loads differ:\n%v\n%v", da, db)
	}
}

func TestLoadSkipsWhenLoadedAndExtends(t *testing.T) {
	t.Parallel()
	b := setup(t)
	opts := Opts{Hotels: 5, Today: firstNight, Nights: 14}
	first := load(t, b, opts)
	if first.Skipped || first.Hotels != 5 || first.Existing != 0 {
		t.Fatalf("first load: %+v, want 5 hotels created", first)
	}
	before := catalogDump(t, b.pool)

	second := load(t, b, opts)
	if !second.Skipped || second.Existing != 5 || second.Hotels != 0 || second.RateCalls != 0 {
		t.Errorf("second load: %+v, want skipped with 5 existing", second)
	}
	if after := catalogDump(t, b.pool); !slices.Equal(before, after) {
		t.Errorf("a skipped load changed the catalog")
	}

	// Asking for more adds the next hotels of the same sequence.
	opts.Hotels = 7
	third := load(t, b, opts)
	if third.Skipped || third.Existing != 5 || third.Hotels != 2 {
		t.Errorf("extending load: %+v, want 2 hotels created", third)
	}
	hotels, err := b.cat.ListHotels(context.Background(), nilUUID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(hotels) != 7 {
		t.Fatalf("got %d hotels, want 7", len(hotels))
	}
	for i, h := range hotels {
		if want := generateHotel(DefaultSeed, i).fields.Name; h.Name != want {
			t.Errorf("hotel %d is %q, want %q", i, h.Name, want)
		}
	}
}

func TestLoadFillsEveryNight(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var progress [][2]int
	sum := load(t, b, Opts{Hotels: 5, Today: firstNight.Add(17 * time.Hour), Progress: func(stage Stage, done, total int) {
		if stage != StageHotels {
			t.Errorf("progress of stage %q without past bookings", stage)
		}
		progress = append(progress, [2]int{done, total})
	}})
	if sum.Nights != DefaultNights || !sum.First.Equal(firstNight) {
		t.Errorf("summary: %d nights from %s, want %d from %s", sum.Nights, sum.First, DefaultNights, firstNight)
	}
	if want := [][2]int{{0, 5}, {1, 5}, {2, 5}, {3, 5}, {4, 5}, {5, 5}}; !slices.Equal(progress, want) {
		t.Errorf("progress %v, want %v", progress, want)
	}
	ctx := context.Background()

	var hotels, roomTypes, rooms, ratePlans, rates int
	err := b.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM hotels), (SELECT count(*) FROM room_types),
		(SELECT count(*) FROM rooms), (SELECT count(*) FROM rate_plans), (SELECT count(*) FROM nightly_rates)`).
		Scan(&hotels, &roomTypes, &rooms, &ratePlans, &rates)
	if err != nil {
		t.Fatal(err)
	}
	got := [5]int{hotels, roomTypes, rooms, ratePlans, rates}
	want := [5]int{sum.Hotels, sum.RoomTypes, sum.Rooms, sum.RatePlans, sum.NightlyRates}
	if got != want || hotels != 5 {
		t.Errorf("database holds hotels, room types, rooms, rate plans, rates = %v; summary says %v", got, want)
	}

	// Every hotel has 2-4 room types; every room type 3-15 rooms and 1-2 rate plans.
	rows, err := b.pool.Query(ctx, `
		SELECT h.name, count(DISTINCT rt.id),
		       min((SELECT count(*) FROM rooms r WHERE r.room_type_id = rt.id)),
		       max((SELECT count(*) FROM rooms r WHERE r.room_type_id = rt.id)),
		       min((SELECT count(*) FROM rate_plans p WHERE p.room_type_id = rt.id)),
		       max((SELECT count(*) FROM rate_plans p WHERE p.room_type_id = rt.id))
		FROM hotels h LEFT JOIN room_types rt ON rt.hotel_id = h.id
		GROUP BY h.id, h.name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var types, minRooms, maxRooms, minPlans, maxPlans int
		if err := rows.Scan(&name, &types, &minRooms, &maxRooms, &minPlans, &maxPlans); err != nil {
			t.Fatal(err)
		}
		if types < 2 || types > 4 || minRooms < 3 || maxRooms > 15 || minPlans < 1 || maxPlans > 2 {
			t.Errorf("%s: %d room types, %d-%d rooms and %d-%d rate plans each", name, types, minRooms, maxRooms, minPlans, maxPlans)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	// Every rate plan has a rate for every night from the first, and none outside.
	rows, err = b.pool.Query(ctx, `
		SELECT rp.id::text, count(n.night), min(n.night), max(n.night)
		FROM rate_plans rp LEFT JOIN nightly_rates n ON n.rate_plan_id = rp.id
		GROUP BY rp.id`)
	if err != nil {
		t.Fatal(err)
	}
	lastNight := firstNight.AddDate(0, 0, DefaultNights-1)
	for rows.Next() {
		var id string
		var n int
		var lo, hi time.Time
		if err := rows.Scan(&id, &n, &lo, &hi); err != nil {
			t.Fatal(err)
		}
		if n != DefaultNights || !lo.Equal(firstNight) || !hi.Equal(lastNight) {
			t.Errorf("rate plan %s: %d nights from %s to %s, want %d from %s to %s", id, n,
				lo.Format(time.DateOnly), hi.Format(time.DateOnly), DefaultNights,
				firstNight.Format(time.DateOnly), lastNight.Format(time.DateOnly))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestEveryCityPassesTheCatalog(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sum := load(t, b, Opts{Hotels: len(Cities), Today: firstNight, Nights: 1})
	if sum.Hotels != len(Cities) {
		t.Errorf("created %d hotels, want one per city (%d)", sum.Hotels, len(Cities))
	}
}

func TestFirstHotelsSpanManyTimeZones(t *testing.T) {
	t.Parallel()
	zones := map[string]bool{}
	for i := range 20 {
		zones[generateHotel(DefaultSeed, i).fields.TimeZone] = true
	}
	if len(zones) < 10 {
		t.Errorf("the first 20 hotels use %d time zones, want at least 10", len(zones))
	}
}

func TestCities(t *testing.T) {
	t.Parallel()
	if len(Cities) < 200 {
		t.Errorf("%d cities, want at least 200", len(Cities))
	}
	zones := map[string]bool{}
	names := map[string]bool{}
	for _, c := range Cities {
		zones[c.TimeZone] = true
		if names[c.Name] {
			t.Errorf("%s is listed twice", c.Name)
		}
		names[c.Name] = true
		if _, err := time.LoadLocation(c.TimeZone); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
		if !money.Valid(c.Currency) || perUSD[c.Currency] <= 0 {
			t.Errorf("%s: %q is not a currency with an exchange rate", c.Name, c.Currency)
		}
		if len(c.CountryCode) != 2 || strings.ToUpper(c.CountryCode) != c.CountryCode ||
			c.Lat < -90 || c.Lat > 90 || c.Lon < -180 || c.Lon > 180 {
			t.Errorf("%s: country %q at %v,%v", c.Name, c.CountryCode, c.Lat, c.Lon)
		}
		if c.USD < 30 || c.USD > 500 || c.Tier < 1 || c.Tier > 3 || c.TaxBasisPoints < 0 || c.TaxBasisPoints > 3000 || c.Street == "" {
			t.Errorf("%s: %d USD, tier %d, tax %d bps, street %q", c.Name, c.USD, c.Tier, c.TaxBasisPoints, c.Street)
		}
	}
	for _, z := range []string{"Pacific/Kiritimati", "Pacific/Pago_Pago", "Pacific/Auckland", "America/Los_Angeles",
		"America/New_York", "Europe/London", "Europe/Paris", "Asia/Tokyo", "Asia/Kolkata", "Asia/Kathmandu",
		"Australia/Sydney", "America/Sao_Paulo", "Africa/Nairobi", "Australia/Eucla", "Australia/Lord_Howe",
		"Pacific/Chatham", "America/St_Johns", "Atlantic/Azores"} {
		if !zones[z] {
			t.Errorf("no city in %s", z)
		}
	}
}

// The zone and the currency of every city must be known to PostgreSQL too:
// search computes hotel-local dates in SQL and converts prices with the
// exchange_rates table, whose seeded rates the demo prices with.
func TestCitiesAreKnownToPostgres(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	ctx := context.Background()
	pgZones := map[string]bool{}
	rows, err := pool.Query(ctx, `SELECT name FROM pg_timezone_names`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var z string
		if err := rows.Scan(&z); err != nil {
			t.Fatal(err)
		}
		pgZones[z] = true
	}
	rates := map[string]float64{}
	digits := map[string]int{}
	rows, err = pool.Query(ctx, `SELECT currency::text, per_usd::float8, minor_digits FROM exchange_rates`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		var r float64
		var d int
		if err := rows.Scan(&c, &r, &d); err != nil {
			t.Fatal(err)
		}
		rates[c], digits[c] = r, d
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, c := range Cities {
		if !pgZones[c.TimeZone] {
			t.Errorf("%s: PostgreSQL does not know the zone %s", c.Name, c.TimeZone)
		}
		if r, ok := rates[c.Currency]; !ok {
			t.Errorf("%s: no exchange rate for %s", c.Name, c.Currency)
		} else if r != perUSD[c.Currency] || digits[c.Currency] != money.MinorDigits(c.Currency) {
			t.Errorf("%s: exchange_rates has %v %s per USD with %d digits, the demo prices with %v and %d",
				c.Currency, r, c.Currency, digits[c.Currency], perUSD[c.Currency], money.MinorDigits(c.Currency))
		}
	}
}

func TestPricesFollowTheCitysLevel(t *testing.T) {
	t.Parallel()
	usd := func(c City) float64 {
		return float64(c.localPrice()) / perUSD[c.Currency] / math.Pow10(money.MinorDigits(c.Currency))
	}
	for _, c := range Cities {
		if got := usd(c); math.Abs(got-float64(c.USD)) > 0.01*float64(c.USD) {
			t.Errorf("%s: a mid-range night costs %d %s, about %.0f USD, want about %d", c.Name, c.localPrice(), c.Currency, got, c.USD)
		}
	}
	city := func(name string) City {
		k := slices.IndexFunc(Cities, func(c City) bool { return c.Name == name })
		return Cities[k]
	}
	if usd(city("Zurich")) <= 2*usd(city("Hanoi")) {
		t.Errorf("a night in Zurich should cost far more than in Hanoi")
	}
}

func TestSeedPicksTheWorld(t *testing.T) {
	t.Parallel()
	same, differ := 0, 0
	for i := range 50 {
		a, b := generateHotel(DefaultSeed, i), generateHotel(DefaultSeed, i)
		if a.fields.Name != b.fields.Name || a.fields.Location != b.fields.Location {
			t.Fatalf("hotel %d differs between two draws with the same seed", i)
		}
		if c := generateHotel(7, i); c.fields.Name == a.fields.Name && c.fields.StarRating == a.fields.StarRating {
			same++
		} else {
			differ++
		}
		if generateHotel(7, i).city.Name != Cities[i].Name {
			t.Errorf("hotel %d is not in %s with seed 7", i, Cities[i].Name)
		}
	}
	if differ < 40 {
		t.Errorf("seeds 42 and 7 give %d of 50 hotels the same name and stars", same)
	}
	// Beyond one hotel per city, world destinations get more hotels.
	count := map[int]int{}
	for i := len(Cities); i < len(Cities)+7000; i++ {
		count[generateHotel(DefaultSeed, i).city.Tier]++
	}
	perCity := map[int]float64{}
	for tier := 1; tier <= 3; tier++ {
		n := 0
		for _, c := range Cities {
			if c.Tier == tier {
				n++
			}
		}
		perCity[tier] = float64(count[tier]) / float64(n)
	}
	if r := perCity[1] / perCity[3]; r < 3 || r > 5 {
		t.Errorf("a tier-1 city gets %.1f times the hotels of a tier-3 one, want about 4", r)
	}
}

func TestHotelsAreNearTheirCity(t *testing.T) {
	t.Parallel()
	for i := range 2 * len(Cities) {
		h := generateHotel(DefaultSeed, i)
		if km := distanceKM(h.city.Lat, h.city.Lon, h.fields.Location.Lat, h.fields.Location.Lon); km > 5.01 {
			t.Errorf("hotel %d (%s) is %.1f km from the centre of %s", i, h.fields.Name, km, h.city.Name)
		}
	}
}

func TestRatesPaintEveryNightAtItsPrice(t *testing.T) {
	t.Parallel()
	for i := range len(Cities) {
		h := generateHotel(DefaultSeed, i)
		for _, rt := range h.roomTypes {
			flexible, _ := nightlyPrices(h, rt, rt.plans[0], firstNight, DefaultNights)
			for _, rp := range rt.plans {
				prices, weekday := nightlyPrices(h, rt, rp, firstNight, DefaultNights)
				runs := rateRuns(prices, weekday)
				if len(runs) > 70 {
					t.Errorf("%s %s %s: %d SetRates calls for a year", h.fields.Name, rt.fields.Name, rp.fields.Name, len(runs))
				}
				painted := make([]int64, len(prices))
				for k := range painted {
					painted[k] = -1
				}
				for _, r := range runs {
					if r.to < r.from || r.to-r.from+1 > catalog.MaxRateNights {
						t.Fatalf("bad run %+v", r)
					}
					for d := r.from; d <= r.to; d++ {
						painted[d] = r.amount
					}
				}
				if !slices.Equal(painted, prices) {
					t.Fatalf("%s %s %s: runs do not reproduce the prices", h.fields.Name, rt.fields.Name, rp.fields.Name)
				}
				for d, p := range prices {
					night := firstNight.AddDate(0, 0, d)
					if wd := night.Weekday(); (wd == time.Friday || wd == time.Saturday) && p <= weekday[d] {
						t.Errorf("%s: %s night costs %d, no more than on a weekday (%d)", h.fields.Name, wd, p, weekday[d])
					}
					if rp.fields.Name == "Non-refundable" && p >= flexible[d] {
						t.Errorf("%s: non-refundable %d is not cheaper than flexible %d", h.fields.Name, p, flexible[d])
					}
					if p <= 0 || p > 100_000_000_00 {
						t.Errorf("%s: price %d out of range", h.fields.Name, p)
					}
				}
			}
		}
	}
}

func distanceKM(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// BenchmarkLoad60 measures loading the default demo catalog into a fresh
// database: go test -run '^$' -bench Load60 -benchtime 1x ./internal/demo/
func BenchmarkLoad60(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		pool := pgtest.NewDB(b)
		b.StartTimer()
		sum, err := Load(context.Background(), pool, Opts{Today: firstNight})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(sum.RateCalls), "rate-calls")
		b.ReportMetric(float64(sum.Hotels), "hotels")
	}
}

// An interrupted run leaves its last hotels incomplete: one created and
// nothing else, one with room types, plans and some rates but no rooms yet
// for its last room type. The next run completes them.
func TestLoadCompletesWhatAnInterruptedRunLeft(t *testing.T) {
	t.Parallel()
	opts := Opts{Hotels: 4, Today: firstNight, Nights: 30}
	want := setup(t)
	load(t, want, opts)

	b := setup(t)
	load(t, b, Opts{Hotels: 3, Today: firstNight, Nights: 30})
	ctx := context.Background()
	admin := auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"})
	if _, err := b.cat.CreateHotel(admin, generateHotel(DefaultSeed, 3).fields); err != nil {
		t.Fatal(err)
	}
	// Hotel 2 loses the rooms of its last room type and some rates, as if
	// the run stopped while painting its weekends.
	if _, err := b.pool.Exec(ctx, `
		WITH h AS (SELECT id FROM hotels ORDER BY id OFFSET 2 LIMIT 1),
		     rt AS (SELECT id FROM room_types WHERE hotel_id = (SELECT id FROM h) ORDER BY id DESC LIMIT 1)
		DELETE FROM rooms WHERE room_type_id = (SELECT id FROM rt)`); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(ctx, `
		DELETE FROM nightly_rates WHERE night > $1::date + 20 AND rate_plan_id IN
			(SELECT id FROM rate_plans WHERE hotel_id = (SELECT id FROM hotels ORDER BY id OFFSET 2 LIMIT 1))`, firstNight); err != nil {
		t.Fatal(err)
	}
	sum := load(t, b, opts)
	if !sum.Skipped || sum.Completed != 2 || sum.Hotels != 0 || sum.RoomTypes == 0 || sum.Rooms == 0 {
		t.Errorf("second run: %+v, want 2 hotels completed and none created", sum)
	}
	if got, w := catalogDump(t, b.pool), catalogDump(t, want.pool); !slices.Equal(got, w) {
		t.Errorf("completed catalog differs from an uninterrupted load:\n%s\n%s", strings.Join(got, "\n"), strings.Join(w, "\n"))
	}
	if again := load(t, b, opts); again.Completed != 0 || again.RateCalls != 0 {
		t.Errorf("third run: %+v, want nothing to do", again)
	}
}

// By default rates start the night before today's UTC date: the local
// "tonight" of a hotel west of UTC, for part of the day.
func TestRatesStartWithTheEarliestTonight(t *testing.T) {
	o, err := Opts{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	// The earliest local date anywhere is that of UTC-12.
	earliest := time.Now().In(time.FixedZone("UTC-12", -12*3600))
	if first := o.Today.Format(time.DateOnly); first > earliest.Format(time.DateOnly) {
		t.Fatalf("rates start on %s, after the local date %s of hotels at UTC-12", first, earliest.Format(time.DateOnly))
	}
	if o.Today.Hour() != 0 || o.Today.Location() != time.UTC {
		t.Fatalf("first night %v is not a date at UTC midnight", o.Today)
	}
}

// Two loads at once (two dev commands on one cluster, seed run while dev
// starts) leave the catalog one load leaves: they used to create each hotel
// twice, or fail on a room number the other had added.
func TestConcurrentLoadsCreateTheWorldOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for k := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[k] = Load(context.Background(), b.pool, Opts{Hotels: 3, Today: firstNight, Nights: 30})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	var names []string
	if err := b.pool.QueryRow(context.Background(), "SELECT count(*), array_agg(name ORDER BY id) FROM hotels").Scan(&n, &names); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("two concurrent loads of 3 hotels left %d hotels: %q", n, names)
	}
}
