-- A keyset page of hotel ids, for rebuilding the whole index.
-- $1 after (NULL for the first page), $2 page size
SELECT id FROM hotels
WHERE $1::uuid IS NULL OR id > $1::uuid
ORDER BY id
LIMIT $2::int;
