-- One search, one round trip: filter hotels, read each one's stay on its own
-- calendar, keep room types that house the party with enough units free on
-- every night, price them from nightly rates, then return the page (with
-- the names a results page shows), the total count and the facets of the
-- whole filtered set as one row of arrays (no JSON to build and parse).
--
-- $1  text          free text ('' for none)
-- $2  lat, $3 lon, $4 radius_m            (NULL for none)
-- $5  north, $6 south, $7 east, $8 west   (NULL for none)
-- $9  check_in date, $10 check_out date   (NULL for none)
-- $11 arriving_at timestamptz, $12 nights (NULL for none)
-- $13 rooms, $14 max adults, $15 max children, $16 max people of any party
-- $17 amenities text[], $18 min stars
-- $19 price min, $20 price max (minor units of $21 per night), $21 currency
-- $22 now, $23 sort, $24 cursor key, $25 cursor id, $26 page size + 1
-- $27 price bucket edges (minor units of $21) for a currency worth about a
--     dollar; scaled here by the magnitude of $21 (search.PriceEdges)
-- $28 whether a stay or a party was asked for (else hotels without a
--     matching room type are listed too: no criteria lists the catalog)
--
-- The file is a Go text/template with one switch, .Text: whether the search
-- has free text. PostgreSQL starts every part of a statement's plan on each
-- execution, whatever its parameters, so a search without text runs the
-- statement without the parts for text (~0.15 ms less of PostgreSQL CPU).
WITH target AS (
    SELECT per_usd, minor_digits FROM exchange_rates WHERE currency = $21::text
),
-- The price facet's edges in $21: $27 times the power of ten nearest what a
-- dollar buys (at least 1), so that yen buckets run ¥0–5,000, ...
price_edges AS (
    SELECT array_agg(u.edge * m.scale ORDER BY u.i) AS edges
    FROM unnest($27::bigint[]) WITH ORDINALITY u(edge, i),
         (SELECT coalesce((SELECT power(10, greatest(0, round(log(per_usd))))::bigint FROM target), 1) AS scale) m
),
{{- if .Text}}
-- The words of the free text, longest first (none without one): a hotel
-- matches when its text has every word, each close to one of its words
-- (trigram word similarity; words of one or two letters, such as a
-- country code, exactly). A word the hotels' words (search_words) do not
-- have also matches those within the edit distance Elasticsearch's
-- fuzziness AUTO allows (1 up to 5 letters, else 2; two neighbouring
-- letters swapped count as one, as there): res holds them as one regular
-- expression per word (NULL for none), and
-- w1..w3, r1..r3 are the three longest for the index (the first again
-- when there are fewer).
words AS (
    SELECT ws, res, nullif(array_to_string(res, ''), '') AS fuzzy, -- NULL when no word has any
           ws[1] AS w1, coalesce(ws[2], ws[1]) AS w2, coalesce(ws[3], ws[1]) AS w3,
           res[1] AS r1, CASE WHEN cardinality(ws) >= 2 THEN res[2] ELSE res[1] END AS r2,
           CASE WHEN cardinality(ws) >= 3 THEN res[3] ELSE res[1] END AS r3
    FROM (SELECT coalesce(array_agg(q.w ORDER BY length(q.w) DESC, q.w), '{}') AS ws,
                 coalesce(array_agg(alt.re ORDER BY length(q.w) DESC, q.w), '{}') AS res
          -- a possessive's 's (or ’s), then an elision's l' (or l’, d', …)
          -- dropped: "montmartre's" is "montmartre" and "l'hôtel" "hotel", as
          -- Elasticsearch's fuzziness finds them (each is one word there,
          -- within two edits), not "montmartre" and "s" or "l" and "hotel";
          -- "k's" is "k" (the possessive first), not "s"
          FROM (SELECT DISTINCT w FROM regexp_split_to_table(regexp_replace(regexp_replace(search_fold($1::text), '[''’]s\M', '', 'g'), '\m[a-z][''’](?=\w)', '', 'g'), '[\W_]+') w
                WHERE w <> '') q
          CROSS JOIN LATERAL (
              SELECT '\m(' || string_agg(d.word, '|') || ')\M' AS re
              FROM search_words d, (SELECT CASE WHEN length(q.w) <= 5 THEN 1 ELSE 2 END AS k) e,
                   (SELECT array_agg(overlay(q.w PLACING substr(q.w, i + 1, 1) || substr(q.w, i, 1) FROM i FOR 2)) AS swaps
                    FROM generate_series(1, length(q.w) - 1) i) sw
              WHERE length(q.w) >= 3 AND NOT EXISTS (SELECT FROM search_words WHERE word = q.w)
                AND length(d.word) BETWEEN length(q.w) - e.k AND length(q.w) + e.k
                AND (levenshtein_less_equal(d.word, q.w, e.k) <= e.k OR d.word = ANY(sw.swaps))
          ) alt) a
),
{{- end}}
-- The point searched near, as ll_to_earth places it, and the box around the
-- circle that the GiST index on location finds hotels in, as
-- earth_box(ll_to_earth($2, $3), radius) makes it (NULLs without a point).
-- Spelled out because those are SQL functions PostgreSQL cannot inline: it
-- would parse and plan their bodies again on every execution (~0.4 ms of PostgreSQL CPU).
origin AS (
    SELECT p.x, p.y, p.z,
           cube_enlarge(cube(cube(cube(p.x), p.y), p.z),
                        CASE WHEN p.r < 0 THEN 0::float8 WHEN p.r / earth() > pi() THEN 2 * earth()
                             ELSE 2 * earth() * sin(p.r / (2 * earth())) END, 3) AS box
    FROM (SELECT earth() * cos(radians($2::float8)) * cos(radians($3::float8)) AS x,
                 earth() * cos(radians($2)) * sin(radians($3)) AS y,
                 earth() * sin(radians($2)) AS z,
                 -- the index's box is scaled to the Earth's radius in
                 -- earthdistance, so that it holds the whole circle on the
                 -- mean radius (see the distance below)
                 $4::float8 * earth() / 6371008.8 AS r) p
),
cand AS (
    SELECT h.id, h.name, h.currency, h.star_rating, h.amenities, h.tax_rate_bps, stay.ci, stay.ci_end,
           CASE WHEN $2::float8 IS NOT NULL THEN geo.metres / 1000 END AS distance_km,
           -- relevance: how close each word is, and the words in their order;
           -- then, as Elasticsearch boosts a match in the name and the city,
           -- how close the text is to the name and to the city
           {{if .Text}}(coalesce((SELECT avg(word_similarity(w, h.search_text)) FROM words, unnest(ws) w), 0)
            + word_similarity(search_fold($1), h.search_text)) / 2
            + word_similarity(search_fold($1), search_fold(h.name)) / 2
            + word_similarity(search_fold($1), search_fold(h.city)) / 4{{else}}0::float8{{end}} AS score
    -- Near a point, the GiST index on location finds the hotels in the
    -- circle's box. Two branches rather than "$4 IS NULL OR ...", so that the
    -- plan PostgreSQL caches for this prepared statement after five runs (a
    -- generic plan, blind to the parameters) still uses the index: the branch
    -- whose test fails is skipped at run time.
    FROM (
        SELECT * FROM hotels
        WHERE $4::float8 IS NOT NULL AND hotel_point(latitude, longitude) <@ (SELECT box FROM origin)
          -- tested on the few hotels of the circle's box, not with the GIN
          -- index: common amenities match thousands of hotels
          AND coalesce(amenities, '{}') @> $17::text[]
{{- if .Text}}
        UNION ALL
        -- Free text without a point: the trigram index finds the hotels
        -- close to its three longest words (or, for a word the hotels do
        -- not have, to the words it may be a typo of: the next branch);
        -- any others are tested below.
        SELECT * FROM hotels
        WHERE $4::float8 IS NULL AND $1::text <> '' AND (SELECT fuzzy IS NULL FROM words)
          AND search_text %> (SELECT w1 FROM words)
          AND search_text %> (SELECT w2 FROM words)
          AND search_text %> (SELECT w3 FROM words)
          AND amenities @> $17::text[]
        UNION ALL
        SELECT * FROM hotels
        WHERE $4::float8 IS NULL AND $1::text <> '' AND (SELECT fuzzy IS NOT NULL FROM words)
          AND (search_text %> (SELECT w1 FROM words) OR search_text ~ (SELECT r1 FROM words))
          AND (search_text %> (SELECT w2 FROM words) OR search_text ~ (SELECT r2 FROM words))
          AND (search_text %> (SELECT w3 FROM words) OR search_text ~ (SELECT r3 FROM words))
          AND amenities @> $17::text[]
{{- else}}
        UNION ALL
        -- Neither text nor a point: every hotel with the amenities.
        SELECT * FROM hotels WHERE $4::float8 IS NULL AND $1::text = '' AND amenities @> $17::text[]
{{- end}}
    ) h
    -- earth_distance(ll_to_earth($2, $3), ll_to_earth(latitude, longitude))
    -- spelled out, the same float operations in the same order (ll_to_earth
    -- checks the earth domain with SQL functions on every call, ~7 us each),
    -- then scaled to the mean radius; the index's box is scaled the other
    -- way, so it holds the whole circle.
    CROSS JOIN LATERAL (
        SELECT CASE WHEN s.chord < 0 THEN 0::float8
                    WHEN s.chord / (2 * earth()) > 1 THEN pi() * earth()
                    ELSE 2 * earth() * asin(s.chord / (2 * earth())) END
               -- on the Earth's mean radius (6,371,008.8 m), as Elasticsearch
               -- measures, not earthdistance's 6,378,168 m
               * (6371008.8 / earth()) AS metres
        FROM (SELECT sqrt((o.x - p.x) * (o.x - p.x) + (o.y - p.y) * (o.y - p.y) + (o.z - p.z) * (o.z - p.z)) AS chord
              FROM origin o,
                   (SELECT earth() * cos(radians(h.latitude)) * cos(radians(h.longitude)) AS x,
                           earth() * cos(radians(h.latitude)) * sin(radians(h.longitude)) AS y,
                           earth() * sin(radians(h.latitude)) AS z) p) s
    ) geo
    -- the local stay: an arrival's night is the hotel's business date at that
    -- instant (before 06:00 local, the night before: hoteldate.Cutoff)
    CROSS JOIN LATERAL (
        SELECT d.ci, CASE WHEN $11::timestamptz IS NOT NULL THEN d.ci + $12::int ELSE $10::date END AS ci_end
        FROM (SELECT CASE WHEN $11::timestamptz IS NOT NULL
                          THEN (($11 AT TIME ZONE h.time_zone) - interval '6 hours')::date
                          ELSE $9::date END AS ci) d
    ) stay
    WHERE ($4::float8 IS NULL OR geo.metres <= $4)
      AND ($5::float8 IS NULL
           OR (h.latitude BETWEEN $6::float8 AND $5::float8
               AND CASE WHEN $8::float8 <= $7::float8 THEN h.longitude BETWEEN $8::float8 AND $7::float8
                        ELSE h.longitude >= $8::float8 OR h.longitude <= $7::float8 END))
{{- if .Text}}
      -- every word of the text, typo-tolerant (a text that splits into
      -- no word, such as a lone modifier letter, matches no hotel)
      AND ($1::text = '' OR (SELECT cardinality(ws) > 0 FROM words) AND NOT EXISTS (
          SELECT FROM words, unnest(ws, res) x(w, re)
          WHERE NOT CASE WHEN length(w) <= 2 THEN h.search_text ~ ('\m' || w || '\M')
                         ELSE w <% h.search_text OR coalesce(h.search_text ~ re, false) END))
{{- end}}
      AND h.star_rating >= $18::int
      -- a stay is offered from the hotel's business date (its day runs from
      -- 06:00 to 06:00 local: until 06:00 the night in progress is still
      -- sold) to 365 days ahead, as the booking core sells it
      -- (hoteldate.BusinessDate, booking.MaxDaysAhead)
      AND (stay.ci IS NULL OR stay.ci - (($22::timestamptz AT TIME ZONE h.time_zone) - interval '6 hours')::date BETWEEN 0 AND 365)
),
-- Each candidate's offers: the room types that house the party and, with a
-- stay, are free on every night and priced for each. A LATERAL per hotel
-- reads the hotel's stay with one range scan of its inventory and one of its
-- nightly rates (both tables carry the hotel's id), whatever the planner
-- estimates (it cannot estimate the geo filter and expects one candidate).
hits AS (
    SELECT c.id, c.name, c.currency, c.star_rating, c.amenities, c.distance_km, c.score, c.ci, c.ci_end,
           o.lowest_total, o.room_type_ids, o.rate_plan_ids, o.totals, o.units_left
    FROM cand c
    CROSS JOIN LATERAL (
        -- arrays, cheapest first: the rows are sorted once below (an
        -- aggregate keeps its input's order; array_agg(… ORDER BY …) would
        -- sort once per array)
        SELECT count(*) AS n, min(m.total) AS lowest_total,
               array_agg(m.room_type_id) AS room_type_ids, array_agg(m.rate_plan_id) AS rate_plan_ids,
               array_agg(m.total) AS totals, array_agg(m.units_left) AS units_left
        FROM (
            -- the hotel's few room types that house the party, read once
            -- and joined to the two aggregates below
            WITH rt AS MATERIALIZED (
                SELECT id, rooms_in_service FROM room_types
                WHERE hotel_id = c.id
                  AND max_adults >= $14::int AND max_children >= $15::int AND max_occupancy >= $16::int
            )
            -- the rooms' total with tax as quoted and held (taxed_total:
            -- in KWD, say, each room's in tens of fils)
            SELECT rt.id AS room_type_id, price.rate_plan_id, free.units_left,
                   $13::int * taxed_total(price.room_sum, c.tax_rate_bps, c.currency) AS total
            FROM rt
            -- fewest units free on a night of the stay: a night without an
            -- inventory row has every room in service free
            LEFT JOIN (
                SELECT i.room_type_id, min(i.capacity - i.reserved) AS free
                FROM inventory i
                WHERE i.hotel_id = c.id AND i.night >= c.ci AND i.night < c.ci_end
                GROUP BY i.room_type_id
            ) inv ON inv.room_type_id = rt.id
            CROSS JOIN LATERAL (
                SELECT CASE WHEN c.ci IS NULL THEN -1
                            ELSE least(rt.rooms_in_service, coalesce(inv.free, 2147483647)) END::int AS units_left
            ) free
            -- each room type's cheapest rate plan with a rate on every night
            LEFT JOIN (
                SELECT DISTINCT ON (r.room_type_id) r.room_type_id, r.rate_plan_id, r.room_sum
                FROM (SELECT nr.room_type_id, nr.rate_plan_id, sum(nr.amount)::bigint AS room_sum, count(*) AS nights
                      FROM nightly_rates nr
                      WHERE nr.hotel_id = c.id AND nr.night >= c.ci AND nr.night < c.ci_end
                      GROUP BY nr.room_type_id, nr.rate_plan_id) r
                WHERE r.nights = c.ci_end - c.ci
                ORDER BY r.room_type_id, r.room_sum, r.rate_plan_id
            ) price ON price.room_type_id = rt.id
            WHERE c.ci IS NULL OR (free.units_left >= $13 AND price.rate_plan_id IS NOT NULL)
            ORDER BY total NULLS LAST, rt.id
        ) m
    ) o
    WHERE o.n > 0 OR NOT $28::bool
),
priced AS (
    -- nightly price of the cheapest option in the requested currency (at
    -- most 9e18, under bigint's largest: a rate the API takes, in a
    -- currency of a billion a dollar, can be more), and in US cents for
    -- sorting across currencies
    SELECT h.*,
           least(round(h.lowest_total::numeric / (h.ci_end - h.ci) / power(10, x.minor_digits) / x.per_usd
                       * t.per_usd * power(10, t.minor_digits)), 9e18)::bigint AS nightly_target,
           h.lowest_total::numeric / power(10, x.minor_digits) / x.per_usd * 100 AS total_usd_cents
    FROM hits h
    LEFT JOIN exchange_rates x ON x.currency = h.currency
    LEFT JOIN target t ON true
),
filtered AS (
    SELECT p.*,
           CASE $23::text
               WHEN 'DISTANCE' THEN p.distance_km
               WHEN 'PRICE' THEN coalesce(p.total_usd_cents::float8, 1e300)
               WHEN 'STARS' THEN -p.star_rating::float8
               ELSE -p.score::float8
           END AS sort_key
    FROM priced p
    WHERE ($19::bigint IS NULL OR p.nightly_target >= $19)
      AND ($20::bigint IS NULL OR p.nightly_target <= $20)
),
page AS (
    SELECT * FROM filtered
    WHERE $25::uuid IS NULL OR (sort_key, id) > ($24::float8, $25::uuid)
    ORDER BY sort_key, id
    LIMIT $26::int
),
-- The page's offers in page order, with the names and sizes of their room
-- types and rate plans, read in the same snapshot: the page needs no other
-- query of the catalog.
offers AS (
    SELECT p.sort_key, p.id AS hotel_id, o.*
    FROM page p
    CROSS JOIN LATERAL (
        -- the hotel's room types and plans, one range scan each
        WITH rt AS MATERIALIZED (SELECT id, name, max_adults, max_children, max_occupancy
                                 FROM room_types WHERE hotel_id = p.id),
             rp AS MATERIALIZED (SELECT id, name FROM rate_plans WHERE hotel_id = p.id)
        SELECT u.i, u.room_type_id, u.rate_plan_id, u.total, u.units_left,
               rt.name, rt.max_adults, rt.max_children, rt.max_occupancy, rp.name AS rate_plan_name
        FROM unnest(p.room_type_ids, p.rate_plan_ids, p.totals, p.units_left)
             WITH ORDINALITY u(room_type_id, rate_plan_id, total, units_left, i)
        JOIN rt ON rt.id = u.room_type_id
        LEFT JOIN rp ON rp.id = u.rate_plan_id
    ) o
)
-- Each array below is aggregated from rows sorted once in its subquery (an
-- aggregate keeps its input's order). The last column says whether $21 has
-- an exchange rate (without one, nothing can be priced in it).
SELECT (SELECT count(*) FROM filtered)::int AS total,
       h.*, o.*, a.*, s.*, b.*, EXISTS (SELECT FROM target) AS currency_known
FROM (SELECT array_agg(id) AS hotel_ids,
             array_agg(name) AS hotel_names,
             array_agg(star_rating) AS star_ratings,
             array_agg(currency) AS currencies,
             array_agg(distance_km) AS distances_km,
             array_agg(lowest_total) AS lowest_totals,
             array_agg(ci) AS check_ins,
             array_agg(ci_end) AS check_outs,
             array_agg(sort_key) AS sort_keys,
             array_agg(coalesce(cardinality(room_type_ids), 0)) AS offer_counts
      FROM (SELECT * FROM page ORDER BY sort_key, id) page) h,
     (SELECT array_agg(room_type_id) AS room_type_ids,
             array_agg(rate_plan_id) AS rate_plan_ids,
             array_agg(total) AS totals,
             array_agg(units_left) AS units_left,
             array_agg(name) AS room_type_names,
             array_agg(max_adults) AS max_adults,
             array_agg(max_children) AS max_children,
             array_agg(max_occupancy) AS max_occupancy,
             array_agg(rate_plan_name) AS rate_plan_names
      FROM (SELECT * FROM offers ORDER BY sort_key, hotel_id, i) offers) o,
     (SELECT array_agg(a ORDER BY n DESC, a) AS amenities, array_agg(n ORDER BY n DESC, a) AS amenity_counts
      FROM (SELECT a, count(*)::int AS n FROM filtered, unnest(amenities) a GROUP BY a ORDER BY n DESC, a LIMIT 40) x) a,
     (SELECT array_agg(star_rating ORDER BY star_rating DESC) AS stars, array_agg(n ORDER BY star_rating DESC) AS star_counts
      FROM (SELECT star_rating, count(*)::int AS n FROM filtered GROUP BY star_rating) x) s,
     (SELECT (SELECT edges FROM price_edges) AS price_edges,
             array_agg(bucket ORDER BY bucket) AS price_buckets, array_agg(n ORDER BY bucket) AS price_counts
      FROM (SELECT width_bucket(nightly_target, (SELECT edges FROM price_edges)) AS bucket, count(*)::int AS n
            FROM filtered WHERE nightly_target IS NOT NULL GROUP BY 1) x) b;
