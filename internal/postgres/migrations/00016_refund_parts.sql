-- +goose Up
-- A refund is paid back in parts, one per captured payment it draws on,
-- planned in one short transaction and paid outside any: a provider that
-- is slow or down no longer holds row locks or a pooled connection while
-- it answers. A PENDING part reserves its amount of the payment, so that
-- no other refund plans the same money meanwhile.
CREATE TABLE refund_parts (
    id              uuid PRIMARY KEY,
    refund_id       uuid        NOT NULL REFERENCES refunds (id),
    payment_id      uuid        NOT NULL REFERENCES payments (id),
    amount          bigint      NOT NULL CHECK (amount > 0),
    status          text        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
    provider_ref    text        NOT NULL DEFAULT '',
    failure_message text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (refund_id, payment_id)
);
CREATE INDEX refund_parts_pending_idx ON refund_parts (payment_id) WHERE status = 'PENDING';

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON refund_parts
    FOR EACH ROW EXECUTE FUNCTION audit_row('updated_at');

-- +goose Down
DROP TABLE refund_parts;
