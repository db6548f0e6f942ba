-- +goose Up
-- A hotel's guests in the house (Hotel.inHouse), by id for its cursor: one
-- range of the stays in progress. Without it the planner may walk the
-- hotel's whole history (bookings_hotel_id_idx), every hotel's guests in
-- the house (bookings_live_status_idx) or the hotel's future book
-- (bookings_hotel_live_stay_idx), whichever the statistics favour.
CREATE INDEX IF NOT EXISTS bookings_in_house_idx ON bookings (hotel_id, id) WHERE status = 'CHECKED_IN';

-- +goose Down
DROP INDEX IF EXISTS bookings_in_house_idx;
