-- name: CreateAPIKey :one
INSERT INTO api_keys (id, name, prefix, secret_hash, scopes)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: GetAPIKeyByPrefix :one
SELECT * FROM api_keys WHERE prefix = $1;

-- name: GetAPIKey :one
SELECT * FROM api_keys WHERE id = $1;

-- name: ListAPIKeys :many
SELECT * FROM api_keys ORDER BY created_at, id;

-- name: RevokeAPIKey :one
-- Revokes a key; one already revoked is left as it is (no row).
UPDATE api_keys SET revoked_at = now(), version = version + 1
WHERE id = $1 AND revoked_at IS NULL
RETURNING *;

-- name: TouchAPIKey :exec
UPDATE api_keys SET last_used_at = now()
WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- name: RollAPIKey :one
-- A new secret for an active key at the version read; the current one stays
-- valid until @previous_valid_until.
UPDATE api_keys SET previous_secret_hash = secret_hash, previous_valid_until = @previous_valid_until,
    secret_hash = @secret_hash, version = version + 1
WHERE id = @id AND version = @version AND revoked_at IS NULL
RETURNING *;
