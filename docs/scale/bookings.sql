-- Bookings at scale: the booking-side reads on 3,000,000 bookings, before
-- and after migration 00022 (docs/benchmarks.md, "Bookings at scale").
--
--   go run ./cmd/staygraph bench search --duration 1s --pgbench=false --engine=false   # the catalog, once
--   psql -h 127.0.0.1 -U postgres -d staygraph_benchsearch -f docs/scale/bookings.sql
--
-- The bookings are written, measured and deleted again (nothing else of the
-- catalog changes; triggers are off while they are written and deleted, so
-- the audit log records none of them). Bookings are spread over the catalog's 10,000 hotels
-- (skewed: the busiest has ~30,000), 2.8 years of stays, 700,000 owners,
-- statuses as a hotel's history has them (70 % checked out, 12 % cancelled,
-- 10.5 % confirmed, ...). Each statement runs twice: first as the API's
-- prepared statements start (a plan for the values given), then with the
-- generic plan that PostgreSQL may settle on after five executions.
\set ON_ERROR_STOP on
\timing off
BEGIN;
SET LOCAL session_replication_role = replica;
SET LOCAL synchronous_commit = off;
DELETE FROM booking_rooms WHERE booking_id IN (SELECT id FROM bookings WHERE reference LIKE 'SCALE%');
DELETE FROM bookings WHERE reference LIKE 'SCALE%';
CREATE TEMP TABLE scale_hotels ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY h.id) AS i, h.id AS hotel_id, h.currency, rt.id AS room_type_id, rp.id AS rate_plan_id
FROM hotels h
CROSS JOIN LATERAL (SELECT id FROM room_types WHERE hotel_id = h.id ORDER BY id LIMIT 1) rt
CROSS JOIN LATERAL (SELECT id FROM rate_plans WHERE room_type_id = rt.id ORDER BY id LIMIT 1) rp;
CREATE INDEX ON scale_hotels (i);
SELECT setseed(0.42);
INSERT INTO bookings (id, reference, hotel_id, status, check_in, check_out, currency, room_amount, tax_amount,
                      total_amount, deposit_due, owner, hold_expires_at, check_in_at, created_at, updated_at)
SELECT md5('scale' || g)::uuid, 'SCALE' || g, s.hotel_id,
       CASE WHEN r < 0.70 THEN 'CHECKED_OUT' WHEN r < 0.82 THEN 'CANCELLED' WHEN r < 0.87 THEN 'EXPIRED'
            WHEN r < 0.88 THEN 'NO_SHOW' WHEN r < 0.985 THEN 'CONFIRMED' WHEN r < 0.99 THEN 'CHECKED_IN' ELSE 'HELD' END,
       d, d + 1 + (g % 4), s.currency, 20000, 2000, 22000, 5000,
       'guest:' || (g % 700000), now() + interval '15 minutes', d::timestamptz + interval '15 hours',
       now() - (3000000 - g) * interval '30 seconds', now()
FROM (SELECT g, random() AS r, 1 + floor(10000 * power(random(), 2))::int AS hi,
             current_date - 1000 + (g / 2600) AS d
      FROM generate_series(1, 3000000) g) q
JOIN scale_hotels s ON s.i = q.hi;
INSERT INTO booking_rooms (booking_id, position, rate_plan_id, room_type_id, adults, nightly, amount, tax_amount,
                           cancellation_policy, holds_inventory)
SELECT b.id, 1, s.rate_plan_id, s.room_type_id, 2, '{10000,10000}', 20000, 2000, '{}', b.status NOT IN ('CANCELLED', 'EXPIRED')
FROM bookings b JOIN scale_hotels s ON s.hotel_id = b.hotel_id WHERE b.reference LIKE 'SCALE%';
COMMIT;
VACUUM ANALYZE bookings;
VACUUM ANALYZE booking_rooms;
SELECT count(*) AS bookings, count(DISTINCT hotel_id) AS hotels, count(DISTINCT owner) AS owners FROM bookings;

-- The hotels read below: the quietest with at least 51 bookings, the
-- busiest, and two chains of 50 (staff of several hotels): the 50 busiest,
-- and 50 of every size (every 200th hotel in id order).
SELECT (SELECT hotel_id FROM bookings GROUP BY 1 HAVING count(*) >= 51 ORDER BY count(*), 1 LIMIT 1) AS quiet,
       (SELECT hotel_id FROM bookings GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1) AS busy,
       (SELECT array_agg(hotel_id) FROM (SELECT hotel_id FROM bookings GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 50) x) AS busiest50,
       (SELECT array_agg(hotel_id) FROM (SELECT hotel_id, row_number() OVER (ORDER BY hotel_id) AS n
                                         FROM (SELECT DISTINCT hotel_id FROM bookings) d) x WHERE n % 200 = 0) AS any50
\gset
-- A cursor deep in the busiest hotel's history (its 5,000th newest).
SELECT id AS deep FROM bookings WHERE hotel_id = :'busy' ORDER BY id DESC OFFSET 5000 LIMIT 1
\gset

\echo
\echo '== before 00022 (its indexes dropped, the statements of before)'
BEGIN;
DROP INDEX bookings_hotel_id_idx;
DROP INDEX bookings_live_status_idx;
-- plan_cache_mode auto, as the API's pgx connections run them
PREPARE old_gauge AS SELECT status, count(*) FROM bookings GROUP BY status;
PREPARE old_hotels(uuid[], uuid, int) AS
SELECT * FROM bookings
WHERE hotel_id = ANY($1::uuid[]) AND ($2::uuid IS NULL OR id < $2::uuid)
ORDER BY id DESC LIMIT $3;
\timing on
\echo 'staygraph_bookings gauge'
EXECUTE old_gauge;
\set pages old_hotels
\ir bookings_pages.sql
\timing off

ROLLBACK;

\echo
\echo '== with 00022 (the statements of now)'
PREPARE new_gauge AS SELECT status, count(*) FROM bookings WHERE status IN ('HELD', 'CONFIRMED', 'CHECKED_IN') GROUP BY status;
PREPARE new_hotels(uuid[], uuid, int) AS
SELECT b.* FROM (SELECT DISTINCT unnest($1::uuid[]) AS id) h
CROSS JOIN LATERAL (
    SELECT * FROM bookings
    WHERE hotel_id = h.id AND id < coalesce($2::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
    ORDER BY id DESC LIMIT $3
) b
ORDER BY b.id DESC LIMIT $3;
\timing on
\echo 'staygraph_bookings gauge (live statuses)'
EXECUTE new_gauge;
\set pages new_hotels
\ir bookings_pages.sql
\timing off

BEGIN;
SET LOCAL session_replication_role = replica;
DELETE FROM booking_rooms WHERE booking_id IN (SELECT id FROM bookings WHERE reference LIKE 'SCALE%');
DELETE FROM bookings WHERE reference LIKE 'SCALE%';
COMMIT;
VACUUM ANALYZE bookings;
VACUUM ANALYZE booking_rooms;
