-- name: CreatePayment :one
INSERT INTO payments (id, booking_id, provider, idempotency_key, amount, currency, status)
VALUES ($1, $2, $3, $4, $5, $6, 'PENDING')
RETURNING *;

-- name: CompletePayment :one
-- Records the provider's answer about an attempt whose outcome is not in
-- yet. No row when one is (another reconciliation recorded it first, and
-- the booking may have moved on since: a refund): an answer read before
-- it must not write over it.
UPDATE payments SET status = @status, provider_ref = @provider_ref, captured_amount = @captured_amount,
    failure_code = @failure_code, failure_message = @failure_message, version = version + 1, updated_at = now()
WHERE id = @id AND status IN ('PENDING', 'UNKNOWN')
RETURNING *;

-- name: ListPayments :many
SELECT * FROM payments WHERE booking_id = ANY(@booking_ids::uuid[]) ORDER BY booking_id, created_at;

-- name: CreateRefund :one
INSERT INTO refunds (id, booking_id, amount, currency, status, reason)
VALUES ($1, $2, $3, $4, 'PENDING', $5)
RETURNING *;

-- name: ListRefunds :many
SELECT * FROM refunds WHERE booking_id = ANY(@booking_ids::uuid[]) ORDER BY booking_id, created_at;

-- name: GetPaymentByKey :one
SELECT * FROM payments WHERE idempotency_key = $1;

-- name: CapturedAmount :one
-- What a booking's payments took (booking.captured sums the same for a
-- loaded booking).
SELECT coalesce(sum(captured_amount), 0)::bigint FROM payments
WHERE booking_id = $1 AND status IN ('CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED');

-- name: HasPaymentUnderWay :one
-- Whether an attempt on the booking still awaits its outcome.
SELECT EXISTS (SELECT 1 FROM payments WHERE booking_id = $1 AND status IN ('PENDING', 'UNKNOWN')) AS under_way;

-- name: GetPayment :one
SELECT * FROM payments WHERE id = $1;

-- name: LockPayment :one
SELECT * FROM payments WHERE id = $1 FOR UPDATE;

-- name: GetRefund :one
SELECT * FROM refunds WHERE id = $1 FOR UPDATE;

-- name: RefundablePayments :many
-- Captured payments of a booking with money left to refund, oldest first,
-- net of what other refunds' pending parts have planned to pay back (run
-- with the booking locked, so that the sums see every committed plan).
SELECT p.id, (p.captured_amount - p.refunded_amount - coalesce((
           SELECT sum(rp.amount) FROM refund_parts rp WHERE rp.payment_id = p.id AND rp.status = 'PENDING'), 0))::bigint AS refundable
FROM payments p
WHERE p.booking_id = $1 AND p.status IN ('CAPTURED', 'PARTIALLY_REFUNDED') AND p.captured_amount > p.refunded_amount
ORDER BY p.created_at, p.id
FOR UPDATE OF p;

-- name: CreateRefundPart :exec
INSERT INTO refund_parts (id, refund_id, payment_id, amount) VALUES ($1, $2, $3, $4);

-- name: RefundParts :many
-- A refund's parts in the order they are paid, with the charges they go back on.
SELECT rp.id, rp.payment_id, rp.amount, rp.status, p.provider, p.provider_ref AS charge_ref, p.currency
FROM refund_parts rp JOIN payments p ON p.id = rp.payment_id
WHERE rp.refund_id = $1
ORDER BY p.created_at, p.id;

-- name: FinishRefundPart :execrows
-- Records a part's outcome once: a retry that finds it settled changes nothing.
UPDATE refund_parts SET status = @status, provider_ref = @provider_ref, failure_message = @failure_message, updated_at = now()
WHERE id = @id AND status = 'PENDING';

-- name: FailPendingRefundParts :exec
-- Gives back what a refund that failed still had planned.
UPDATE refund_parts SET status = 'FAILED', failure_message = @failure_message, updated_at = now()
WHERE refund_id = @refund_id AND status = 'PENDING';

-- name: RecordPaymentRefund :exec
UPDATE payments SET refunded_amount = refunded_amount + @amount,
    status = CASE WHEN refunded_amount + @amount >= captured_amount THEN 'REFUNDED' ELSE 'PARTIALLY_REFUNDED' END,
    version = version + 1, updated_at = now()
WHERE id = @id;

-- name: FinishRefund :exec
UPDATE refunds SET status = @status, failure_message = @failure_message, attempts = attempts + 1,
    version = version + 1, updated_at = now()
WHERE id = @id;

-- name: Ledgers :many
-- Money of bookings: captured − refunded = kept. Refunded is what the
-- providers paid back and what staff paid back outside staygraph. One row
-- per booking that exists, in its currency.
SELECT b.id AS booking_id, b.currency,
       coalesce((SELECT sum(p.captured_amount) FROM payments p WHERE p.booking_id = b.id), 0)::bigint AS captured,
       (coalesce((SELECT sum(p.refunded_amount) FROM payments p WHERE p.booking_id = b.id), 0)
        + coalesce((SELECT sum(r.settlement_amount) FROM refunds r
                    WHERE r.booking_id = b.id AND r.status = 'SETTLED_OUTSIDE'), 0))::bigint AS refunded
FROM bookings b WHERE b.id = ANY(@booking_ids::uuid[]);

-- name: RefundBooking :one
SELECT booking_id FROM refunds WHERE id = $1;

-- name: SettleRefundOutside :one
-- Records that staff paid a FAILED refund, or a PENDING one whose job gave
-- up, back outside staygraph: what the provider did not pay of it. No row
-- when the refund is neither (another request settled it first). The note
-- is sealed (NULL for none).
UPDATE refunds r SET status = 'SETTLED_OUTSIDE',
    settlement_amount = r.amount - (SELECT coalesce(sum(rp.amount), 0) FROM refund_parts rp
                                    WHERE rp.refund_id = r.id AND rp.status = 'SUCCEEDED'),
    settlement_reference = @reference, settlement_note_enc = @note_enc, settled_by = @settled_by, settled_at = now(),
    version = r.version + 1, updated_at = now()
WHERE r.id = @id AND r.status IN ('FAILED', 'PENDING')
RETURNING *;

-- name: CountRefundNotesToRotate :one
-- Settlement notes sealed with another key, and notes servers of the
-- release before 00038 wrote in plaintext during a rolling deploy.
SELECT count(*) FROM refunds
WHERE substr(settlement_note_enc, 1, length(@header::bytea)) <> @header::bytea
   OR settlement_note <> '';

-- name: LockRefundNotesToRotate :many
-- The next batch of due settlement notes after @after, locked; rows the API
-- has locked are skipped (a later pass takes them).
SELECT id, settlement_note, settlement_note_enc FROM refunds
WHERE id > @after::uuid
  AND (substr(settlement_note_enc, 1, length(@header::bytea)) <> @header::bytea OR settlement_note <> '')
ORDER BY id
LIMIT @batch_size
FOR UPDATE SKIP LOCKED;

-- name: RotateRefundNote :execrows
-- A re-sealed (or newly sealed) settlement note, the plaintext emptied; the
-- old values are the optimistic check (a note is written once, when the
-- refund is settled).
UPDATE refunds SET settlement_note_enc = @note_enc, settlement_note = ''
WHERE id = @id AND settlement_note_enc IS NOT DISTINCT FROM @old_note_enc AND settlement_note = @old_note;
