-- Truth on the page: PostgreSQL's answer for the hotels of one page that
-- Elasticsearch returned. This is the stay half of search.sql (postgres
-- engine), with the same formulas, restricted to the page's hotel ids: each
-- hotel's local stay, the room types that house the party with enough units
-- free on every night and a rate plan priced for every night, their totals,
-- and whether the cheapest option is inside the nightly price range, with
-- the names a results page shows (as search.sql). A hotel missing from the
-- answer is gone, sold out, not yet open for that stay, or no longer has
-- the stars or amenities asked for (an index a change has not reached yet
-- may still list it). With no stay and no party ($14 false), a hotel
-- without room types is answered too, with none (no criteria lists the
-- catalog).
--
-- $1  hotel ids uuid[]
-- $2  check_in date, $3 check_out date     (NULL for none)
-- $4  arriving_at timestamptz, $5 nights   (NULL for none)
-- $6  rooms, $7 max adults, $8 max children, $9 max people of any party
-- $10 now, $11 price currency, $12 price min, $13 price max (minor units of $11 per night)
-- $14 whether a stay or a party was asked for (search.Query.AsksForRooms)
-- $15 min stars, $16 amenities text[] (all of them)
WITH target AS (
    SELECT per_usd, minor_digits FROM exchange_rates WHERE currency = $11::text
),
cand AS (
    SELECT h.id, h.name, h.star_rating, h.currency, h.tax_rate_bps, stay.ci, stay.ci_end
    FROM hotels h
    -- an arrival's night is the hotel's business date at that instant
    -- (before 06:00 local, the night before: hoteldate.Cutoff)
    CROSS JOIN LATERAL (
        SELECT d.ci, CASE WHEN $4::timestamptz IS NOT NULL THEN d.ci + $5::int ELSE $3::date END AS ci_end
        FROM (SELECT CASE WHEN $4::timestamptz IS NOT NULL
                          THEN (($4 AT TIME ZONE h.time_zone) - interval '6 hours')::date
                          ELSE $2::date END AS ci) d
    ) stay
    WHERE h.id = ANY($1::uuid[]) AND h.star_rating >= $15::int AND h.amenities @> $16::text[]
      -- offered from the hotel's business date (06:00 to 06:00 local) to 365
      -- days ahead (hoteldate.BusinessDate, booking.MaxDaysAhead)
      AND (stay.ci IS NULL OR stay.ci - (($10::timestamptz AT TIME ZONE h.time_zone) - interval '6 hours')::date BETWEEN 0 AND 365)
),
matching AS (
    SELECT c.id AS hotel_id, rt.id AS room_type_id, price.rate_plan_id, free.units_left,
           rt.name, rt.max_adults, rt.max_children, rt.max_occupancy, price.rate_plan_name,
           $6::int * taxed_total(price.room_sum, c.tax_rate_bps, c.currency) AS total
    FROM cand c
    JOIN room_types rt ON rt.hotel_id = c.id
    CROSS JOIN LATERAL (
        SELECT CASE WHEN c.ci IS NULL THEN -1 ELSE least(
                   rt.rooms_in_service,
                   coalesce((SELECT min(i.capacity - i.reserved) FROM inventory i
                             WHERE i.room_type_id = rt.id AND i.night >= c.ci AND i.night < c.ci_end), 2147483647))
               END::int AS units_left
    ) free
    LEFT JOIN LATERAL (
        SELECT rp.id AS rate_plan_id, rp.name AS rate_plan_name, sum(nr.amount)::bigint AS room_sum
        FROM rate_plans rp
        JOIN nightly_rates nr ON nr.rate_plan_id = rp.id AND nr.night >= c.ci AND nr.night < c.ci_end
        WHERE rp.room_type_id = rt.id
        GROUP BY rp.id
        HAVING count(*) = c.ci_end - c.ci
        ORDER BY room_sum, rp.id
        LIMIT 1
    ) price ON c.ci IS NOT NULL
    WHERE rt.max_adults >= $7::int AND rt.max_children >= $8::int AND rt.max_occupancy >= $9::int
      AND (c.ci IS NULL OR (free.units_left >= $6 AND price.rate_plan_id IS NOT NULL))
),
hits AS (
    SELECT c.id, c.name, c.star_rating, c.currency, c.ci, c.ci_end,
           min(m.total) AS lowest_total,
           coalesce(json_agg(json_build_object('room_type_id', m.room_type_id, 'rate_plan_id', m.rate_plan_id,
                                               'total', m.total, 'units_left', m.units_left,
                                               'name', m.name, 'max_adults', m.max_adults, 'max_children', m.max_children,
                                               'max_occupancy', m.max_occupancy, 'rate_plan_name', m.rate_plan_name)
                             ORDER BY m.total NULLS LAST, m.room_type_id) FILTER (WHERE m.hotel_id IS NOT NULL), '[]') AS room_types
    FROM cand c LEFT JOIN matching m ON m.hotel_id = c.id
    GROUP BY c.id, c.name, c.star_rating, c.currency, c.ci, c.ci_end
    HAVING count(m.hotel_id) > 0 OR NOT $14::bool
),
priced AS (
    SELECT h.*, -- at most 9e18, as search.sql's
           least(round(h.lowest_total::numeric / (h.ci_end - h.ci) / power(10, x.minor_digits) / x.per_usd
                       * t.per_usd * power(10, t.minor_digits)), 9e18)::bigint AS nightly_target
    FROM hits h
    LEFT JOIN exchange_rates x ON x.currency = h.currency
    LEFT JOIN target t ON true
)
SELECT p.id, p.name, p.star_rating, p.currency::text, p.ci, p.ci_end, p.lowest_total, p.room_types::text,
       coalesce(($12::bigint IS NULL OR p.nightly_target >= $12) AND ($13::bigint IS NULL OR p.nightly_target <= $13), false)
           AS in_price_range
FROM priced p;
