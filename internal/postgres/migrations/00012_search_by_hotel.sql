-- +goose Up
-- Search reads each candidate hotel's stay with one range scan per table
-- instead of index probes per room type and rate plan (a big city's query
-- visits ~1,000 room types): inventory and nightly rates carry the hotel's id
-- (and a rate its room type's), which never change for a row — a room type
-- never moves to another hotel, nor a rate plan to another room type.
ALTER TABLE inventory ADD COLUMN hotel_id uuid;
UPDATE inventory i SET hotel_id = rt.hotel_id FROM room_types rt WHERE rt.id = i.room_type_id;
ALTER TABLE inventory ALTER COLUMN hotel_id SET NOT NULL;
-- Without capacity and reserved in the index: a hold's update of reserved
-- stays a HOT update that writes no index entry.
CREATE INDEX inventory_hotel_night_idx ON inventory (hotel_id, night, room_type_id);

ALTER TABLE nightly_rates ADD COLUMN hotel_id uuid, ADD COLUMN room_type_id uuid;
UPDATE nightly_rates nr SET hotel_id = rp.hotel_id, room_type_id = rp.room_type_id
FROM rate_plans rp WHERE rp.id = nr.rate_plan_id;
ALTER TABLE nightly_rates ALTER COLUMN hotel_id SET NOT NULL, ALTER COLUMN room_type_id SET NOT NULL;
-- Rates change only when a hotel sets prices: search reads them from the
-- index alone.
CREATE INDEX nightly_rates_hotel_night_idx ON nightly_rates (hotel_id, night, room_type_id, rate_plan_id) INCLUDE (amount);

-- +goose Down
DROP INDEX nightly_rates_hotel_night_idx;
ALTER TABLE nightly_rates DROP COLUMN hotel_id, DROP COLUMN room_type_id;
DROP INDEX inventory_hotel_night_idx;
ALTER TABLE inventory DROP COLUMN hotel_id;
