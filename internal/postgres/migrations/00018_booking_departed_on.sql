-- +goose Up
-- Guests who check out before their check-out date leave the nights after
-- it unused: departed_on records the hotel-local date they left, and those
-- nights go back on sale (the booking keeps its dates and its price). The
-- booking's rooms hold inventory from check_in to departed_on then.
ALTER TABLE bookings ADD COLUMN departed_on date;
ALTER TABLE bookings ADD CONSTRAINT bookings_departed_in_stay
    CHECK (departed_on IS NULL OR (departed_on >= check_in AND departed_on < check_out));

-- +goose Down
ALTER TABLE bookings DROP COLUMN departed_on;
