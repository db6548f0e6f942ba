-- +goose Up
-- A hotel's undelivered notifications (Hotel.undeliveredNotifications) were
-- found through notifications_undelivered_idx, which holds every hotel's,
-- joined to the hotel's bookings: with 2,000,000 bookings and 20,000
-- undelivered notifications a quiet hotel's list took 0.6-1.5 s, and the
-- busiest hotel's 70 s once PostgreSQL settled on a generic plan for the
-- prepared statement (it re-read that index once per booking of the
-- hotel). Each notification now names its booking's hotel, and the list is
-- one range of an index by hotel.
--
-- A trigger fills hotel_id from the booking on insert, so servers of the
-- previous release, which do not name the column, keep writing
-- notifications during a rolling deploy (and this one needs no change to
-- what it inserts). Their list of undelivered notifications (Hotel.
-- undeliveredNotifications, staff only) read every column by position and
-- fails on them until they are replaced; this release names its columns.
ALTER TABLE notifications ADD COLUMN hotel_id uuid;

-- +goose StatementBegin
CREATE FUNCTION notifications_hotel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.hotel_id := (SELECT hotel_id FROM bookings WHERE id = NEW.booking_id);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER notifications_hotel BEFORE INSERT ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_hotel();

UPDATE notifications n SET hotel_id = b.hotel_id FROM bookings b WHERE b.id = n.booking_id;
ALTER TABLE notifications ALTER COLUMN hotel_id SET NOT NULL;

CREATE INDEX notifications_hotel_undelivered_idx ON notifications (hotel_id, updated_at DESC, id DESC)
    WHERE status IN ('DEAD', 'PENDING');
-- the index by hotel replaces it: nothing else reads it
DROP INDEX notifications_undelivered_idx;

-- +goose Down
CREATE INDEX notifications_undelivered_idx ON notifications (updated_at DESC, id DESC) WHERE status IN ('DEAD', 'PENDING');
DROP INDEX notifications_hotel_undelivered_idx;
DROP TRIGGER notifications_hotel ON notifications;
DROP FUNCTION notifications_hotel;
ALTER TABLE notifications DROP COLUMN hotel_id;
