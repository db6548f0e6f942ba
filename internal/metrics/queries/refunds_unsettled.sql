-- Refunds not paid back, for the staygraph_refunds gauge: PENDING (being
-- paid, retried) and FAILED (refused; staff settle it), from their partial
-- index (refunds_unsettled_idx).
SELECT status, count(*) FROM refunds WHERE status IN ('PENDING', 'FAILED') GROUP BY status;
