-- name: CreateMaintenanceBlock :one
INSERT INTO maintenance_blocks (id, hotel_id, room_id, room_type_id, start_night, end_night, reason, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: GetMaintenanceBlock :one
SELECT * FROM maintenance_blocks WHERE id = $1;

-- name: ListMaintenanceBlocks :many
-- The blocks of hotels that take a night from each hotel's from_night on.
SELECT b.* FROM maintenance_blocks b
JOIN (SELECT unnest(@hotel_ids::uuid[]) AS hotel_id, unnest(@from_nights::date[]) AS from_night) h
  ON b.hotel_id = h.hotel_id AND b.end_night > h.from_night
ORDER BY b.hotel_id, b.start_night, b.id;

-- name: LockRoomTypes :exec
-- Serialises the changes of room types' capacity (rooms added, taken out of
-- service or put back, blocked, unblocked): each waits for the others to
-- commit, then computes capacities with their rooms and blocks. NO KEY
-- UPDATE, so holds' foreign-key checks (KEY SHARE) do not wait for it.
SELECT 1 FROM room_types WHERE id = ANY(@room_type_ids::uuid[]) ORDER BY id FOR NO KEY UPDATE;

-- name: LockRoomsForBlocks :exec
-- Locks rooms about to be blocked, in id order, so that concurrent blocks of
-- one room take turns and each sees the blocks the others committed.
SELECT 1 FROM rooms WHERE id = ANY(@room_ids::uuid[]) ORDER BY id FOR UPDATE;

-- name: OverlappingMaintenanceBlocks :many
-- Blocks of the rooms that share a night with [from, to).
SELECT * FROM maintenance_blocks
WHERE room_id = ANY(@room_ids::uuid[]) AND start_night < @to_night AND end_night > @from_night
ORDER BY start_night, id;

-- name: ShortenMaintenanceBlock :one
-- Ends a block before @end_night instead, optimistic on its version.
UPDATE maintenance_blocks SET end_night = @end_night, version = version + 1
WHERE id = @id AND version = @version AND start_night < @end_night AND end_night > @end_night
RETURNING *;

-- name: DeleteMaintenanceBlock :one
-- Removes a block, optimistic on its version.
DELETE FROM maintenance_blocks WHERE id = @id AND version = @version RETURNING *;
