-- +goose Up
-- The dictionary keeps words of up to 100 letters: a longer run of letters
-- (an encoded blob pasted into a description, a long unbroken line of Thai
-- or Chinese) is no word anyone types, and one of over ~2,700 bytes does
-- not fit the dictionary's btree index, so saving such a hotel failed.
-- Search still finds such text by trigram similarity.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_words_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_words
    SELECT DISTINCT w FROM regexp_split_to_table(NEW.search_text, '[\W_]+') w WHERE w <> '' AND length(w) <= 100
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION search_words_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_words
    SELECT DISTINCT w FROM regexp_split_to_table(NEW.search_text, '[\W_]+') w WHERE w <> ''
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
