-- +goose Up
-- Exchange rates are changed through the API (setExchangeRates) and audited
-- like the catalog. Their key is the currency, not an id: audit_row takes the
-- key column as an argument 'key:<column>' (default id); its other arguments
-- still name columns never recorded.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    diff    jsonb;
    key_col text := 'id';
    skip    text[] := '{}';
    arg     text;
BEGIN
    FOREACH arg IN ARRAY coalesce(TG_ARGV, '{}') LOOP
        IF arg LIKE 'key:%' THEN
            key_col := substr(arg, 5);
        ELSE
            skip := skip || arg;
        END IF;
    END LOOP;
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
       AND NOT k.key = ANY (skip)
       AND (TG_OP <> 'UPDATE' OR old_row -> k.key IS DISTINCT FROM new_row -> k.key);
    IF TG_OP = 'UPDATE' AND diff = '{}' THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_log (actor, action, entity, entity_id, changes)
    VALUES (coalesce(nullif(current_setting('staygraph.actor', true), ''), 'db:' || session_user),
            TG_OP, TG_TABLE_NAME, coalesce(new_row, old_row) ->> key_col, diff);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON exchange_rates
    FOR EACH ROW EXECUTE FUNCTION audit_row('key:currency', 'updated_at');

-- +goose Down
DROP TRIGGER audit ON exchange_rates;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger
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
