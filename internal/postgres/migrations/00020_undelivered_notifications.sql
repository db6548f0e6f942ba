-- +goose Up
-- A hotel's undelivered notifications (Hotel.undeliveredNotifications) are
-- read from the few DEAD and PENDING ones, most recently changed first; the
-- index of DEAD ones alone served the list it replaces.
CREATE INDEX notifications_undelivered_idx ON notifications (updated_at DESC, id DESC) WHERE status IN ('DEAD', 'PENDING');
DROP INDEX notifications_dead_idx;

-- Holds that expired before expiry recorded refund_due owe back what was
-- captured on them (expiry refunded it), as later ones do.
SET LOCAL staygraph.actor = 'migration:00020';
UPDATE bookings b SET refund_due = c.captured
FROM (SELECT booking_id, sum(captured_amount)::bigint AS captured FROM payments
      WHERE status IN ('CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED') GROUP BY booking_id) c
WHERE c.booking_id = b.id AND b.status = 'EXPIRED' AND b.refund_due = 0 AND c.captured > 0;

-- +goose Down
CREATE INDEX notifications_dead_idx ON notifications (updated_at) WHERE status = 'DEAD';
DROP INDEX notifications_undelivered_idx;
