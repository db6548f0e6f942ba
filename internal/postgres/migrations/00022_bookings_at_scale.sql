-- +goose Up
-- Two reads that grew with every booking ever made (measured on 3,000,000
-- bookings over 10,000 hotels: docs/benchmarks.md, "Bookings at scale"):
--
-- A hotel's bookings, newest first (viewer.bookings for hotel staff): read
-- by walking the primary key backwards or sorting all of the hotel's
-- bookings (the busiest hotel's page 45 ms, a chain's 100 ms); with
-- (hotel_id, id) each hotel's page is one backward range scan (0.4 ms).
CREATE INDEX IF NOT EXISTS bookings_hotel_id_idx ON bookings (hotel_id, id);

-- The staygraph_bookings gauge counts the bookings in a live status (held,
-- confirmed, checked in): few, while the finished ones grow for ever.
CREATE INDEX IF NOT EXISTS bookings_live_status_idx ON bookings (status)
    WHERE status IN ('HELD', 'CONFIRMED', 'CHECKED_IN');

-- +goose Down
DROP INDEX IF EXISTS bookings_live_status_idx;
DROP INDEX IF EXISTS bookings_hotel_id_idx;
