-- The server's wal_level: the change stream needs 'logical'.
SELECT current_setting('wal_level');
