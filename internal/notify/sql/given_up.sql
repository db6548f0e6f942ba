-- A hotel's notifications nobody will deliver, most recently given up
-- first: the DEAD ones, and PENDING ones whose delivery job is gone (the
-- job queue discards a job whose process stopped during its last attempt,
-- before it could mark the notification DEAD). Columns in table order.
-- $1 hotel id, $2 limit
SELECT n.* FROM notifications n
JOIN bookings b ON b.id = n.booking_id
WHERE n.status IN ('DEAD', 'PENDING') -- notifications_undelivered_idx
  AND b.hotel_id = $1
  AND (n.status = 'DEAD'
       OR (n.status = 'PENDING' AND NOT EXISTS (
            SELECT FROM river_job j
            WHERE j.kind = 'notify.deliver' AND j.args->>'notification_id' = n.id::text
              AND j.state IN ('available', 'pending', 'retryable', 'running', 'scheduled'))))
ORDER BY n.updated_at DESC, n.id DESC
LIMIT $2
