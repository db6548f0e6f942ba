-- The hotels of room types, for changes keyed by room type (inventory).
-- $1 room type ids
SELECT id, hotel_id FROM room_types WHERE id = ANY($1::uuid[]);
