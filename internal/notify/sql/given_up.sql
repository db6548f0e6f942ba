-- A hotel's notifications nobody will deliver, most recently given up
-- first: the DEAD ones, and PENDING ones whose delivery job is gone (the
-- job queue discards a job whose process stopped during its last attempt,
-- before it could mark the notification DEAD). One range of
-- notifications_hotel_undelivered_idx; a PENDING one's job is looked up by
-- its arguments (river_job_args_index). The columns of db.Notification, by
-- name (a column added to the table does not shift them).
-- $1 hotel id, $2 limit
SELECT n.id, n.booking_id, n.kind, n.language, n.channels, n.channel, n.status, n.attempts,
       n.channel_failures, n.last_error, n.created_at, n.updated_at, n.sent_at, n.hotel_id
FROM notifications n
WHERE n.hotel_id = $1 AND n.status IN ('DEAD', 'PENDING')
  AND (n.status = 'DEAD'
       OR NOT EXISTS (
            SELECT FROM river_job j
            WHERE j.args @> jsonb_build_object('notification_id', n.id) AND j.kind = 'notify.deliver'
              AND j.state IN ('available', 'pending', 'retryable', 'running', 'scheduled')))
ORDER BY n.updated_at DESC, n.id DESC
LIMIT $2
