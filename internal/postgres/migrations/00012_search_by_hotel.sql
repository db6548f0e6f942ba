-- +goose Up
-- Search reads each candidate hotel's stay with one range scan per table
-- instead of index probes per room type and rate plan (a big city's query
-- visits ~1,000 room types): inventory and nightly rates carry the hotel's id
-- (and a rate its room type's). Foreign keys over the copied columns keep
-- them true: a row names the hotel (and room type) of its room type (rate
-- plan), a rate plan its room type's hotel, and those columns of a
-- referenced row cannot change. They replace the single-column keys, so
-- writes check as many keys as before.
ALTER TABLE room_types ADD CONSTRAINT room_types_id_hotel_key UNIQUE (id, hotel_id);
-- a rate plan's hotel is its room type's
ALTER TABLE rate_plans DROP CONSTRAINT rate_plans_room_type_id_fkey,
    ADD CONSTRAINT rate_plans_room_type_fkey FOREIGN KEY (room_type_id, hotel_id)
        REFERENCES room_types (id, hotel_id) ON DELETE CASCADE,
    ADD CONSTRAINT rate_plans_id_room_type_hotel_key UNIQUE (id, room_type_id, hotel_id);

ALTER TABLE inventory ADD COLUMN hotel_id uuid;
UPDATE inventory i SET hotel_id = rt.hotel_id FROM room_types rt WHERE rt.id = i.room_type_id;
ALTER TABLE inventory ALTER COLUMN hotel_id SET NOT NULL,
    DROP CONSTRAINT inventory_room_type_id_fkey,
    ADD CONSTRAINT inventory_room_type_fkey FOREIGN KEY (room_type_id, hotel_id)
        REFERENCES room_types (id, hotel_id) ON DELETE CASCADE;
-- Without capacity and reserved in the index: a hold's update of reserved
-- stays a HOT update that writes no index entry.
CREATE INDEX inventory_hotel_night_idx ON inventory (hotel_id, night, room_type_id);

ALTER TABLE nightly_rates ADD COLUMN hotel_id uuid, ADD COLUMN room_type_id uuid;
UPDATE nightly_rates nr SET hotel_id = rp.hotel_id, room_type_id = rp.room_type_id
FROM rate_plans rp WHERE rp.id = nr.rate_plan_id;
ALTER TABLE nightly_rates ALTER COLUMN hotel_id SET NOT NULL, ALTER COLUMN room_type_id SET NOT NULL,
    DROP CONSTRAINT nightly_rates_rate_plan_id_fkey,
    ADD CONSTRAINT nightly_rates_rate_plan_fkey FOREIGN KEY (rate_plan_id, room_type_id, hotel_id)
        REFERENCES rate_plans (id, room_type_id, hotel_id) ON DELETE CASCADE;
-- Rates change only when a hotel sets prices: search reads them from the
-- index alone.
CREATE INDEX nightly_rates_hotel_night_idx ON nightly_rates (hotel_id, night, room_type_id, rate_plan_id) INCLUDE (amount);

-- +goose Down
DROP INDEX nightly_rates_hotel_night_idx;
ALTER TABLE nightly_rates DROP CONSTRAINT nightly_rates_rate_plan_fkey,
    ADD CONSTRAINT nightly_rates_rate_plan_id_fkey FOREIGN KEY (rate_plan_id) REFERENCES rate_plans (id) ON DELETE CASCADE;
ALTER TABLE nightly_rates DROP COLUMN hotel_id, DROP COLUMN room_type_id;
DROP INDEX inventory_hotel_night_idx;
ALTER TABLE inventory DROP CONSTRAINT inventory_room_type_fkey,
    ADD CONSTRAINT inventory_room_type_id_fkey FOREIGN KEY (room_type_id) REFERENCES room_types (id) ON DELETE CASCADE;
ALTER TABLE inventory DROP COLUMN hotel_id;
ALTER TABLE rate_plans DROP CONSTRAINT rate_plans_id_room_type_hotel_key,
    DROP CONSTRAINT rate_plans_room_type_fkey,
    ADD CONSTRAINT rate_plans_room_type_id_fkey FOREIGN KEY (room_type_id) REFERENCES room_types (id) ON DELETE CASCADE;
ALTER TABLE room_types DROP CONSTRAINT room_types_id_hotel_key;
