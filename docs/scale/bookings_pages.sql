-- The pages of bookings.sql, read with the prepared statement named in
-- :pages, first with the plans PostgreSQL makes for the values given, then
-- with the generic plan it may settle on after five executions.
\ir bookings_page_reads.sql
\echo '-- generic plans'
SET plan_cache_mode = force_generic_plan;
\ir bookings_page_reads.sql
RESET plan_cache_mode;
