-- +goose Up
-- The hotel's time zone when the stay was sold: its cancellation terms count
-- their hours on that zone's clock (48 hours before 15:00 on a Monday is
-- 15:00 on the Saturday), so a later change of the hotel's zone does not
-- move them. NULL for bookings sold before this column: the hotel's zone.
ALTER TABLE bookings ADD COLUMN time_zone text;

-- +goose Down
ALTER TABLE bookings DROP COLUMN time_zone;
