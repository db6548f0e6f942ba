-- The WAL position of this transaction's snapshot, as a number: documents
-- built from the snapshot carry it as their version, so a document built
-- later (from a later snapshot) always wins in the index.
SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END
        - '0/0'::pg_lsn)::bigint;
