-- name: CreateRoomType :one
INSERT INTO room_types (id, hotel_id, name, description, max_adults, max_children, max_occupancy, beds, amenities)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING *;

-- name: GetRoomType :one
SELECT * FROM room_types WHERE id = $1;

-- name: ListRoomTypesByHotels :many
SELECT * FROM room_types WHERE hotel_id = ANY(@hotel_ids::uuid[]) ORDER BY hotel_id, id;

-- name: GetRoomTypes :many
SELECT * FROM room_types WHERE id = ANY(@ids::uuid[]);

-- name: UpdateRoomType :one
UPDATE room_types SET
    name = $3, description = $4, max_adults = $5, max_children = $6, max_occupancy = $7,
    beds = $8, amenities = $9, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $2
RETURNING *;

-- name: CountRoomsInService :many
SELECT room_type_id, count(*) FILTER (WHERE in_service)::int AS in_service
FROM rooms WHERE room_type_id = ANY(@room_type_ids::uuid[])
GROUP BY room_type_id;
