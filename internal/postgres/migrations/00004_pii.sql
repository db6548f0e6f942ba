-- +goose Up
-- Personal data encrypted at rest. Contact details and guest names are no
-- longer stored in plaintext: each value is an envelope sealed by
-- internal/pii (format byte, key id, nonce, AES-256-GCM ciphertext) under the
-- application's keys, bound to its column and row. The contact email also
-- gets a blind index (HMAC-SHA256 of the lower-cased email under a separate
-- key) for lookups by email without decrypting.
--
-- Existing rows: SQL cannot encrypt (the keys live in the application), so
-- this migration drops the plaintext columns and leaves the new ones NULL on
-- rows written before it. NULL means "no personal data stored": such
-- bookings keep their stays, payments and refunds but show an empty contact
-- and unnamed guests, and cannot be found by reference and email. The
-- database had no production data when this was written; development data
-- can be re-created. New rows always carry envelopes (the booking service
-- writes them); contact_phone_enc is NULL when no phone was given.
--
-- Down restores the plaintext columns' shape, empty: it cannot decrypt.

ALTER TABLE bookings
    ADD COLUMN contact_email_enc bytea,
    ADD COLUMN contact_email_idx bytea,
    ADD COLUMN contact_phone_enc bytea,
    DROP COLUMN contact_email,
    DROP COLUMN contact_phone;
CREATE INDEX bookings_contact_email_idx ON bookings (contact_email_idx);

ALTER TABLE booking_guests
    ADD COLUMN given_name_enc bytea,
    ADD COLUMN family_name_enc bytea,
    DROP COLUMN given_name,
    DROP COLUMN family_name;

-- +goose Down
ALTER TABLE booking_guests
    ADD COLUMN given_name text NOT NULL DEFAULT '',
    ADD COLUMN family_name text NOT NULL DEFAULT '',
    DROP COLUMN given_name_enc,
    DROP COLUMN family_name_enc;
ALTER TABLE booking_guests
    ALTER COLUMN given_name DROP DEFAULT,
    ALTER COLUMN family_name DROP DEFAULT;

DROP INDEX bookings_contact_email_idx;
ALTER TABLE bookings
    ADD COLUMN contact_email text NOT NULL DEFAULT '',
    ADD COLUMN contact_phone text NOT NULL DEFAULT '',
    DROP COLUMN contact_email_enc,
    DROP COLUMN contact_email_idx,
    DROP COLUMN contact_phone_enc;
ALTER TABLE bookings ALTER COLUMN contact_email DROP DEFAULT;
