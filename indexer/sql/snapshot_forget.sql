-- A new slot: no consumer holds the state of its stream yet.
-- $1 slot name
DELETE FROM indexer_snapshots WHERE slot_name = $1;
