-- Records what an index did with documents: the refused ones ($4..$7,
-- parallel arrays) are inserted or counted once more; the rows of the other
-- hotels it wrote or deleted ($2; NULL: every hotel, for a rebuild) are
-- deleted, unless refused again since $3 (a rebuild leaves the refusals
-- that writes made while it ran).
WITH cleared AS (
    DELETE FROM search_index_refusals
    WHERE index_alias = $1
      AND ($2::uuid[] IS NULL OR hotel_id = ANY ($2::uuid[]))
      AND hotel_id <> ALL ($4::uuid[])
      AND last_refused_at < $3
)
INSERT INTO search_index_refusals AS r (index_alias, hotel_id, status, error_type, reason)
SELECT $1, id, status, error_type, reason
FROM unnest($4::uuid[], $5::integer[], $6::text[], $7::text[]) AS n (id, status, error_type, reason)
ON CONFLICT (index_alias, hotel_id) DO UPDATE
SET status = excluded.status, error_type = excluded.error_type, reason = excluded.reason,
    last_refused_at = now(), refusals = r.refusals + 1
