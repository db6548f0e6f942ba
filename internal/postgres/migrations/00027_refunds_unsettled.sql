-- +goose Up
-- The staygraph_refunds gauge counts the refunds not paid back: PENDING
-- (being paid, retried) and FAILED (the provider refused; staff settle
-- it). Few, while the paid ones grow with every cancellation.
CREATE INDEX IF NOT EXISTS refunds_unsettled_idx ON refunds (status) WHERE status IN ('PENDING', 'FAILED');

-- +goose Down
DROP INDEX IF EXISTS refunds_unsettled_idx;
