-- The replication slot as the server sees it, or no row when it is missing.
-- lost: WAL it needed was removed (max_slot_wal_keep_size), so it cannot
-- stream any more and must be recreated.
-- $1 slot name
SELECT s.plugin, s.slot_type, coalesce(s.database, ''), coalesce(s.database = current_database(), false),
       s.active_pid, coalesce(s.wal_status = 'lost', false),
       coalesce(s.confirmed_flush_lsn, '0/0'::pg_lsn)::text
FROM pg_replication_slots s
WHERE s.slot_name = $1;
