package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/booking"
)

// pastOpts books 10 past stays at each of 3 hotels within the 30 nights
// before firstNight.
var pastOpts = Opts{Hotels: 3, Today: firstNight, Nights: 14, PastBookings: 10, PastDays: 30}

func TestPastBookingsKeepTheBookingCoreConsistent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var stages []Stage
	sum := load(t, b, Opts{Hotels: pastOpts.Hotels, Today: pastOpts.Today, Nights: pastOpts.Nights,
		PastBookings: pastOpts.PastBookings, PastDays: pastOpts.PastDays,
		Progress: func(stage Stage, done, total int) {
			if done == 0 {
				stages = append(stages, stage)
			}
		}})
	if !slices.Equal(stages, []Stage{StageHotels, StagePastBookings}) {
		t.Errorf("progress stages %v", stages)
	}
	p := sum.Past
	if p.Hotels != 3 || p.Bookings()+p.SoldOut != 30 || p.CheckedOut < 15 || p.Bookings() < 25 {
		t.Fatalf("past stays: %+v", p)
	}
	ctx := context.Background()
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := b.pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	statuses := map[string]int{}
	rows, err := b.pool.Query(ctx, `SELECT status, count(*) FROM bookings GROUP BY status`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		statuses[s] = n
	}
	want := map[string]int{"CHECKED_OUT": p.CheckedOut, "CANCELLED": p.Cancelled, "EXPIRED": p.Expired}
	for s, n := range want {
		if n == 0 {
			delete(want, s)
		}
	}
	if fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("bookings by status %v, want %v", statuses, want)
	}

	// Every stay is over, on nights that have rates.
	if n := count(`SELECT count(*) FROM bookings WHERE check_out > $1::date - 1 OR check_in < $1::date - 30`, firstNight); n != 0 {
		t.Errorf("%d bookings outside the 30 nights before %s", n, firstNight.Format("2006-01-02"))
	}
	if n := count(`SELECT count(*) FROM bookings b JOIN booking_rooms br ON br.booking_id = b.id
		CROSS JOIN generate_series(b.check_in, b.check_out - 1, interval '1 day') n
		WHERE NOT EXISTS (SELECT 1 FROM nightly_rates r WHERE r.rate_plan_id = br.rate_plan_id AND r.night = n::date)`); n != 0 {
		t.Errorf("%d booked nights have no rate", n)
	}
	assertInventoryConsistent(t, b.pool, pastOpts.Today)
	// Only the stays that happened still hold their nights.
	if n := count(`SELECT count(*) FROM bookings b JOIN booking_rooms br ON br.booking_id = b.id
		WHERE br.holds_inventory <> (b.status = 'CHECKED_OUT')`); n != 0 {
		t.Errorf("%d booked rooms hold inventory they should not, or the reverse", n)
	}

	// Money: a stay was paid in full; a cancellation kept what was paid up to
	// the penalty and paid the rest back; an abandoned hold took nothing.
	if n := count(`SELECT count(*) FROM bookings b
		LEFT JOIN LATERAL (SELECT coalesce(sum(captured_amount), 0) AS captured, coalesce(sum(refunded_amount), 0) AS refunded
		                   FROM payments p WHERE p.booking_id = b.id) m ON true
		WHERE (b.status = 'CHECKED_OUT' AND (m.captured <> b.total_amount OR m.refunded <> 0))
		   OR (b.status = 'CANCELLED' AND (m.captured - m.refunded <> least(b.penalty_amount, m.captured)
		                                 OR m.refunded <> b.refund_due OR m.captured < b.deposit_due))
		   OR (b.status = 'EXPIRED' AND m.captured <> 0)`); n != 0 {
		t.Errorf("%d bookings whose payments do not add up", n)
	}
	if n := count(`SELECT count(*) FROM refunds WHERE status <> 'SUCCEEDED'`); n != 0 {
		t.Errorf("%d refunds not paid back", n)
	}

	// Personal data is sealed, as the booking service stores it.
	if n := count(`SELECT count(*) FROM bookings WHERE contact_email_enc IS NULL OR contact_email_idx IS NULL
		OR position('@example.com'::bytea in contact_email_enc) > 0`); n != 0 {
		t.Errorf("%d bookings without a sealed contact email", n)
	}
	if n := count(`SELECT count(*) FROM booking_guests WHERE given_name_enc IS NULL OR family_name_enc IS NULL`); n != 0 {
		t.Errorf("%d guests without sealed names", n)
	}

	// A second run books nothing more.
	before := pastDump(t, b.pool)
	again := load(t, b, pastOpts)
	if again.Past.Bookings() != 0 || again.Past.HadBookings != 3 || !again.Skipped {
		t.Errorf("second run: %+v", again)
	}
	if after := pastDump(t, b.pool); !slices.Equal(before, after) {
		t.Errorf("a second run changed the bookings")
	}
}

func TestPastBookingsAreDeterministic(t *testing.T) {
	t.Parallel()
	a, b := setup(t), setup(t)
	load(t, a, pastOpts)
	load(t, b, pastOpts)
	da, db := pastDump(t, a.pool), pastDump(t, b.pool)
	if len(da) < 25 || !slices.Equal(da, db) {
		t.Errorf("two runs booked different stays:\n%s\n%s", strings.Join(da, "\n"), strings.Join(db, "\n"))
	}
}

// pastDump lists every booking without ids, references or timestamps, in
// hotel and stay order.
func pastDump(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT h.name, b.check_in, b.check_out, b.status, b.owner, b.language, b.total_amount, b.deposit_due,
		       b.penalty_amount, b.refund_due,
		       (SELECT string_agg(rt.name || ':' || br.adults || '+' || cardinality(br.child_ages), ',' ORDER BY br.position)
		          FROM booking_rooms br JOIN room_types rt ON rt.id = br.room_type_id WHERE br.booking_id = b.id)
		FROM bookings b JOIN hotels h ON h.id = b.hotel_id
		ORDER BY h.id, b.id`)
	if err != nil {
		t.Fatalf("dump bookings: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatalf("dump bookings: %v", err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("dump bookings: %v", err)
	}
	return out
}

// assertInventoryConsistent checks, in SQL, that no night is oversold,
// that every night's count equals the units bookings hold on it, and that
// every night's capacity from the hotels' business date at now on equals
// the rooms in service and not blocked.
func assertInventoryConsistent(t *testing.T, pool *pgxpool.Pool, now time.Time) {
	t.Helper()
	c, err := booking.CheckInventory(context.Background(), pool, now)
	if err != nil {
		t.Fatal(err)
	}
	if c != (booking.InventoryCheck{}) {
		t.Fatalf("inventory: %d oversold nights, %d nights whose count differs from the bookings holding them, %d whose capacity differs from the rooms in service and not blocked",
			c.Oversold, c.Miscounted, c.WrongCapacity)
	}
}
