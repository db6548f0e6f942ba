-- The server's current WAL position. As the first statement of a
-- repeatable-read transaction it bounds the commits the transaction sees.
SELECT pg_current_wal_lsn()::text;
