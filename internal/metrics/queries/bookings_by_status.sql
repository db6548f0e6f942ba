-- Bookings in a live status, for the staygraph_bookings gauge: few, and
-- counted from their partial index (bookings_live_status_idx); the finished
-- ones grow with every stay and are history, not a gauge.
SELECT status, count(*) FROM bookings WHERE status IN ('HELD', 'CONFIRMED', 'CHECKED_IN') GROUP BY status;
