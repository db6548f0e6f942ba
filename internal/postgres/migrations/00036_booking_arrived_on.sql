-- +goose Up
-- A booking maintenance took the rooms of (flagged for relocation) claims
-- them back when its guests check in; guests who arrive on a later day of
-- their stay (the works over, the first nights spent elsewhere) claim them
-- from that day only: arrived_on records it. The booking's rooms hold
-- inventory from arrived_on (check_in when NULL) to departed_on (check_out
-- when NULL).
ALTER TABLE bookings ADD COLUMN arrived_on date;
ALTER TABLE bookings ADD CONSTRAINT bookings_arrived_in_stay
    CHECK (arrived_on IS NULL OR (arrived_on > check_in AND arrived_on < check_out));

-- +goose Down
ALTER TABLE bookings DROP CONSTRAINT bookings_arrived_in_stay;
ALTER TABLE bookings DROP COLUMN arrived_on;
