-- Bookings by lifecycle status, for the staygraph_bookings gauge.
SELECT status, count(*) FROM bookings GROUP BY status;
