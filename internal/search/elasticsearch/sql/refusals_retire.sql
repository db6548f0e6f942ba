-- Forgets the refusals of indices a rebuild retired ($1): they are gone.
DELETE FROM search_index_refusals WHERE index_name = ANY ($1::text[])
