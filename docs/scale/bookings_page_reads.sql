-- The five page reads of bookings_pages.sql, with the prepared statement
-- named in :pages.
\echo 'a quiet hotel''s newest page'
EXECUTE :pages(ARRAY[:'quiet']::uuid[], NULL, 51) \g /dev/null
\echo 'the busiest hotel''s newest page'
EXECUTE :pages(ARRAY[:'busy']::uuid[], NULL, 51) \g /dev/null
\echo 'the 50 busiest hotels, the newest page'
EXECUTE :pages(:'busiest50'::uuid[], NULL, 51) \g /dev/null
\echo 'the 50 busiest hotels, a page deep in their history'
EXECUTE :pages(:'busiest50'::uuid[], :'deep', 51) \g /dev/null
\echo '50 hotels of every size, the newest page'
EXECUTE :pages(:'any50'::uuid[], NULL, 51) \g /dev/null
