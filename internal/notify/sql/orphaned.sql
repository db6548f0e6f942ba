-- Marks DEAD a PENDING notification whose delivery job is gone (see
-- given_up.sql); changes nothing when it is not one.
UPDATE notifications n SET status = 'DEAD', updated_at = now()
WHERE n.id = $1 AND n.status = 'PENDING' AND NOT EXISTS (
    SELECT FROM river_job j
    WHERE j.args @> jsonb_build_object('notification_id', n.id) AND j.kind = 'notify.deliver'
      AND j.state IN ('available', 'pending', 'retryable', 'running', 'scheduled'))
