-- The consumers of a slot that a process streaming it does not run: they
-- miss what it streams, so their state no longer holds.
-- $1 slot name, $2 the consumers the process runs
DELETE FROM indexer_snapshots WHERE slot_name = $1 AND NOT (consumer = ANY ($2::text[]));
