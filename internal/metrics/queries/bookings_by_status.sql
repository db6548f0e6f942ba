-- Bookings in a live status, for the staygraph_bookings gauge, each status
-- with its count even when 0 (an alert on a rise sees the first one): few,
-- and counted from their partial index (bookings_live_status_idx); the
-- finished ones grow with every stay and are history, not a gauge.
SELECT s.status, (SELECT count(*) FROM bookings b WHERE b.status = s.status AND b.status IN ('HELD', 'CONFIRMED', 'CHECKED_IN'))
FROM unnest(ARRAY['HELD', 'CONFIRMED', 'CHECKED_IN']) AS s(status);
