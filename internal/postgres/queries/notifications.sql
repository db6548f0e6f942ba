-- name: CreateNotification :exec
INSERT INTO notifications (id, booking_id, kind, channels, channel)
VALUES (@id, @booking_id, @kind, @channels::text[], (@channels::text[])[1]);

-- name: GetNotification :one
SELECT * FROM notifications WHERE id = $1;

-- name: ListNotifications :many
-- Bookings' notifications, each booking's oldest first.
SELECT * FROM notifications WHERE booking_id = ANY(@booking_ids::uuid[]) ORDER BY booking_id, created_at, id;

-- name: SupersedeNotification :execrows
-- A pending notice of the booking's state (any kind but REFUNDED) that
-- waits for a retry is out of date once a later such notice of the booking
-- was sent to the same audience (the same channel asked for: the guest's
-- email is not superseded by the hotel's chat copy of it): it ends
-- SUPERSEDED, unsent. A first try goes out as it comes (notices of one
-- booking made a moment apart may cross on their way).
UPDATE notifications n SET status = 'SUPERSEDED', updated_at = now()
WHERE n.id = @id AND n.status = 'PENDING' AND n.attempts > 0 AND n.kind <> 'REFUNDED'
  AND EXISTS (SELECT FROM notifications later
              WHERE later.booking_id = n.booking_id AND later.kind <> 'REFUNDED' AND later.status = 'SENT'
                AND later.channels[1] = n.channels[1]
                AND (later.created_at, later.id) > (n.created_at, n.id));

-- name: MarkNotificationSent :execrows
UPDATE notifications SET status = 'SENT', language = @language, attempts = attempts + 1, channel_failures = 0,
    sent_at = now(), updated_at = now()
WHERE id = @id AND status = 'PENDING' AND channel = @channel;

-- name: RecordNotificationFailure :one
-- One failed try. A send that failed counts against the channel; a failure
-- before sending (reading the contact) only records the error.
UPDATE notifications SET
    language = CASE WHEN @language::text = '' THEN language ELSE @language::text END,
    attempts = attempts + CASE WHEN @sent::boolean THEN 1 ELSE 0 END,
    channel_failures = channel_failures + CASE WHEN @sent::boolean THEN 1 ELSE 0 END,
    last_error = @last_error, updated_at = now()
WHERE id = @id AND status = 'PENDING' AND channel = @channel
RETURNING *;

-- name: SwitchNotificationChannel :one
-- Moves delivery to the next channel of the route.
UPDATE notifications SET channel = @next, channel_failures = 0, updated_at = now()
WHERE id = @id AND status = 'PENDING' AND channel = @channel AND @next::text = ANY (channels)
RETURNING *;

-- name: MarkNotificationDead :execrows
UPDATE notifications SET status = 'DEAD', updated_at = now()
WHERE id = @id AND status = 'PENDING';

-- name: ReviveNotification :one
-- A staff retry: a DEAD notification starts over on the first channel of its route.
UPDATE notifications SET status = 'PENDING', channel = channels[1], channel_failures = 0, updated_at = now()
WHERE id = @id AND status = 'DEAD'
RETURNING *;
