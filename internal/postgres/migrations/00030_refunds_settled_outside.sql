-- +goose Up
-- A refund the provider refused (FAILED) is paid back by staff outside
-- staygraph (the provider's dashboard, a bank transfer). settleRefundOutside
-- records that: the refund becomes SETTLED_OUTSIDE with what was paid that
-- way (settlement_amount: its amount less the parts the provider did pay),
-- the transfer's or dashboard's reference, a note, who recorded it and when.
-- The booking's ledger counts settlement_amount as given back, and the
-- staygraph_refunds gauge (PENDING and FAILED) no longer counts the refund.
ALTER TABLE refunds
    DROP CONSTRAINT refunds_status_check,
    ADD CONSTRAINT refunds_status_check CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED', 'SETTLED_OUTSIDE')),
    ADD COLUMN settlement_amount    bigint      NOT NULL DEFAULT 0 CHECK (settlement_amount >= 0),
    ADD COLUMN settlement_reference text        NOT NULL DEFAULT '',
    ADD COLUMN settlement_note      text        NOT NULL DEFAULT '',
    ADD COLUMN settled_by           text        NOT NULL DEFAULT '',
    ADD COLUMN settled_at           timestamptz,
    ADD CONSTRAINT refunds_settlement_check CHECK (
        (status = 'SETTLED_OUTSIDE') = (settled_at IS NOT NULL)
        AND (settled_at IS NULL OR (settlement_reference <> '' AND settled_by <> '')));

-- +goose Down
-- The settled refunds go back to FAILED; the audit trail keeps what was
-- recorded of their settlement.
ALTER TABLE refunds DROP CONSTRAINT refunds_settlement_check;
UPDATE refunds SET status = 'FAILED', version = version + 1, updated_at = now() WHERE status = 'SETTLED_OUTSIDE';
ALTER TABLE refunds
    DROP COLUMN settled_at,
    DROP COLUMN settled_by,
    DROP COLUMN settlement_note,
    DROP COLUMN settlement_reference,
    DROP COLUMN settlement_amount,
    DROP CONSTRAINT refunds_status_check,
    ADD CONSTRAINT refunds_status_check CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED'));
