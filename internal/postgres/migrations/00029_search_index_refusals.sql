-- +goose Up
-- Documents an Elasticsearch index refused for what they are (status 400: a
-- value the mapping cannot take, a field a strict mapping does not have), by
-- index: the index keeps what it had for the hotel (or nothing). Sending the
-- same document again cannot succeed, so the indexer records it here and
-- goes on instead of holding the change stream (and the WAL behind it) until
-- someone intervenes. A later document of the hotel the index accepts
-- deletes the row, and so does the index's retirement by a rebuild
-- (staygraph reindex). Not in the publication: the indexer writes it. See
-- docs/operations.md, "Refused documents".
CREATE TABLE search_index_refusals (
    index_name       text        NOT NULL,
    hotel_id         uuid        NOT NULL,
    index_alias      text        NOT NULL,
    status           integer     NOT NULL,
    error_type       text        NOT NULL,
    reason           text        NOT NULL,
    first_refused_at timestamptz NOT NULL DEFAULT now(),
    last_refused_at  timestamptz NOT NULL DEFAULT now(),
    refusals         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (index_name, hotel_id)
);

-- +goose Down
DROP TABLE search_index_refusals;
