-- Records what the indices behind an alias ($1) did with the documents of
-- hotels ($2) written to all of them at once: the refused ones ($3..$7,
-- parallel arrays: index, hotel, status, type, reason) are inserted or
-- counted once more; the other rows of those hotels go, since every other
-- index behind the alias accepted (or already held newer) documents.
WITH cleared AS (
    DELETE FROM search_index_refusals s
    WHERE s.index_alias = $1
      AND s.hotel_id = ANY ($2::uuid[])
      AND (s.index_name, s.hotel_id) NOT IN (SELECT * FROM unnest($3::text[], $4::uuid[]))
)
INSERT INTO search_index_refusals AS r (index_name, hotel_id, index_alias, status, error_type, reason)
SELECT index_name, hotel_id, $1, status, error_type, reason
FROM unnest($3::text[], $4::uuid[], $5::integer[], $6::text[], $7::text[]) AS n (index_name, hotel_id, status, error_type, reason)
ON CONFLICT (index_name, hotel_id) DO UPDATE
SET index_alias = excluded.index_alias, status = excluded.status, error_type = excluded.error_type,
    reason = excluded.reason, last_refused_at = now(), refusals = r.refusals + 1
