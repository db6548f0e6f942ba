-- name: CreateRoom :one
INSERT INTO rooms (id, hotel_id, room_type_id, number)
VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: RoomTypeHasRooms :one
-- Whether a room type has any room, in service or not.
SELECT EXISTS (SELECT FROM rooms WHERE room_type_id = $1)::bool;

-- name: GetRoom :one
SELECT * FROM rooms WHERE id = $1;

-- name: ListRoomsByHotels :many
SELECT * FROM rooms WHERE hotel_id = ANY(@hotel_ids::uuid[]) ORDER BY hotel_id, number;

-- name: SetRoomService :one
UPDATE rooms SET in_service = $3, service_note = $4, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $2
RETURNING *;
