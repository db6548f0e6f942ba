package postgres_test

// Statements whose cost must grow with what they answer, not with tables
// that grow with time (maintenance blocks, notifications, River's jobs).
// Each test loads a modest volume, then reads the buffers the real
// statement touches (EXPLAIN ANALYZE BUFFERS, the statement's text taken
// from the generated or embedded source) and bounds them.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// statement returns a sqlc statement's text from the generated file.
func statement(t *testing.T, file, constName string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)const " + constName + " = `(.*?)`").FindSubmatch(src)
	if m == nil {
		t.Fatalf("no const %s in %s", constName, file)
	}
	return string(m[1])
}

// buffersOf runs EXPLAIN (ANALYZE, BUFFERS) of sql on conn and returns the
// shared buffers it hit or read, nested function calls included.
func buffersOf(t *testing.T, ctx context.Context, conn *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var raw []byte
	if err := conn.QueryRow(ctx, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "+sql, args...).Scan(&raw); err != nil {
		t.Fatalf("explain: %v", err)
	}
	var plans []struct {
		Plan map[string]any `json:"Plan"`
	}
	if err := json.Unmarshal(raw, &plans); err != nil {
		t.Fatal(err)
	}
	hit, _ := plans[0].Plan["Shared Hit Blocks"].(float64)
	read, _ := plans[0].Plan["Shared Read Blocks"].(float64)
	return int(hit + read)
}

// sessionOf holds one connection of pool for the test: what a statement
// reads depends on the session's settings and prepared statements.
func sessionOf(t *testing.T, ctx context.Context, pool *pgxpool.Pool) *pgx.Conn {
	t.Helper()
	c, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Release)
	return c.Conn()
}

// countRows runs sql and counts the rows it returns.
func countRows(t *testing.T, ctx context.Context, conn *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if rows.Close(); rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	return n
}

func execSQL(t *testing.T, ctx context.Context, pool *pgxpool.Pool, sql string) {
	t.Helper()
	if _, err := pool.Exec(ctx, sql); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
}

// seedHotels writes n hotels with one room type of 10 rooms each:
// hotel i is md5('h'||i), its room type md5('rt'||i), room k md5('r'||i||'_'||k).
func seedHotels(t *testing.T, ctx context.Context, pool *pgxpool.Pool, n int) {
	execSQL(t, ctx, pool, fmt.Sprintf(`
SET session_replication_role = replica;
INSERT INTO hotels (id, name, time_zone, latitude, longitude, address_line1, city, country_code, star_rating, currency)
SELECT md5('h'||g)::uuid, 'Hotel '||g, 'Europe/Paris', 48, 2, 'Street', 'Paris', 'FR', 3, 'EUR' FROM generate_series(1, %d) g;
INSERT INTO room_types (id, hotel_id, name, max_adults, max_occupancy, rooms_in_service)
SELECT md5('rt'||g)::uuid, md5('h'||g)::uuid, 'Double', 2, 2, 10 FROM generate_series(1, %d) g;
INSERT INTO rooms (id, hotel_id, room_type_id, number)
SELECT md5('r'||g||'_'||k)::uuid, md5('h'||g)::uuid, md5('rt'||g)::uuid, k::text FROM generate_series(1, %d) g, generate_series(1, 10) k;
INSERT INTO rate_plans (id, hotel_id, room_type_id, name)
SELECT md5('rp'||g)::uuid, md5('h'||g)::uuid, md5('rt'||g)::uuid, 'Standard' FROM generate_series(1, %d) g;
RESET session_replication_role;`, n, n, n, n))
}

// A room type's capacity on a night (room_type_capacity, behind quotes for
// nights without an inventory row, every hold's EnsureInventory, and
// setRoomService/blockRooms/endMaintenance's OversoldNights and
// RefreshCapacity over ~560 nights) must not read every maintenance block
// of every hotel ever recorded: maintenance_blocks has no index on room_id,
// so each call scans the table. 2,000 hotels x 60 blocks (3 years): a quote
// of 7 nights x 2 room types 380-720 ms, OversoldNights 5.3 s.
func TestRoomTypeCapacityReadsOnlyTheRoomsBlocks(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	seedHotels(t, ctx, pool, 200)
	// 40,000 blocks over three years at the other hotels; 400 nights of
	// inventory for hotel 1's room type.
	execSQL(t, ctx, pool, `
SET session_replication_role = replica;
INSERT INTO maintenance_blocks (id, hotel_id, room_id, room_type_id, start_night, end_night, reason, created_by)
SELECT md5('mb'||g||'_'||k)::uuid, md5('h'||g)::uuid, md5('r'||g||'_'||(1 + k % 10))::uuid, md5('rt'||g)::uuid,
       current_date - 1000 + k * 5, current_date - 1000 + k * 5 + 2, 'repair', 'STAFF:t'
FROM generate_series(2, 200) g, generate_series(1, 200) k;
INSERT INTO inventory (room_type_id, night, capacity, reserved, hotel_id)
SELECT md5('rt1')::uuid, d::date, 10, 3, md5('h1')::uuid FROM generate_series(current_date, current_date + 399, interval '1 day') d;
RESET session_replication_role;
ANALYZE maintenance_blocks; ANALYZE inventory; ANALYZE rooms;`)
	conn := sessionOf(t, ctx, pool)
	sql := statement(t, "db/inventory.sql.go", "oversoldNights")
	got := buffersOf(t, ctx, conn, sql, "00000000-0000-0000-0000-000000000000", "2000-01-01") // warm up
	got = buffersOf(t, ctx, conn, sql, mustUUID(t, ctx, pool, "SELECT md5('rt1')::uuid"), mustDate(t, ctx, pool))
	// 400 nights x 10 rooms: an index probe per room and night is ~12,000
	// buffers; a scan of the 40,000 blocks per night is ~280,000.
	if limit := 400 * 60; got > limit {
		t.Errorf("OversoldNights over 400 nights of one room type read %d buffers (limit %d): room_type_capacity scans maintenance_blocks once per night", got, limit)
	}
}

// seedBusyRoomTypeStays writes 200 hotels (seedHotels) and their stays:
// hotel 1's room type has 20,000 stays over the last two years, checked
// out, and 5 confirmed ones from next week; the 199 others 30,000
// confirmed stays to come (across a catalog, live bookings are many too).
// Every party is 2 adults.
func seedBusyRoomTypeStays(t *testing.T, ctx context.Context, pool *pgxpool.Pool) {
	seedHotels(t, ctx, pool, 200)
	execSQL(t, ctx, pool, `
SET session_replication_role = replica;
INSERT INTO bookings (id, reference, hotel_id, status, check_in, check_out, check_in_at, currency, room_amount, tax_amount,
                      total_amount, deposit_due, owner, hold_expires_at)
SELECT md5('b'||g)::uuid, 'R'||g, md5('h'||h)::uuid, CASE WHEN g <= 20000 THEN 'CHECKED_OUT' ELSE 'CONFIRMED' END,
       CASE WHEN g <= 20000 THEN current_date - 730 + g / 30 ELSE current_date + 7 + g % 300 END,
       CASE WHEN g <= 20000 THEN current_date - 729 + g / 30 ELSE current_date + 9 + g % 300 END,
       now(), 'EUR', 100, 0, 100, 0, 'guest:'||g, now()
FROM generate_series(1, 50005) g, LATERAL (SELECT CASE WHEN g <= 20005 THEN 1 ELSE 2 + g % 199 END AS h) x;
UPDATE bookings SET check_in = current_date + 7, check_out = current_date + 9 WHERE reference IN ('R20001', 'R20002', 'R20003', 'R20004', 'R20005');
INSERT INTO booking_rooms (booking_id, position, rate_plan_id, room_type_id, adults, nightly, amount, tax_amount, cancellation_policy)
SELECT md5('b'||g)::uuid, 0, md5('rp'||h)::uuid, md5('rt'||h)::uuid, 2, '{100}', 100, 0, '{}'
FROM generate_series(1, 50005) g, LATERAL (SELECT CASE WHEN g <= 20005 THEN 1 ELSE 2 + g % 199 END AS h) x;
RESET session_replication_role;
ANALYZE bookings; ANALYZE booking_rooms;`)
}

func mustUUID(t *testing.T, ctx context.Context, pool *pgxpool.Pool, sql string) string {
	var s string
	if err := pool.QueryRow(ctx, sql+"::text").Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func mustDate(t *testing.T, ctx context.Context, pool *pgxpool.Pool) string {
	var s string
	if err := pool.QueryRow(ctx, "SELECT current_date::text").Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// A hotel's maintenance blocks (Hotel.maintenanceBlocks) and a room's
// (OverlappingMaintenanceBlocks, every blockRooms) must be read from an
// index, not from a scan of every hotel's blocks ever recorded (120,000
// blocks: 160 and 65 ms).
func TestMaintenanceListsReadOnlyTheirBlocks(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	seedHotels(t, ctx, pool, 200)
	execSQL(t, ctx, pool, `
SET session_replication_role = replica;
INSERT INTO maintenance_blocks (id, hotel_id, room_id, room_type_id, start_night, end_night, reason, created_by)
SELECT md5('mb'||g||'_'||k)::uuid, md5('h'||g)::uuid, md5('r'||g||'_'||(1 + k % 10))::uuid, md5('rt'||g)::uuid,
       current_date - 1000 + k * 5, current_date - 1000 + k * 5 + 2, 'repair', 'STAFF:t'
FROM generate_series(1, 200) g, generate_series(1, 200) k;
RESET session_replication_role;
ANALYZE maintenance_blocks;`)
	conn := sessionOf(t, ctx, pool)
	hotel, room, today := mustUUID(t, ctx, pool, "SELECT md5('h1')::uuid"), mustUUID(t, ctx, pool, "SELECT md5('r1_1')::uuid"), mustDate(t, ctx, pool)
	// the table is ~400 pages: a scan reads them all, an index a few
	if got := buffersOf(t, ctx, conn, statement(t, "db/maintenance.sql.go", "listMaintenanceBlocks"), []string{hotel}, []string{today}); got > 40 {
		t.Errorf("a hotel's blocks from today read %d buffers (limit 40)", got)
	}
	if got := buffersOf(t, ctx, conn, statement(t, "db/maintenance.sql.go", "overlappingMaintenanceBlocks"),
		[]string{room}, today, today); got > 40 {
		t.Errorf("a room's blocks over a week read %d buffers (limit 40)", got)
	}
}

// The bookings to relocate when a room change or block oversells a night
// (BookingsHoldingNights, under the room type's inventory locks) must be
// read from the hotel's live stays, not from every room its room type ever
// sold: a checked-out stay's room still counts its unit (1.4 s on a room
// type with 8,600 booked rooms).
func TestBookingsHoldingNightsReadsOnlyLiveStays(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	seedBusyRoomTypeStays(t, ctx, pool)
	conn := sessionOf(t, ctx, pool)
	sql := statement(t, "db/bookings.sql.go", "bookingsHoldingNights")
	roomType := mustUUID(t, ctx, pool, "SELECT md5('rt1')::uuid")
	if n := countRows(t, ctx, conn, sql, roomType, mustDate(t, ctx, pool), "2100-01-01"); n != 5 {
		t.Fatalf("%d bookings to relocate, want the 5 confirmed", n)
	}
	if got := buffersOf(t, ctx, conn, sql, roomType, mustDate(t, ctx, pool), "2100-01-01"); got > 100 {
		t.Errorf("the 5 live stays of a room type that sold 20,000 read %d buffers (limit 100)", got)
	}
}

// Hotel.undeliveredNotifications (internal/notify/sql/given_up.sql) must
// read the hotel's undelivered notifications, not every hotel's, with the
// plan a prepared statement starts with and the generic one PostgreSQL may
// settle on after five executions. Through an index without the hotel, the
// first walked every hotel's DEAD and PENDING notifications and the generic
// one re-read that index once per booking the hotel ever had: on 2M
// bookings and 20,614 undelivered, a quiet hotel 0.6-4 s, the busiest 70 s.
func TestUndeliveredNotificationsReadOnlyTheHotels(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	seedHotels(t, ctx, pool, 2)
	// Hotel 1: 1,000 bookings, 3 of their notifications DEAD. Hotel 2:
	// 60,000 bookings, a tenth of their notifications DEAD (12,000). Two
	// notifications a booking, the others SENT.
	execSQL(t, ctx, pool, `
SET session_replication_role = replica;
INSERT INTO bookings (id, reference, hotel_id, status, check_in, check_out, check_in_at, currency, room_amount, tax_amount,
                      total_amount, deposit_due, owner, hold_expires_at)
SELECT md5('b'||g)::uuid, 'R'||g, md5('h'||(CASE WHEN g <= 1000 THEN 1 ELSE 2 END))::uuid, 'CHECKED_OUT',
       current_date - 700 + g / 100, current_date - 699 + g / 100, now(), 'EUR', 100, 0, 100, 0, 'guest:'||g, now()
FROM generate_series(1, 61000) g;
INSERT INTO notifications (id, booking_id, hotel_id, kind, channels, channel, status, sent_at, created_at, updated_at)
SELECT md5('n'||g||'_'||k)::uuid, md5('b'||g)::uuid, md5('h'||(CASE WHEN g <= 1000 THEN 1 ELSE 2 END))::uuid,
       CASE k WHEN 1 THEN 'HELD' ELSE 'CONFIRMED' END, '{email}', 'email', s.st,
       CASE WHEN s.st = 'SENT' THEN now() END, now() - (61000 - g) * interval '1 minute', now() - (61000 - g) * interval '1 minute'
FROM generate_series(1, 61000) g CROSS JOIN generate_series(1, 2) k
CROSS JOIN LATERAL (SELECT CASE WHEN (g <= 1000 AND k = 2 AND g % 300 = 0) OR (g > 1000 AND k = 2 AND g % 5 = 0)
                                THEN 'DEAD' ELSE 'SENT' END AS st) s;
RESET session_replication_role;
ANALYZE bookings; ANALYZE notifications;`)
	src, err := os.ReadFile("../notify/sql/given_up.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn := sessionOf(t, ctx, pool)
	c := conn
	if _, err := c.Exec(ctx, "PREPARE given_up(uuid, int) AS "+string(src)); err != nil {
		t.Fatal(err)
	}
	hotel := mustUUID(t, ctx, pool, "SELECT md5('h1')::uuid")
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		if _, err := c.Exec(ctx, "SET plan_cache_mode = "+mode); err != nil {
			t.Fatal(err)
		}
		if listed := countRows(t, ctx, c, fmt.Sprintf("EXECUTE given_up('%s', 21)", hotel)); listed != 3 {
			t.Fatalf("%s: %d undelivered notifications listed, want the hotel's 3", mode, listed)
		}
		// its 3 entries of an index by hotel and their rows: a few dozen
		if got, limit := buffersOf(t, ctx, c, fmt.Sprintf("EXECUTE given_up('%s', 21)", hotel)), 50; got > limit {
			t.Errorf("%s: a hotel with 1,000 bookings and 3 undelivered notifications read %d buffers (limit %d) to list them", mode, got, limit)
		}
	}
}

// PartiesBeyondRoomType (updateRoomType lowering maxAdults/maxChildren/
// maxOccupancy, run with the room type locked FOR UPDATE so that every hold
// of it waits) must read the room type's live stays, not every room it ever
// sold: booking_rooms_type_idx is WHERE holds_inventory, and a checked-out
// stay's room keeps holds_inventory (it still counts its unit), so the
// index range grows with the room type's whole history.
func TestPartiesBeyondRoomTypeReadsOnlyLiveStays(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	seedBusyRoomTypeStays(t, ctx, pool)
	conn := sessionOf(t, ctx, pool)
	sql := statement(t, "db/room_types.sql.go", "partiesBeyondRoomType")
	roomType, hotel := mustUUID(t, ctx, pool, "SELECT md5('rt1')::uuid"), mustUUID(t, ctx, pool, "SELECT md5('h1')::uuid")
	today := time.Now().UTC().Truncate(24 * time.Hour)
	// maxAdults lowered from 2 to 1: the 5 confirmed parties of 2 are beyond it
	if n := countRows(t, ctx, conn, sql, hotel, today, roomType, 1, 0, 1); n != 5 {
		t.Fatalf("%d parties beyond the limits, want the 5 confirmed", n)
	}
	if got := buffersOf(t, ctx, conn, sql, hotel, today, roomType, 1, 0, 1); got > 100 {
		t.Errorf("the 5 live stays of a room type that sold 20,000 read %d buffers (limit 100): PartiesBeyondRoomType walks every room the room type ever sold", got)
	}
}

// The staygraph_jobs gauge (internal/metrics/queries/jobs_by_state.sql,
// every 15 s per API process) must read the jobs that are not completed,
// not River's whole table: completed jobs are kept a day, one per delivery,
// refund, hold expiry and partner post, and are nearly all of it. Joined to
// unnest(enum_range(...)), the planner cannot see that 'completed' is left
// out: it estimates the average state's share of the table per state and
// scans the table (1,000,000 jobs, 2,000 not completed: a parallel seq scan
// of 23,800 buffers, ~100 ms; the same states as a constant list: one range
// of the state-led index, 9 ms).
func TestJobsGaugeReadsOnlyUnfinishedJobs(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	execSQL(t, ctx, pool, `
INSERT INTO river_job (state, attempt, attempted_at, created_at, finalized_at, scheduled_at, args, kind, queue)
SELECT CASE WHEN g % 1000 = 0 THEN 'scheduled'::river_job_state WHEN g % 997 = 0 THEN 'discarded' ELSE 'completed' END,
       1, now(), now(), CASE WHEN g % 1000 = 0 THEN NULL ELSE now() END, now() + CASE WHEN g % 1000 = 0 THEN interval '2 days' ELSE interval '0' END,
       jsonb_build_object('id', g), CASE g % 3 WHEN 0 THEN 'notify.deliver' WHEN 1 THEN 'booking.expire_hold' ELSE 'partnerfeed.deliver' END, 'default'
FROM generate_series(1, 300000) g;
ANALYZE river_job;`)
	src, err := os.ReadFile("../metrics/queries/jobs_by_state.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn := sessionOf(t, ctx, pool)
	if _, err := conn.Exec(ctx, "SET jit = off"); err != nil {
		t.Fatal(err)
	}
	// ~600 jobs not completed: their index entries and rows are a few
	// hundred buffers; the table is ~7,000.
	if got, limit := buffersOf(t, ctx, conn, string(src)), 1500; got > limit {
		t.Errorf("the jobs gauge read %d buffers (limit %d) to count 600 jobs among 300,000: it scans river_job", got, limit)
	}
	// It lists every state but completed: one River adds is counted too.
	var missing []string
	if err := pool.QueryRow(ctx, `SELECT coalesce(array_agg(s::text), '{}') FROM unnest(enum_range(NULL::river_job_state)) s
		WHERE s <> 'completed' AND strpos($1, '''' || s::text || '''') = 0`, string(src)).Scan(&missing); err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("the jobs gauge leaves out the states %q", missing)
	}
}

// PartiesBeyondRoomType counts the rooms of the room type's live stays
// that hold their units, and those of stays flagged for relocation, which
// will claim theirs back; not a room given up otherwise, a stay over at the
// hotel's today (check-out on it) or one no longer live.
func TestPartiesBeyondRoomTypeCountsLiveAndRelocatedStays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	seedHotels(t, ctx, pool, 2)
	execSQL(t, ctx, pool, `
SET session_replication_role = replica;
INSERT INTO bookings (id, reference, hotel_id, status, check_in, check_out, check_in_at, currency, room_amount, tax_amount,
                      total_amount, deposit_due, owner, hold_expires_at, relocation_required)
SELECT md5('b'||r)::uuid, r, md5('h'||CASE WHEN r = 'OTHER-HOTEL' THEN 2 ELSE 1 END)::uuid, s, ci, co, now(), 'EUR', 100, 0, 100, 0, 'guest:'||r, now(), reloc
FROM (VALUES ('LIVE', 'CONFIRMED', '2027-03-10'::date, '2027-03-12'::date, false),
             ('RELOCATED', 'CONFIRMED', '2027-03-10', '2027-03-12', true),
             ('GIVEN-UP', 'CONFIRMED', '2027-03-10', '2027-03-12', false),
             ('OVER', 'CHECKED_IN', '2027-02-27', '2027-03-01', false),
             ('CANCELLED', 'CANCELLED', '2027-03-10', '2027-03-12', false),
             ('OTHER-HOTEL', 'CONFIRMED', '2027-03-10', '2027-03-12', false)) v(r, s, ci, co, reloc);
INSERT INTO booking_rooms (booking_id, position, rate_plan_id, room_type_id, adults, nightly, amount, tax_amount, cancellation_policy, holds_inventory)
SELECT md5('b'||r)::uuid, 0, md5('rp1')::uuid, md5('rt1')::uuid, 2, '{100}', 100, 0, '{}', r NOT IN ('RELOCATED', 'GIVEN-UP')
FROM unnest(ARRAY['LIVE', 'RELOCATED', 'GIVEN-UP', 'OVER', 'CANCELLED', 'OTHER-HOTEL']) r;
RESET session_replication_role;`)
	rows, err := pool.Query(ctx, statement(t, "db/room_types.sql.go", "partiesBeyondRoomType"),
		mustUUID(t, ctx, pool, "SELECT md5('h1')::uuid"), "2027-03-01", mustUUID(t, ctx, pool, "SELECT md5('rt1')::uuid"), 1, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var checkIn time.Time
		var ref string
		var adults, children int32
		if err := rows.Scan(&checkIn, &ref, &adults, &children); err != nil {
			t.Fatal(err)
		}
		got = append(got, ref)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "LIVE,RELOCATED" {
		t.Errorf("parties of 2 beyond a single: %q, want LIVE and RELOCATED", got)
	}
}

// The front desk's lists (Hotel.arrivals, Hotel.inHouse) read the day's
// arrivals and the stays in progress, not every booking the hotel ever
// had: 20,000 stays over two years, 5 arriving today, 3 in the house.
func TestFrontDeskListsReadOnlyTheirBookings(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	seedHotels(t, ctx, pool, 2)
	execSQL(t, ctx, pool, `
SET session_replication_role = replica;
INSERT INTO bookings (id, reference, hotel_id, status, check_in, check_out, check_in_at, currency, room_amount, tax_amount,
                      total_amount, deposit_due, owner, hold_expires_at)
SELECT md5('b'||g)::uuid, 'R'||g, md5('h1')::uuid,
       CASE WHEN g <= 20000 THEN 'CHECKED_OUT' WHEN g <= 20005 THEN 'CONFIRMED' ELSE 'CHECKED_IN' END,
       CASE WHEN g <= 20000 THEN current_date - 730 + g / 30 WHEN g <= 20005 THEN current_date ELSE current_date - 1 END,
       CASE WHEN g <= 20000 THEN current_date - 729 + g / 30 ELSE current_date + 2 END,
       now(), 'EUR', 100, 0, 100, 0, 'guest:'||g, now()
FROM generate_series(1, 20008) g;
RESET session_replication_role;
ANALYZE bookings;`)
	conn := sessionOf(t, ctx, pool)
	hotel := mustUUID(t, ctx, pool, "SELECT md5('h1')::uuid")
	for _, c := range []struct {
		name, constName string
		args            []any
		rows            int
	}{
		{"arrivals", "listArrivals", []any{hotel, time.Now().UTC().Format(time.DateOnly), nil, 21}, 5},
		{"in the house", "listInHouse", []any{hotel, nil, 21}, 3},
	} {
		sql := statement(t, "db/bookings.sql.go", c.constName)
		if n := countRows(t, ctx, conn, sql, c.args...); n != c.rows {
			t.Fatalf("%s: %d rows, want %d", c.name, n, c.rows)
		}
		if got := buffersOf(t, ctx, conn, sql, c.args...); got > 60 {
			t.Errorf("%s: %d rows read %d buffers (limit 60): the hotel's 20,000 stays are walked", c.name, c.rows, got)
		}
	}
}

// Hotel.inHouse reads the guests in the house, not every booking the hotel
// ever had: without bookings_in_house_idx the planner took
// bookings_hotel_id_idx and filtered the hotel's whole history whenever the
// guests in the house were a couple of per cent of the table. Hotel 1:
// 20,000 stays over the last two years, checked out, 2,000 confirmed stays
// over the next 300 nights, 3 guests in the house; the chain's 199 other
// hotels: 30,000 checked-out stays and 1,000 guests in their houses.
func TestInHouseReadsOnlyTheGuestsInTheHouse(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	seedHotels(t, ctx, pool, 200)
	execSQL(t, ctx, pool, `
SET session_replication_role = replica;
INSERT INTO bookings (id, reference, hotel_id, status, check_in, check_out, check_in_at, currency, room_amount, tax_amount,
                      total_amount, deposit_due, owner, hold_expires_at)
SELECT md5('b'||g)::uuid, 'R'||g, md5('h1')::uuid,
       CASE WHEN g <= 20000 THEN 'CHECKED_OUT' WHEN g <= 22000 THEN 'CONFIRMED' ELSE 'CHECKED_IN' END,
       CASE WHEN g <= 20000 THEN current_date - 730 + g / 30 WHEN g <= 22000 THEN current_date + 1 + g % 300 ELSE current_date - 1 END,
       CASE WHEN g <= 20000 THEN current_date - 729 + g / 30 WHEN g <= 22000 THEN current_date + 3 + g % 300 ELSE current_date + 2 END,
       now(), 'EUR', 100, 0, 100, 0, 'guest:'||g, now()
FROM generate_series(1, 22003) g;
INSERT INTO bookings (id, reference, hotel_id, status, check_in, check_out, check_in_at, currency, room_amount, tax_amount,
                      total_amount, deposit_due, owner, hold_expires_at)
SELECT md5('c'||g)::uuid, 'C'||g, md5('h'||(2 + g % 199))::uuid,
       CASE WHEN g <= 30000 THEN 'CHECKED_OUT' ELSE 'CHECKED_IN' END,
       CASE WHEN g <= 30000 THEN current_date - 730 + g / 50 ELSE current_date - 1 END,
       CASE WHEN g <= 30000 THEN current_date - 729 + g / 50 ELSE current_date + 2 END,
       now(), 'EUR', 100, 0, 100, 0, 'guest:c'||g, now()
FROM generate_series(1, 31000) g;
RESET session_replication_role;
ANALYZE bookings;`)
	conn := sessionOf(t, ctx, pool)
	hotel := mustUUID(t, ctx, pool, "SELECT md5('h1')::uuid")
	sql := statement(t, "db/bookings.sql.go", "listInHouse")
	if n := countRows(t, ctx, conn, sql, hotel, nil, 21); n != 3 {
		t.Fatalf("in the house: %d rows, want 3", n)
	}
	// as a prepared statement starts, and with the generic plan PostgreSQL
	// may settle on after five executions
	for _, mode := range []string{"auto", "force_generic_plan"} {
		if _, err := conn.Exec(ctx, "SET plan_cache_mode = "+mode); err != nil {
			t.Fatal(err)
		}
		if got := buffersOf(t, ctx, conn, sql, hotel, nil, 21); got > 60 {
			t.Errorf("in the house (plan_cache_mode %s): 3 rows read %d buffers (limit 60): the hotel's bookings are walked\n%s", mode, got, planText(t, ctx, conn, sql, hotel, nil, 21))
		}
	}
}

func planText(t *testing.T, ctx context.Context, conn *pgx.Conn, sql string, args ...any) string {
	rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) "+sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := ""
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		out += l + "\n"
	}
	return out
}
