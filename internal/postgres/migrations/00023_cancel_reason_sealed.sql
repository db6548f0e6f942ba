-- +goose Up
-- A cancellation's reason is personal data: guests write their names, phone
-- numbers and email addresses into it. It is now sealed by internal/pii like
-- the contact details (bound to its column and row, purpose
-- "bookings.cancel_reason/<booking id>"), in cancel_reason_enc; NULL when no
-- reason was given. The audit trigger skips columns ending in _enc, so the
-- trail no longer records it.
--
-- The plaintext column goes in steps, as SQL cannot encrypt (the keys live
-- in the application) and servers of the previous release, which name the
-- column in every statement of bookings, may still run beside this one
-- during a rolling deploy: this migration adds the sealed column and stops
-- the audit trail from recording the plaintext one (its changes are no
-- business change: an older server's cancellation is still recorded, its
-- reason not); 00024 (a Go migration, internal/postgres/cancelreasons.go)
-- seals the reasons stored in plaintext with the keys the server was
-- started with and empties them; a later release, once no server of an
-- earlier one runs, seals what such servers wrote meanwhile and drops the
-- column. Audit entries written before this release keep the reasons they
-- recorded: the trail is append-only.
ALTER TABLE bookings ADD COLUMN cancel_reason_enc bytea;
DROP TRIGGER audit ON bookings;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON bookings
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at', 'cancel_reason');

-- +goose Down
DROP TRIGGER audit ON bookings;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON bookings
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at');
ALTER TABLE bookings DROP COLUMN cancel_reason_enc;
