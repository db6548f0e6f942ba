-- The room types and hotels of rate plans, for nightly rates.
-- $1 rate plan ids
SELECT id, room_type_id, hotel_id FROM rate_plans WHERE id = ANY($1::uuid[]);
