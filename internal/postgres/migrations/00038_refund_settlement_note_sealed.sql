-- +goose Up
-- The note staff write when they pay a FAILED refund back outside staygraph
-- (settleRefundOutside) is free text about a guest and their money: names,
-- bank details, phone numbers. It is now sealed by internal/pii like a
-- cancellation's reason (bound to its column and row, purpose
-- "refunds.settlement_note/<refund id>"), in settlement_note_enc; NULL when
-- no note was given. The audit trigger skips columns ending in _enc, and now
-- the plaintext column too, so the trail no longer records the note.
--
-- As for cancel reasons (00023), the plaintext column stays, empty, while
-- servers of the previous release (whose statements name it) may still run
-- beside this one; 00039 (a Go migration, internal/postgres/settlementnotes.go)
-- seals the notes stored in plaintext with the keys the server was started
-- with and empties them. Audit entries written before this release keep the
-- notes they recorded: the trail is append-only.
ALTER TABLE refunds ADD COLUMN settlement_note_enc bytea;
DROP TRIGGER audit ON refunds;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at', 'settlement_note');

-- +goose Down
DROP TRIGGER audit ON refunds;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at');
ALTER TABLE refunds DROP COLUMN settlement_note_enc;
