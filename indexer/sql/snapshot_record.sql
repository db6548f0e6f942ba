-- A consumer of a slot now holds the whole state; the stream continues at lsn.
-- $1 slot name, $2 consumer, $3 lsn
INSERT INTO indexer_snapshots (slot_name, consumer, lsn) VALUES ($1, $2, $3::text::pg_lsn)
ON CONFLICT (slot_name, consumer) DO UPDATE SET lsn = excluded.lsn, taken_at = now();
