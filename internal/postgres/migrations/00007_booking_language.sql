-- +goose Up
-- The language guests are written to in (a BCP 47 tag such as "fr" or "es-MX").
ALTER TABLE bookings ADD COLUMN language text NOT NULL DEFAULT 'en'
    CHECK (language ~ '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$');

-- +goose Down
ALTER TABLE bookings DROP COLUMN language;
