-- name: CreateRatePlan :one
INSERT INTO rate_plans (id, hotel_id, room_type_id, name, cancellation_penalties, refundable, deposit_kind, deposit_percent)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: GetRatePlan :one
SELECT * FROM rate_plans WHERE id = $1;

-- name: ListRatePlansByRoomTypes :many
SELECT * FROM rate_plans WHERE room_type_id = ANY(@room_type_ids::uuid[]) ORDER BY room_type_id, id;

-- name: UpdateRatePlan :one
UPDATE rate_plans SET
    name = $3, cancellation_penalties = $4, refundable = $5, deposit_kind = $6, deposit_percent = $7,
    version = version + 1, updated_at = now()
WHERE id = $1 AND version = $2
RETURNING *;

-- name: TouchRatePlan :exec
-- Bumps the rate plan's version so concurrent readers see that its prices moved.
UPDATE rate_plans SET version = version + 1, updated_at = now() WHERE id = $1;

-- name: SetRates :execrows
-- Upserts one price for every night from..to inclusive.
INSERT INTO nightly_rates (rate_plan_id, night, amount, hotel_id, room_type_id)
SELECT rp.id, d::date, @amount, rp.hotel_id, rp.room_type_id
FROM rate_plans rp
CROSS JOIN generate_series(@from_night::date, @to_night::date, interval '1 day') AS d
WHERE rp.id = @rate_plan_id
ON CONFLICT (rate_plan_id, night)
DO UPDATE SET amount = EXCLUDED.amount, version = nightly_rates.version + 1, updated_at = now();

-- name: ListRates :many
SELECT night, amount FROM nightly_rates
WHERE rate_plan_id = @rate_plan_id AND night BETWEEN @from_night AND @to_night
ORDER BY night;

-- name: GetRatePlans :many
SELECT * FROM rate_plans WHERE id = ANY(@ids::uuid[]);

-- name: ListRatePlansAtHotel :many
-- Those of the rate plans that belong to the hotel, each with its room type
-- and the hotel: what a quote or a hold reads of the catalog, in one query.
SELECT sqlc.embed(hotels), sqlc.embed(rate_plans), sqlc.embed(room_types)
FROM rate_plans
JOIN room_types ON room_types.id = rate_plans.room_type_id
JOIN hotels ON hotels.id = rate_plans.hotel_id
WHERE rate_plans.hotel_id = @hotel_id AND rate_plans.id = ANY(@rate_plan_ids::uuid[]);
