-- +goose Up
-- Typos are now looked up among every dictionary word of about the query
-- word's length (a wrong first letter is forgiven, as Elasticsearch's
-- fuzziness does): the index by first letter no longer serves.
DROP INDEX search_words_by_initial;

-- +goose Down
CREATE INDEX search_words_by_initial ON search_words (left(word, 1), length(word));
