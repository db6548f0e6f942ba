-- +goose Up
-- A notice of a booking's state (held, confirmed, cancelled, expired, to be
-- relocated) that waited for a retry while a later one of the same booking
-- went out is out of date: "your rooms are held" after "cancelled" would
-- mislead the guest. It ends SUPERSEDED, unsent (refund notices are news of
-- their own and never are).
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('PENDING', 'SENT', 'DEAD', 'SUPERSEDED'));

-- +goose Down
UPDATE notifications SET status = 'DEAD', updated_at = now() WHERE status = 'SUPERSEDED';
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('PENDING', 'SENT', 'DEAD'));
