package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/search/postgres"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

func TestEngine(t *testing.T) {
	t.Parallel()
	searchtest.Run(t, func(t *testing.T, pool *pgxpool.Pool) search.Engine { return postgres.NewEngine(pool, postgres.Opts{}) })
}

// The engine reads how many rooms of a room type are in service from a
// count kept with every change of rooms: a night nobody booked yet offers
// exactly the rooms in service, at once after each change.
func TestRoomChangesShowAtOnce(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	c := searchtest.Load(t, pool)
	engine := postgres.NewEngine(pool, postgres.Opts{})
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "test"})
	cat := catalog.NewService(pool)
	double := c.RoomTypes["lumiere/Double"]
	night := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	unitsLeft := func() int {
		t.Helper()
		next := night.AddDate(0, 0, 1)
		q := search.Query{Text: "lumiere", CheckIn: &night, CheckOut: &next, Now: searchtest.Now}
		if err := q.Normalize(); err != nil {
			t.Fatal(err)
		}
		r, err := engine.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range r.Hits {
			for _, rt := range h.RoomTypes {
				if rt.RoomTypeID == double {
					return rt.UnitsLeft
				}
			}
		}
		return 0
	}
	if got := unitsLeft(); got != 2 {
		t.Fatalf("Lumiere has 2 doubles, %d offered", got)
	}
	rooms, err := cat.RoomsOfHotels(admin, []uuid.UUID{c.Hotels["lumiere"]})
	if err != nil {
		t.Fatal(err)
	}
	var room catalog.Room
	for _, r := range rooms[c.Hotels["lumiere"]] {
		if r.RoomTypeID == double {
			room = r
		}
	}
	out, _, err := c.Booking.SetRoomService(admin, cat, room.ID, room.Version, false, "leaking ceiling", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := unitsLeft(); got != 1 {
		t.Fatalf("one double out of service: %d offered, want 1", got)
	}
	if _, err := c.Booking.AddRooms(admin, cat, double, []string{"Double-3", "Double-4"}); err != nil {
		t.Fatal(err)
	}
	if got := unitsLeft(); got != 3 {
		t.Fatalf("two doubles added: %d offered, want 3", got)
	}
	if _, _, err := c.Booking.SetRoomService(admin, cat, room.ID, out.Version, true, "", false); err != nil {
		t.Fatal(err)
	}
	if got := unitsLeft(); got != 4 {
		t.Fatalf("the double back in service: %d offered, want 4", got)
	}
	// Every room type's count matches its rooms.
	var n int
	if err := pool.QueryRow(context.Background(),
		`SELECT count(*) FROM room_types rt WHERE rooms_in_service <> (SELECT count(*) FROM rooms r WHERE r.room_type_id = rt.id AND r.in_service)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("room types whose count differs from their rooms: %d (%v)", n, err)
	}
}

// The search statement runs with generic plans (it is written for them, and
// planning it per search costs more than running it); the setting stays
// with the search: the connection's next statements are planned as before.
func TestSearchUsesGenericPlansAndLeavesTheSession(t *testing.T) {
	t.Parallel()
	shared := pgtest.NewDB(t)
	searchtest.Load(t, shared)
	cfg := shared.Config().Copy()
	cfg.MaxConns = 1 // every statement below runs on the same session
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx := context.Background()
	engine := postgres.NewEngine(pool, postgres.Opts{})
	night := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	next := night.AddDate(0, 0, 1)
	for range 3 {
		q := search.Query{CheckIn: &night, CheckOut: &next, Now: searchtest.Now}
		if err := q.Normalize(); err != nil {
			t.Fatal(err)
		}
		if _, err := engine.Search(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var mode string
	var generic, custom int64
	err = pool.QueryRow(ctx, `SELECT current_setting('plan_cache_mode'),
		(SELECT generic_plans FROM pg_prepared_statements WHERE statement = $1),
		(SELECT custom_plans FROM pg_prepared_statements WHERE statement = $1)`, postgres.SQL(search.Query{})).Scan(&mode, &generic, &custom)
	if err != nil {
		t.Fatal(err)
	}
	if mode != "auto" {
		t.Errorf("plan_cache_mode after searches = %q, want the default auto", mode)
	}
	if generic != 3 || custom != 0 {
		t.Errorf("the search statement ran with %d generic and %d custom plans, want 3 and 0", generic, custom)
	}
}

// At most MaxConcurrent searches run on PostgreSQL at once; the others wait
// their turn in the process, and one whose caller gives up while waiting
// leaves at once.
func TestMaxConcurrentSearches(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	searchtest.Load(t, pool)
	ctx := context.Background()
	engine := postgres.NewEngine(pool, postgres.Opts{MaxConcurrent: 2})
	night := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	next := night.AddDate(0, 0, 1)
	q := search.Query{CheckIn: &night, CheckOut: &next, Now: searchtest.Now}
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	// A transaction holding the hotels table makes every search that reaches
	// PostgreSQL wait there.
	lock, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx) //nolint:errcheck
	if _, err := lock.Exec(ctx, "LOCK TABLE hotels IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	const searches = 5
	done := make(chan error, searches)
	for range searches {
		go func() {
			_, err := engine.Search(ctx, q)
			done <- err
		}()
	}
	onServer := func() int {
		t.Helper()
		var n int
		// the server keeps the first 1 kB of a query's text
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'
			AND starts_with(query, left($1, 200))`, postgres.SQL(q)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for onServer() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // room for a third to arrive, were it let through
	if n := onServer(); n != 2 {
		t.Fatalf("%d searches on the server at once, want 2", n)
	}
	// a caller that gives up while waiting for a turn is answered at once
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if _, err := engine.Search(short, q); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("search that gave up waiting: %v, want a deadline error", err)
	}
	if waited := time.Since(t0); waited > time.Second {
		t.Fatalf("the search that gave up returned after %s", waited)
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for range searches {
		if err := <-done; err != nil {
			t.Fatalf("a waiting search failed: %v", err)
		}
	}
}

// Inventory and nightly rates carry their hotel's id (rates also their room
// type's) for search's range scans; foreign keys over the copied columns
// keep them true.
func TestStayRowsNameTheirHotel(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	c := searchtest.Load(t, pool)
	ctx := context.Background()
	double, lumiere, london := c.RoomTypes["lumiere/Double"], c.Hotels["lumiere"], c.Hotels["london"]
	night := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	refused := func(what, sql string, args ...any) {
		t.Helper()
		var pgErr *pgconn.PgError
		if _, err := pool.Exec(ctx, sql, args...); !errors.As(err, &pgErr) || pgErr.Code != "23503" {
			t.Errorf("%s: %v, want a foreign-key violation", what, err)
		}
	}
	refused("inventory of another hotel's room type",
		"INSERT INTO inventory (room_type_id, hotel_id, night, capacity) VALUES ($1, $2, $3, 1)", double, london, night.AddDate(2, 0, 0)) // past the nights addRooms gave rows
	refused("a rate plan of another hotel's room type",
		`INSERT INTO rate_plans (id, hotel_id, room_type_id, name) VALUES (gen_random_uuid(), $1, $2, 'Elsewhere')`, london, double)
	refused("a rate of another room type",
		`INSERT INTO nightly_rates (rate_plan_id, room_type_id, hotel_id, night, amount)
		 VALUES ($1, $2, $3, $4, 100)`, c.RatePlans["lumiere/Double"], c.RoomTypes["lumiere/Family"], lumiere, night.AddDate(0, 3, 0))
	// the rows written by the services are right, and their room type
	// cannot move to another hotel under them
	c.Hold(t, "lumiere/Double", 1, night, night.AddDate(0, 0, 1))
	var wrong int
	if err := pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM inventory i JOIN room_types rt ON rt.id = i.room_type_id WHERE i.hotel_id <> rt.hotel_id) +
		(SELECT count(*) FROM nightly_rates nr JOIN rate_plans rp ON rp.id = nr.rate_plan_id
		 WHERE nr.hotel_id <> rp.hotel_id OR nr.room_type_id <> rp.room_type_id)`).Scan(&wrong); err != nil || wrong != 0 {
		t.Fatalf("%d rows name another hotel or room type (%v)", wrong, err)
	}
	refused("moving a room type with inventory", "UPDATE room_types SET hotel_id = $1 WHERE id = $2", london, double)
}

// Free text matches without its accents, either way, as Elasticsearch's
// folding analyzer does: "lodz" is Łódź first (trigram similarity also
// finds the lodges after it), "ha noi" is Hà Nội, "hôtel" is a hotel.
func TestTextMatchesWithoutAccents(t *testing.T) {
	t.Parallel()
	engine := textCatalog(t, textHotel{"Manufaktura Rooms", "Łódź", "PL", "Europe/Warsaw"},
		textHotel{"Old Quarter Rooms", "Hà Nội", "VN", "Asia/Ho_Chi_Minh"})
	for text, want := range map[string]struct {
		first string
		only  bool // no other hit
	}{
		"lodz":          {"Manufaktura Rooms", false},
		"Łódź":          {"Manufaktura Rooms", false},
		"ha noi":        {"Old Quarter Rooms", true},
		"hôtel lumière": {"Hotel Lumiere", true},
	} {
		got := hotelsFound(t, engine, text)
		if len(got) == 0 || got[0] != want.first || want.only && len(got) != 1 {
			t.Errorf("%q found %q, want %q first (only: %v)", text, got, want.first, want.only)
		}
	}
}

// textHotel is a hotel a free-text test adds to the suite's catalog.
type textHotel struct{ name, city, country, zone string }

// textCatalog is the PostgreSQL engine over the shared suite's catalog and
// hotels.
func textCatalog(t *testing.T, hotels ...textHotel) search.Engine {
	t.Helper()
	pool := pgtest.NewDB(t)
	searchtest.Load(t, pool)
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "test"})
	cat := catalog.NewService(pool)
	for _, h := range hotels {
		if _, err := cat.CreateHotel(admin, catalog.HotelFields{Name: h.name, TimeZone: h.zone, Location: catalog.GeoPoint{Lat: 20, Lon: 20},
			Address: catalog.Address{Line1: "1 Main Street", City: h.city, CountryCode: h.country}, Currency: "EUR", StarRating: 3,
			CheckInTime: catalog.DefaultCheckIn, CheckOutTime: catalog.DefaultCheckOut}); err != nil {
			t.Fatal(err)
		}
	}
	return postgres.NewEngine(pool, postgres.Opts{})
}

// hotelsFound are the names of the hotels a search for text finds, in
// their order.
func hotelsFound(t *testing.T, engine search.Engine, text string) []string {
	t.Helper()
	q := search.Query{Text: text, Now: searchtest.Now}
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	r, err := engine.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range r.Hits {
		got = append(got, h.HotelName)
	}
	return got
}
