-- Units still free per room type and night of the window [from, to). A night
-- without a row has nothing reserved and every room in service free.
-- $1 hotel ids, $2 from night, $3 to night (exclusive)
SELECT i.room_type_id, i.night, (i.capacity - i.reserved)::int AS free
FROM inventory i
JOIN room_types rt ON rt.id = i.room_type_id
WHERE rt.hotel_id = ANY($1::uuid[]) AND i.night >= $2::date AND i.night < $3::date;
