-- +goose Up
-- Indicative rates of two more currencies hotels price in (the demo catalog
-- has hotels in Windhoek and Havana), so their prices convert like any other.
-- Rows an admin already set are left alone.
INSERT INTO exchange_rates (currency, per_usd, minor_digits) VALUES
    ('NAD', 18.5, 2), ('CUP', 120, 2)
ON CONFLICT (currency) DO NOTHING;

-- +goose Down
DELETE FROM exchange_rates WHERE currency IN ('NAD', 'CUP');
