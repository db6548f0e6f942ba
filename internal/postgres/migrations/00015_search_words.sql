-- +goose Up
-- The words of the hotels' search text, for the typos trigram similarity
-- of a word cannot forgive (a letter off in a short word, "tokio"; two
-- letters swapped, "lodnon"): search looks up the words within the edit
-- distance Elasticsearch's fuzziness AUTO allows of each query word the
-- dictionary does not know, and matches hotels on them. Words are added
-- with the hotels' text and never removed: a stale word matches no hotel.
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

CREATE TABLE search_words (word text PRIMARY KEY);
-- Candidates share the word's first letter and about its length.
CREATE INDEX search_words_by_initial ON search_words (left(word, 1), length(word));

INSERT INTO search_words
SELECT DISTINCT w FROM hotels, regexp_split_to_table(search_text, '[\W_]+') w WHERE w <> ''
ON CONFLICT DO NOTHING;

-- +goose StatementBegin
CREATE FUNCTION search_words_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_words
    SELECT DISTINCT w FROM regexp_split_to_table(NEW.search_text, '[\W_]+') w WHERE w <> ''
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- search_text is generated from these columns (an AFTER trigger sees it).
CREATE TRIGGER search_words AFTER INSERT OR UPDATE OF name, city, country_code, description ON hotels
    FOR EACH ROW EXECUTE FUNCTION search_words_add();

-- +goose Down
DROP TRIGGER search_words ON hotels;
DROP FUNCTION search_words_add();
DROP TABLE search_words;
