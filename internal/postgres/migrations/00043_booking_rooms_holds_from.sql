-- +goose Up
-- A booking maintenance took some rooms of (flagged for relocation) claims
-- them back when its guests check in, from the day they arrive
-- (bookings.arrived_on) when that is a later day of the stay; its other
-- rooms kept their units from check-in on. holds_from records, per room,
-- the first night a room claimed back holds a unit (NULL: the booking's
-- check-in), so that a group whose one room was taken counts the others'
-- first nights still. The rooms of bookings that arrived late before this
-- migration are taken to hold from arrived_on, as was counted then.
ALTER TABLE booking_rooms ADD COLUMN holds_from date;
UPDATE booking_rooms br SET holds_from = b.arrived_on
FROM bookings b WHERE b.id = br.booking_id AND b.arrived_on IS NOT NULL;

-- +goose Down
ALTER TABLE booking_rooms DROP COLUMN holds_from;
