-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys WHERE principal = $1 AND key = $2;

-- name: SaveIdempotencyKey :exec
INSERT INTO idempotency_keys (principal, key, operation, request_hash, booking_id)
VALUES ($1, $2, $3, $4, $5);
