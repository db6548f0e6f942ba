-- Room types of the hotels to index and their rooms in service (a column a
-- trigger on rooms keeps): the most
-- units a night can offer (search.sql's "least(rooms in service, ...)").
-- $1 hotel ids
SELECT rt.id, rt.hotel_id, rt.max_adults::int, rt.max_children::int, rt.max_occupancy::int,
       rt.rooms_in_service AS units
FROM room_types rt
WHERE rt.hotel_id = ANY($1::uuid[])
ORDER BY rt.hotel_id, rt.id;
