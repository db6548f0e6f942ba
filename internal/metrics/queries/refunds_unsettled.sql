-- Refunds not paid back, for the staygraph_refunds gauge, each status with
-- its count even when 0 (an alert on a rise sees the first one): PENDING
-- (being paid, retried) and FAILED (refused, until staff record it settled
-- outside staygraph: SETTLED_OUTSIDE is paid back), from their
-- partial index (refunds_unsettled_idx).
SELECT s.status, (SELECT count(*) FROM refunds r WHERE r.status = s.status AND r.status IN ('PENDING', 'FAILED'))
FROM unnest(ARRAY['PENDING', 'FAILED']) AS s(status);
