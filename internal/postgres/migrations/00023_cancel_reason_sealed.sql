-- +goose Up
-- A cancellation's reason is personal data: guests write their names, phone
-- numbers and email addresses into it. It is now sealed by internal/pii like
-- the contact details (bound to its column and row, purpose
-- "bookings.cancel_reason/<booking id>"), in cancel_reason_enc; NULL when no
-- reason was given. The audit trigger skips columns ending in _enc, so the
-- trail no longer records it.
--
-- The plaintext column goes in three steps, as SQL cannot encrypt (the keys
-- live in the application): this migration adds the sealed column, 00024 (a
-- Go migration, internal/postgres/cancelreasons.go) seals the reasons stored
-- in plaintext with the keys the server was started with, and 00025 drops
-- the plaintext column. Audit entries written before this release keep the
-- reasons they recorded: the trail is append-only.
ALTER TABLE bookings ADD COLUMN cancel_reason_enc bytea;

-- +goose Down
ALTER TABLE bookings DROP COLUMN cancel_reason_enc;
