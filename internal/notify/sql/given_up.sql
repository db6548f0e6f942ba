-- Notifications nobody will deliver, most recently given up first: the
-- DEAD ones, and PENDING ones whose delivery job is gone (the job queue
-- discards a job whose process stopped during its last attempt, before it
-- could mark the notification DEAD). Columns in table order.
SELECT n.* FROM notifications n
WHERE n.status = 'DEAD'
   OR (n.status = 'PENDING' AND NOT EXISTS (
        SELECT FROM river_job j
        WHERE j.kind = 'notify.deliver' AND j.args->>'notification_id' = n.id::text
          AND j.state IN ('available', 'pending', 'retryable', 'running', 'scheduled')))
ORDER BY n.updated_at DESC, n.id
LIMIT $1
