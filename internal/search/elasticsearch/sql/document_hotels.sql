-- Hotels to index, with the exchange rate of their currency (NULL when the
-- currency has none: its prices then cannot be compared across currencies).
-- $1 hotel ids
SELECT h.id, h.name, h.description, h.city, h.country_code, country_name(h.country_code), h.latitude, h.longitude,
       h.star_rating::int, h.amenities, h.currency::text, h.time_zone, h.tax_rate_bps,
       x.per_usd::float8 AS per_usd, x.minor_digits::int AS minor_digits
FROM hotels h
LEFT JOIN exchange_rates x ON x.currency = h.currency
WHERE h.id = ANY($1::uuid[])
ORDER BY h.id;
