-- +goose Up
-- The audit trail: every change to the catalog, bookings, payments and API
-- keys is recorded by the database itself, in the transaction that makes it,
-- as one row per changed row: who (actor), what (action, entity, entity_id,
-- changes) and when (at). Triggers write it, so no code path can forget to.
--
-- Who: services set the acting principal at the start of every write
-- transaction with set_config('staygraph.actor', <actor>, true) (internal/audit):
-- "ROLE:subject" for API callers, "system:<job>" for background jobs. A change
-- made outside the services (psql, a migration) is recorded as "db:<role>".
--
-- What: changes maps each column to {"old": ..., "new": ...}: the new values
-- of an INSERT, the old values of a DELETE, and for an UPDATE only the
-- columns whose value changed. An UPDATE that changes nothing audited writes
-- no row. Never recorded, by name: sealed personal data (columns ending in
-- _enc, and the blind indexes ending in _idx), API key secret hashes
-- (secret_hash), and per table the bookkeeping columns named as trigger
-- arguments (updated_at everywhere; hotels.search_text, generated from other
-- columns; api_keys.last_used_at, touched by every partner request).
--
-- Not audited row by row: nightly_rates and inventory change on every rate
-- load and every booking. Rate changes are audited through the rate plan's
-- version bump that setRates makes in the same transaction (who changed a
-- plan's prices, and when), inventory through the bookings, maintenance
-- blocks and rooms whose changes move it.
--
-- Append-only: UPDATE, DELETE and TRUNCATE are revoked and, for roles that
-- keep them anyway (owners, superusers), refused by a trigger.
CREATE TABLE audit_log (
    id        bigserial   PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text        NOT NULL,
    action    text        NOT NULL CHECK (action IN ('INSERT', 'UPDATE', 'DELETE')),
    entity    text        NOT NULL,
    entity_id text        NOT NULL,
    changes   jsonb       NOT NULL DEFAULT '{}'
);
-- Newest first, per kind of object and per object.
CREATE INDEX audit_log_entity_idx ON audit_log (entity, id);
CREATE INDEX audit_log_entity_row_idx ON audit_log (entity, entity_id, id);

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC, CURRENT_USER;

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- audit_row records one changed row. Trigger arguments name further columns
-- of the table that are never recorded.
-- +goose StatementBegin
CREATE FUNCTION audit_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    diff    jsonb;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_row := to_jsonb(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_row := to_jsonb(NEW);
    END IF;
    SELECT coalesce(jsonb_object_agg(k.key, CASE TG_OP
               WHEN 'INSERT' THEN jsonb_build_object('new', new_row -> k.key)
               WHEN 'DELETE' THEN jsonb_build_object('old', old_row -> k.key)
               ELSE jsonb_build_object('old', old_row -> k.key, 'new', new_row -> k.key) END), '{}')
      INTO diff
      FROM jsonb_object_keys(coalesce(new_row, old_row)) AS k (key)
     WHERE k.key NOT LIKE '%\_enc'
       AND k.key NOT LIKE '%\_idx'
       AND k.key <> 'secret_hash'
       AND NOT k.key = ANY (coalesce(TG_ARGV, '{}'))
       AND (TG_OP <> 'UPDATE' OR old_row -> k.key IS DISTINCT FROM new_row -> k.key);
    IF TG_OP = 'UPDATE' AND diff = '{}' THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_log (actor, action, entity, entity_id, changes)
    VALUES (coalesce(nullif(current_setting('staygraph.actor', true), ''), 'db:' || session_user),
            TG_OP, TG_TABLE_NAME, coalesce(new_row, old_row) ->> 'id', diff);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON hotels
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at', 'search_text');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON room_types
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON rooms
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON rate_plans
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON maintenance_blocks
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON bookings
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON refunds
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at', 'last_used_at');

-- +goose Down
DROP TRIGGER audit ON api_keys;
DROP TRIGGER audit ON refunds;
DROP TRIGGER audit ON payments;
DROP TRIGGER audit ON bookings;
DROP TRIGGER audit ON maintenance_blocks;
DROP TRIGGER audit ON rate_plans;
DROP TRIGGER audit ON rooms;
DROP TRIGGER audit ON room_types;
DROP TRIGGER audit ON hotels;
DROP FUNCTION audit_row;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only;
