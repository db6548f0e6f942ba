-- name: ListExchangeRates :many
-- Every rate, or those of the currencies given, by currency.
SELECT currency::text AS currency, per_usd::float8 AS per_usd, minor_digits, version, updated_at
FROM exchange_rates
WHERE cardinality(sqlc.arg(currencies)::text[]) = 0 OR currency = ANY (sqlc.arg(currencies)::text[])
ORDER BY currency;

-- name: SetExchangeRate :exec
-- Adds a currency's rate or changes it; an unchanged rate keeps its version.
INSERT INTO exchange_rates (currency, per_usd, minor_digits)
VALUES (sqlc.arg(currency)::text, sqlc.arg(per_usd)::float8::numeric, sqlc.arg(minor_digits)::smallint)
ON CONFLICT (currency) DO UPDATE SET per_usd = excluded.per_usd, version = exchange_rates.version + 1, updated_at = now()
WHERE exchange_rates.per_usd <> excluded.per_usd;
