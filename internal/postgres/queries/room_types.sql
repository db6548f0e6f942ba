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

-- name: LockRoomTypeForUpdate :exec
-- Waits for bookings being inserted with this room type (their key share)
-- and holds off new ones until the caller commits.
SELECT id FROM room_types WHERE id = $1 FOR UPDATE;

-- name: PartiesBeyondRoomType :many
-- Rooms of live bookings of a room type whose party the limits given do
-- not house, earliest stays first: held (a lapsed hold too, until its
-- expiry releases it: a confirmation checked before it lapsed may still
-- commit), confirmed or checked in, for a stay not over at the hotel's
-- business date @today (a stay whose last night is over is not live, even
-- when the desk never closed it). The rooms that hold their units, and
-- those of bookings flagged for relocation, which will claim theirs back.
-- From the hotel's live stays (bookings_hotel_live_stay_idx), not from
-- every room the room type ever sold (a checked-out stay's room still
-- counts its unit: booking_rooms_type_idx grows with the room type's
-- history), and with the date a parameter, which the planner can weigh.
SELECT b.check_in, b.reference, br.adults, cardinality(br.child_ages)::int AS children
FROM bookings b
JOIN booking_rooms br ON br.booking_id = b.id
WHERE b.hotel_id = @hotel_id AND b.status IN ('HELD', 'CONFIRMED', 'CHECKED_IN')
  AND b.check_out > @today::date
  AND br.room_type_id = @room_type_id AND (br.holds_inventory OR b.relocation_required)
  AND (br.adults > @max_adults::int OR cardinality(br.child_ages) > @max_children::int
       OR br.adults + cardinality(br.child_ages) > @max_occupancy::int)
ORDER BY 1, 2
LIMIT 5;

-- name: RoomTypeLimitsForKeyShare :many
-- A hold's room types' limits as they are now, kept until it commits: a
-- change of limits (LockRoomTypeForUpdate) waits for the hold, or the hold
-- reads the limits it set.
SELECT id, name, max_adults, max_children, max_occupancy
FROM room_types WHERE id = ANY(@ids::uuid[])
ORDER BY id
FOR KEY SHARE;
