-- What a slot costs the server: how far its confirmed position is behind
-- the current WAL, and how much WAL it keeps from being recycled.
-- $1 slot name
SELECT s.active, s.active_pid, coalesce(s.confirmed_flush_lsn, '0/0'::pg_lsn)::text, pg_current_wal_lsn()::text,
       coalesce((pg_current_wal_lsn() - s.confirmed_flush_lsn)::bigint, 0),
       coalesce((pg_current_wal_lsn() - s.restart_lsn)::bigint, 0),
       coalesce(s.wal_status, ''), s.safe_wal_size
FROM pg_replication_slots s
WHERE s.slot_name = $1;
