-- Payments whose outcome is not in, for the staygraph_payments gauge, each
-- status with its count even when 0 (an alert on a rise sees the first one):
-- PENDING (the provider being asked, or the process that asked stopped) and
-- UNKNOWN (being reconciled with the provider), from their partial index
-- (payments_unsettled_idx).
SELECT s.status, (SELECT count(*) FROM payments p WHERE p.status = s.status AND p.status IN ('PENDING', 'UNKNOWN'))
FROM unnest(ARRAY['PENDING', 'UNKNOWN']) AS s(status);
