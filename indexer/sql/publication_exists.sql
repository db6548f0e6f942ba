-- Whether the publication exists in this database (migration 00009).
-- $1 publication name
SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1);
