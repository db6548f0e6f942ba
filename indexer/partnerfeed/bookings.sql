-- The bookings of a batch of changes that partners' API keys made ($2:
-- their owners), as they are now: what booking.changed events tell.
SELECT id, owner, reference, status, hotel_id, check_in, check_out, version, relocation_required, updated_at
FROM bookings
WHERE id = ANY($1::uuid[]) AND owner = ANY($2::text[])
