-- +goose Up
-- Reads that grew with every maintenance block and booking ever recorded
-- (measured on 2,000 hotels, 120,000 blocks over three years and 2,000,000
-- bookings: docs/benchmarks.md, "Maintenance and relocation at scale").
--
-- A room's blocks on a night: room_type_capacity (behind quotes of nights
-- without an inventory row, every hold's EnsureInventory, and the
-- OversoldNights and RefreshCapacity of a room change or block, run under
-- the room type's inventory locks) and OverlappingMaintenanceBlocks (every
-- blockRooms) scanned the whole table, the function once per night: a
-- quote 0.4-0.7 s, a block's OversoldNights 5.3 s while holds waited. By
-- room and end, a room's blocks that end after the night.
CREATE INDEX IF NOT EXISTS maintenance_blocks_room_idx ON maintenance_blocks (room_id, end_night, start_night);

-- A hotel's blocks from today on (Hotel.maintenanceBlocks): 160 ms.
CREATE INDEX IF NOT EXISTS maintenance_blocks_hotel_idx ON maintenance_blocks (hotel_id, end_night);

-- The live bookings of a hotel that a stay overlaps (BookingsHoldingNights,
-- when a room change or block oversells a night): read through
-- booking_rooms_type_idx, every room the room type ever sold that still
-- counts its unit, checked-out stays included (1.4 s on the busiest room
-- type, under the inventory locks).
CREATE INDEX IF NOT EXISTS bookings_hotel_live_stay_idx ON bookings (hotel_id, check_out)
    WHERE status IN ('HELD', 'CONFIRMED', 'CHECKED_IN');

-- +goose Down
DROP INDEX IF EXISTS bookings_hotel_live_stay_idx;
DROP INDEX IF EXISTS maintenance_blocks_hotel_idx;
DROP INDEX IF EXISTS maintenance_blocks_room_idx;
