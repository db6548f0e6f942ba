-- +goose Up
-- The plaintext cancel reasons were sealed into cancel_reason_enc by 00024;
-- nothing reads the column any more. Dropping it writes no audit entry
-- (DDL fires no row triggers).
--
-- A server of an older release still running beside a newer one fails to
-- cancel from here on (its statements name the column); deploy all servers
-- of this release together, as for any column that goes.
ALTER TABLE bookings DROP COLUMN cancel_reason;

-- +goose Down
-- The reasons stay sealed in cancel_reason_enc: the column comes back empty.
ALTER TABLE bookings ADD COLUMN cancel_reason text NOT NULL DEFAULT '';
