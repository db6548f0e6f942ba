-- +goose Up
-- A search reads, for every candidate hotel, the fewest units free on each
-- night of the stay (capacity - reserved per room type). With capacity and
-- reserved in the index by hotel and night, that is an index-only scan:
-- inventory rows are created as holds come, so a hotel's rows for a stay lie
-- on many heap pages, and reading those pages was the largest part of a
-- search's PostgreSQL time (the index-only scan takes ~10 % off it,
-- docs/benchmarks.md).
--
-- The price: a hold's update of reserved is no longer a HOT update, so it
-- also writes an entry in this index and in the primary key (measured in
-- docs/benchmarks.md: holds cost about the same). Searches outnumber holds
-- by orders of magnitude.
--
-- An index-only scan still reads the heap for pages changed since the last
-- vacuum (the visibility map): vacuum inventory after 2 % of its rows were
-- updated or inserted instead of 20 %, so that pages with recent holds are few.
CREATE INDEX IF NOT EXISTS inventory_hotel_night_covering_idx ON inventory (hotel_id, night, room_type_id)
    INCLUDE (capacity, reserved);
DROP INDEX inventory_hotel_night_idx;
ALTER INDEX inventory_hotel_night_covering_idx RENAME TO inventory_hotel_night_idx;
ALTER TABLE inventory SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);

-- +goose Down
ALTER TABLE inventory RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_insert_scale_factor);
CREATE INDEX inventory_hotel_night_plain_idx ON inventory (hotel_id, night, room_type_id);
DROP INDEX inventory_hotel_night_idx;
ALTER INDEX inventory_hotel_night_plain_idx RENAME TO inventory_hotel_night_idx;
