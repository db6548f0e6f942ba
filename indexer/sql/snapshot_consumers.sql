-- The consumers of a slot that already hold the whole state.
-- $1 slot name
SELECT consumer FROM indexer_snapshots WHERE slot_name = $1;
