-- +goose Up
-- The staygraph_payments gauge counts the payments whose outcome is not in:
-- PENDING (the provider being asked, or the process that asked stopped) and
-- UNKNOWN (being reconciled with the provider). Few, while the settled ones
-- grow with every booking.
CREATE INDEX IF NOT EXISTS payments_unsettled_idx ON payments (status) WHERE status IN ('PENDING', 'UNKNOWN');

-- +goose Down
DROP INDEX IF EXISTS payments_unsettled_idx;
