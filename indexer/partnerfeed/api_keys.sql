-- The API keys partners name by their public prefix (revoked ones too:
-- their bookings still change).
SELECT id, prefix FROM api_keys WHERE prefix = ANY($1::text[])
