-- +goose Up
-- Free text matches without its accents, as Elasticsearch's folding
-- analyzer does: "lodz" finds Łódź, "ha noi" Hà Nội. search_fold is the
-- one spelling of the folding, for the hotels' text, the dictionary of
-- their words and the words searched; unaccent is only stable (its
-- dictionary could change), so the wrapper that names its dictionary is
-- declared immutable, as generated columns and indexes need.
CREATE EXTENSION IF NOT EXISTS unaccent;

-- +goose StatementBegin
CREATE FUNCTION search_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN lower(unaccent('unaccent'::regdictionary, $1));
-- +goose StatementEnd

DROP INDEX hotels_search_text_idx;
ALTER TABLE hotels DROP COLUMN search_text;
ALTER TABLE hotels ADD COLUMN search_text text GENERATED ALWAYS AS
    (search_fold(name || ' ' || city || ' ' || country_code || ' ' || country_name(country_code) || ' ' || description)) STORED;
CREATE INDEX hotels_search_text_idx ON hotels USING gin (search_text gin_trgm_ops);

-- The dictionary holds the folded words now.
DELETE FROM search_words;
INSERT INTO search_words
SELECT DISTINCT w FROM hotels, regexp_split_to_table(search_text, '[\W_]+') w WHERE w <> ''
ON CONFLICT DO NOTHING;

-- +goose Down
DROP INDEX hotels_search_text_idx;
ALTER TABLE hotels DROP COLUMN search_text;
ALTER TABLE hotels ADD COLUMN search_text text GENERATED ALWAYS AS
    (lower(name || ' ' || city || ' ' || country_code || ' ' || country_name(country_code) || ' ' || description)) STORED;
CREATE INDEX hotels_search_text_idx ON hotels USING gin (search_text gin_trgm_ops);
DELETE FROM search_words;
INSERT INTO search_words
SELECT DISTINCT w FROM hotels, regexp_split_to_table(search_text, '[\W_]+') w WHERE w <> ''
ON CONFLICT DO NOTHING;
DROP FUNCTION search_fold(text);
