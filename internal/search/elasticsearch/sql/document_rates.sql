-- The cheapest and dearest nightly rate of any rate plan, per room type and
-- night of the window [from, to). A night missing here has no rate at all.
-- $1 hotel ids, $2 from night, $3 to night (exclusive)
SELECT rp.room_type_id, nr.night, min(nr.amount)::bigint AS lowest, max(nr.amount)::bigint AS highest
FROM rate_plans rp
JOIN nightly_rates nr ON nr.rate_plan_id = rp.id
WHERE rp.hotel_id = ANY($1::uuid[]) AND nr.night >= $2::date AND nr.night < $3::date
GROUP BY rp.room_type_id, nr.night;
