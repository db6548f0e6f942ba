-- name: EnsureInventory :exec
-- Creates the missing inventory rows of room types for nights [from, to).
-- Capacity is counted only for nights without a row: on a busy room type
-- the rows exist and this costs one index probe per night.
INSERT INTO inventory (room_type_id, night, capacity, hotel_id)
SELECT rt.id, n::date, room_type_capacity(rt.id, n::date), rt.hotel_id
FROM room_types rt
CROSS JOIN generate_series(sqlc.arg(from_night)::date, sqlc.arg(to_night)::date - 1, interval '1 day') AS n
WHERE rt.id = ANY(sqlc.arg(room_type_ids)::uuid[])
  AND NOT EXISTS (SELECT 1 FROM inventory i WHERE i.room_type_id = rt.id AND i.night = n::date)
ORDER BY rt.id, n
ON CONFLICT DO NOTHING;

-- name: ReadInventory :many
-- The inventory rows of room types for nights [from, to), in lock order.
SELECT room_type_id, night, capacity, reserved, version FROM inventory
WHERE room_type_id = ANY(@room_type_ids::uuid[]) AND night >= @from_night AND night < @to_night
ORDER BY room_type_id, night;

-- name: ReserveLocked :many
-- Takes the row locks of room types' nights [from, to) in (room type, night)
-- order, so concurrent writers never deadlock, and adds each room type's
-- units to every night on which they fit. Returns every locked night,
-- whether the units fit and how many were free; a night on which they did
-- not fit is sold out, and the caller rolls back. After a wait for a lock, the rows read and updated are
-- the versions the lock holder committed.
WITH want AS (
    SELECT unnest(@room_type_ids::uuid[]) AS room_type_id, unnest(@units::int[]) AS units
), locked AS (
    SELECT i.room_type_id, i.night, i.capacity, i.reserved, i.version, w.units, (i.capacity - i.reserved >= w.units) AS fits
    FROM inventory i JOIN want w USING (room_type_id)
    WHERE i.night >= @from_night AND i.night < @to_night
    ORDER BY i.room_type_id, i.night
    FOR UPDATE OF i
), reserved AS (
    UPDATE inventory i SET capacity = l.capacity, reserved = l.reserved + l.units, version = l.version + 1
    FROM locked l
    WHERE l.fits AND i.room_type_id = l.room_type_id AND i.night = l.night
)
SELECT room_type_id, night, fits::bool AS fits, (capacity - reserved)::int AS free FROM locked ORDER BY room_type_id, night;

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

-- name: StayNights :many
-- What pricing and reserving a stay read, per room (a rate plan and its room
-- type) and night of [from, to): the plan's price (priced is false when it has
-- none) and the room type's inventory row, or, for a night without a row yet
-- (stored false), the capacity the row will get; in (room type, night)
-- order, the order writers lock inventory rows in. Each lookup is one
-- primary-key probe (LIMIT 1 keeps the planner from turning them into scans
-- of whole tables: it expects 1,000 nights from generate_series).
SELECT p.rate_plan_id::uuid AS rate_plan_id, p.room_type_id::uuid AS room_type_id, n::date AS night,
       (r.amount IS NOT NULL)::bool AS priced, coalesce(r.amount, 0)::bigint AS amount,
       coalesce(i.capacity, room_type_capacity(p.room_type_id, n::date))::int AS capacity,
       coalesce(i.reserved, 0)::int AS reserved, coalesce(i.version, 0)::bigint AS version,
       (i.capacity IS NOT NULL)::bool AS stored
FROM (SELECT unnest(sqlc.arg(rate_plan_ids)::uuid[]) AS rate_plan_id,
             unnest(sqlc.arg(room_type_ids)::uuid[]) AS room_type_id) AS p
CROSS JOIN generate_series(sqlc.arg(from_night)::date, sqlc.arg(to_night)::date - 1, interval '1 day') AS n
LEFT JOIN LATERAL (SELECT amount FROM nightly_rates
                   WHERE rate_plan_id = p.rate_plan_id AND night = n::date LIMIT 1) r ON true
LEFT JOIN LATERAL (SELECT capacity, reserved, version FROM inventory
                   WHERE room_type_id = p.room_type_id AND night = n::date LIMIT 1) i ON true
ORDER BY room_type_id, night, rate_plan_id;

-- name: LockInventoryFrom :exec
-- Locks a room type's inventory rows from a night on, in night order, so a
-- capacity change sees every reservation that commits before it.
SELECT 1 FROM inventory WHERE room_type_id = @room_type_id AND night >= @from_night ORDER BY night FOR UPDATE;

-- name: CheckInventory :one
-- The invariants of the inventory over every night: none oversold, each
-- night's count equal to the booked rooms holding it, and each night's
-- capacity equal to the room type's rooms in service and not blocked then,
-- from the hotel's business date at @now on (rooms added or taken out of
-- service change capacity from then: nights before keep the capacity they
-- were sold with).
WITH held AS (
    SELECT br.room_type_id, n::date AS night, count(*) AS units
    FROM bookings bk JOIN booking_rooms br ON br.booking_id = bk.id
    CROSS JOIN generate_series(coalesce(br.holds_from, bk.check_in), coalesce(bk.departed_on, bk.check_out) - 1, interval '1 day') AS n
    WHERE br.holds_inventory
    GROUP BY 1, 2
)
SELECT (SELECT count(*) FROM inventory WHERE reserved > capacity)::int AS oversold,
       (SELECT count(*) FROM inventory i FULL JOIN held h USING (room_type_id, night)
        WHERE coalesce(i.reserved, 0) <> coalesce(h.units, 0))::int AS miscounted,
       (SELECT count(*) FROM inventory i JOIN hotels h ON h.id = i.hotel_id
        WHERE i.night >= ((sqlc.arg(now)::timestamptz AT TIME ZONE h.time_zone) - interval '6 hours')::date
          AND i.capacity <> room_type_capacity(i.room_type_id, i.night))::int AS wrong_capacity;

-- name: LockHotelRoomTypes :exec
-- A hotel's room types, as LockRoomTypes locks them: a hotel-wide capacity
-- refresh waits for the room types' capacity changes under way.
SELECT 1 FROM room_types rt WHERE rt.hotel_id = @hotel_id ORDER BY rt.id FOR NO KEY UPDATE;

-- name: LockHotelInventoryFrom :many
-- Locks a hotel's inventory rows from a night on, in (room type, night)
-- order as holds lock them, and returns those whose reservations exceed
-- the rooms in service and not blocked: a zone corrected westwards would
-- put them back on sale oversold. MATERIALIZED: the filter must not be
-- pushed below the locks, which would then take only the rows it returns.
WITH q AS MATERIALIZED (
    SELECT inv.room_type_id, inv.night, inv.reserved, room_type_capacity(inv.room_type_id, inv.night) AS rooms
    FROM inventory inv
    WHERE inv.hotel_id = @hotel_id AND inv.night >= @from_night::date
    ORDER BY inv.room_type_id, inv.night FOR UPDATE
)
SELECT q.night, rt.name AS room_type_name, q.reserved, q.rooms
FROM q JOIN room_types rt ON rt.id = q.room_type_id
WHERE q.reserved > q.rooms
ORDER BY q.night, rt.name;

-- name: RefreshHotelCapacity :exec
-- Recomputes the capacity of a hotel's nights from a night on, their rows
-- locked first (LockHotelInventoryFrom).
UPDATE inventory SET capacity = room_type_capacity(room_type_id, night), version = version + 1
WHERE hotel_id = @hotel_id AND night >= @from_night::date
  AND capacity <> room_type_capacity(room_type_id, night);
