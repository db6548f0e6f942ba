-- +goose Up
-- A key can be rolled: a new secret for the same key (its id, prefix,
-- scopes, and so the owner of its partner's bookings, idempotency keys and
-- webhooks, stay), the old secret still accepted until
-- previous_valid_until, so the partner can deploy the new one without a
-- gap. Only hashes are stored; the audit trail records neither (the trigger
-- skips secret_hash by name, previous_secret_hash as an argument).
ALTER TABLE api_keys ADD COLUMN previous_secret_hash bytea,
                     ADD COLUMN previous_valid_until timestamptz;
DROP TRIGGER audit ON api_keys;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at', 'last_used_at', 'previous_secret_hash');

-- +goose Down
DROP TRIGGER audit ON api_keys;
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at', 'last_used_at');
ALTER TABLE api_keys DROP COLUMN previous_secret_hash, DROP COLUMN previous_valid_until;
