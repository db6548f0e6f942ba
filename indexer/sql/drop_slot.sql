-- Drops a replication slot that is not in use.
-- $1 slot name
SELECT pg_drop_replication_slot($1);
