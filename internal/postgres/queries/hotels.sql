-- name: CreateHotel :one
INSERT INTO hotels (id, name, description, time_zone, latitude, longitude, address_line1, address_line2,
                    city, postal_code, country_code, star_rating, amenities, currency,
                    check_in_time, check_out_time, tax_rate_bps)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
RETURNING *;

-- name: GetHotel :one
SELECT * FROM hotels WHERE id = $1;

-- name: GetHotels :many
SELECT * FROM hotels WHERE id = ANY(@ids::uuid[]);

-- name: ListHotels :many
-- Keyset page in id order (ids are UUIDv7, so this is creation order).
SELECT * FROM hotels
WHERE id > coalesce(sqlc.narg(after)::uuid, '00000000-0000-0000-0000-000000000000')
ORDER BY id
LIMIT @page_size;

-- name: CountHotels :one
SELECT count(*) FROM hotels;

-- name: UpdateHotel :one
-- Optimistic update: no row comes back when the version moved on.
UPDATE hotels SET
    name = $3, description = $4, time_zone = $5, latitude = $6, longitude = $7,
    address_line1 = $8, address_line2 = $9, city = $10, postal_code = $11, country_code = $12,
    star_rating = $13, amenities = $14, currency = $15, check_in_time = $16, check_out_time = $17,
    tax_rate_bps = $18, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $2
RETURNING *;

-- name: HotelHasAmounts :one
-- Whether amounts in the hotel's currency are stored: nightly rates or
-- bookings.
SELECT EXISTS (SELECT 1 FROM nightly_rates nr WHERE nr.hotel_id = sqlc.arg(id)::uuid)
    OR EXISTS (SELECT 1 FROM bookings b WHERE b.hotel_id = sqlc.arg(id)::uuid) AS has_amounts;

-- name: LockHotelForAmounts :exec
-- With LockRatePlansForAmounts: locks the hotel and its rate plans against
-- new bookings and rates, whose foreign keys take KEY SHARE locks that FOR
-- UPDATE waits for and then blocks, so that whether the hotel has amounts
-- stays true until the transaction ends.
SELECT 1 FROM hotels WHERE id = $1 FOR UPDATE;

-- name: LockRatePlansForAmounts :exec
SELECT 1 FROM rate_plans WHERE hotel_id = $1 FOR UPDATE;

-- name: HasExchangeRate :one
-- Whether amounts in currency can be converted (search prices and sorts
-- hotels of every currency through the exchange rates).
SELECT EXISTS (SELECT 1 FROM exchange_rates WHERE currency = sqlc.arg(currency)::text) AS known;

-- name: IsCountryCode :one
-- Whether code names a country (country_name, migration 00013, knows it).
SELECT country_name(sqlc.arg(code)::text) <> '' AS known;
