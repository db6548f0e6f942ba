-- name: EnsureInventory :exec
-- Creates the missing inventory rows of room types for nights [from, to).
-- Capacity is counted only for nights without a row: on a busy room type
-- the rows exist and this costs one index probe per night.
INSERT INTO inventory (room_type_id, night, capacity)
SELECT rt, n::date, room_type_capacity(rt, n::date)
FROM unnest(sqlc.arg(room_type_ids)::uuid[]) AS rt
CROSS JOIN generate_series(sqlc.arg(from_night)::date, sqlc.arg(to_night)::date - 1, interval '1 day') AS n
WHERE NOT EXISTS (SELECT 1 FROM inventory i WHERE i.room_type_id = rt AND i.night = n::date)
ON CONFLICT DO NOTHING;

-- name: ReadInventory :many
-- The inventory rows of room types for nights [from, to), in lock order.
SELECT room_type_id, night, capacity, reserved, version FROM inventory
WHERE room_type_id = ANY(@room_type_ids::uuid[]) AND night >= @from_night AND night < @to_night
ORDER BY room_type_id, night;

-- name: LockInventory :many
-- ReadInventory taking row locks in a fixed order, for the last attempt under contention.
SELECT room_type_id, night, capacity, reserved, version FROM inventory
WHERE room_type_id = ANY(@room_type_ids::uuid[]) AND night >= @from_night AND night < @to_night
ORDER BY room_type_id, night
FOR UPDATE;

-- name: AdjustInventory :batchone
-- Optimistic change of one night's reservations: no row comes back when the
-- version moved on since it was read. Sent as a batch, one statement per row
-- in (room type, night) order, so concurrent writers lock rows in one order.
UPDATE inventory SET reserved = reserved + @delta, version = version + 1
WHERE room_type_id = @room_type_id AND night = @night AND version = @version
RETURNING version;

-- name: ReleaseInventory :exec
-- Hands units back for nights [from, to). Releasing needs no version check:
-- it can only make room, and the row lock orders it with concurrent writers.
UPDATE inventory SET reserved = reserved - @units, version = version + 1
WHERE room_type_id = @room_type_id AND night >= @from_night AND night < @to_night;

-- name: RefreshCapacity :many
-- Recomputes capacity after rooms or blocks changed, from a night on.
-- Fails with inventory_not_oversold when a night would be oversold.
UPDATE inventory SET capacity = room_type_capacity(room_type_id, night), version = version + 1
WHERE room_type_id = @room_type_id AND night >= @from_night
  AND capacity <> room_type_capacity(room_type_id, night)
RETURNING night, capacity, reserved;

-- name: OversoldNights :many
-- Nights on which the reservations would exceed the recomputed capacity.
SELECT night, reserved, room_type_capacity(room_type_id, night) AS capacity
FROM inventory
WHERE room_type_id = @room_type_id AND night >= @from_night
  AND reserved > room_type_capacity(room_type_id, night)
ORDER BY night;

-- name: Availability :many
-- Capacity and reservations of room types for nights [from, to), including
-- nights that have no inventory row yet (stored is false for those). Each
-- night is one primary-key probe (LIMIT 1 keeps the planner from turning the
-- lookups into a scan of the whole table).
SELECT rt::uuid AS room_type_id, n::date AS night,
       coalesce(i.capacity, room_type_capacity(rt, n::date))::int AS capacity,
       coalesce(i.reserved, 0)::int AS reserved,
       (i.capacity IS NOT NULL)::bool AS stored
FROM unnest(sqlc.arg(room_type_ids)::uuid[]) AS rt
CROSS JOIN generate_series(sqlc.arg(from_night)::date, sqlc.arg(to_night)::date - 1, interval '1 day') AS n
LEFT JOIN LATERAL (SELECT capacity, reserved FROM inventory
                   WHERE room_type_id = rt AND night = n::date LIMIT 1) i ON true
ORDER BY 1, 2;

-- name: LockInventoryFrom :exec
-- Locks a room type's inventory rows from a night on, in night order, so a
-- capacity change sees every reservation that commits before it.
SELECT 1 FROM inventory WHERE room_type_id = @room_type_id AND night >= @from_night ORDER BY night FOR UPDATE;

-- name: CheckInventory :one
-- The invariants of the inventory over every night: none oversold, and each
-- night's count equal to the booked rooms holding it.
WITH held AS (
    SELECT br.room_type_id, n::date AS night, count(*) AS units
    FROM bookings bk JOIN booking_rooms br ON br.booking_id = bk.id
    CROSS JOIN generate_series(bk.check_in, bk.check_out - 1, interval '1 day') AS n
    WHERE br.holds_inventory
    GROUP BY 1, 2
)
SELECT (SELECT count(*) FROM inventory WHERE reserved > capacity)::int AS oversold,
       (SELECT count(*) FROM inventory i FULL JOIN held h USING (room_type_id, night)
        WHERE coalesce(i.reserved, 0) <> coalesce(h.units, 0))::int AS miscounted;
