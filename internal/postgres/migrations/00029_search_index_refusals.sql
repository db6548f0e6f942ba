-- +goose Up
-- Hotels whose Elasticsearch document the index refused for what it is
-- (status 400: a value the mapping cannot take, a field a strict mapping
-- does not have). Sending such a document again cannot succeed, so the
-- indexer records it here and goes on instead of holding the change stream
-- (and the WAL behind it) until someone intervenes; the index keeps what it
-- had for the hotel. A later document of the hotel that is accepted, and a
-- rebuild (staygraph reindex) that indexes it, delete its row. Not in the
-- publication: the indexer writes it. See docs/operations.md, "Refused
-- documents".
CREATE TABLE search_index_refusals (
    index_alias      text        NOT NULL,
    hotel_id         uuid        NOT NULL,
    status           integer     NOT NULL,
    error_type       text        NOT NULL,
    reason           text        NOT NULL,
    first_refused_at timestamptz NOT NULL DEFAULT now(),
    last_refused_at  timestamptz NOT NULL DEFAULT now(),
    refusals         integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (index_alias, hotel_id)
);

-- +goose Down
DROP TABLE search_index_refusals;
