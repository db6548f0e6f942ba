-- +goose Up
-- Refunds are paid back against the captured payments they concern; each
-- payment tracks how much of it was refunded, so captured − refunded = kept.
ALTER TABLE payments ADD COLUMN refunded_amount bigint NOT NULL DEFAULT 0
    CHECK (refunded_amount >= 0 AND refunded_amount <= captured_amount);
ALTER TABLE refunds ADD COLUMN failure_message text NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN attempts integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE refunds DROP COLUMN attempts;
ALTER TABLE refunds DROP COLUMN failure_message;
ALTER TABLE payments DROP COLUMN refunded_amount;
