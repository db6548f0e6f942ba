-- The audit log is read newest first, in pages of entries older than
-- @before (the largest id to start from the newest). One query per filter,
-- so each keeps its own index plan.

-- name: ListAuditLog :many
SELECT * FROM audit_log
WHERE id < @before
ORDER BY id DESC
LIMIT @page_size;

-- name: ListAuditLogOfEntity :many
SELECT * FROM audit_log
WHERE entity = @entity AND id < @before
ORDER BY id DESC
LIMIT @page_size;

-- name: ListAuditLogOfRow :many
SELECT * FROM audit_log
WHERE entity = @entity AND entity_id = @entity_id AND id < @before
ORDER BY id DESC
LIMIT @page_size;
