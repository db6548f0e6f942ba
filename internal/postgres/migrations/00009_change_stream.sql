-- +goose Up
-- The change stream of the CDC indexer (indexer/): one publication over the
-- tables whose committed changes reach the Elasticsearch catalog, GraphQL
-- subscriptions and partner webhooks, read through a logical replication
-- slot with pgoutput. Creating a publication works at any wal_level; reading
-- it needs wal_level=logical (see docs/operations.md, "Change stream").
--
-- A migration that adds a table here, drops one, or changes a published
-- table's primary key must say so in docs/operations.md's checklist: the
-- indexer decodes rows by column name and learns new columns from the
-- stream itself, but a table it does not know is ignored.
CREATE PUBLICATION staygraph_changes FOR TABLE
    hotels, room_types, rooms, rate_plans, nightly_rates, maintenance_blocks, inventory, bookings;

-- Deletes and updates of these rows carry the whole old row, not only its
-- primary key: a deleted room type, room or rate plan still names its hotel,
-- and a moved or deleted maintenance block its old nights. These rows change
-- rarely, so logging the old row costs little; inventory and nightly_rates
-- (the busy tables) keep the default, their keys say all the indexer needs.
ALTER TABLE room_types REPLICA IDENTITY FULL;
ALTER TABLE rooms REPLICA IDENTITY FULL;
ALTER TABLE rate_plans REPLICA IDENTITY FULL;
ALTER TABLE maintenance_blocks REPLICA IDENTITY FULL;

-- The consumers of a slot that hold the whole state: a consumer that needs
-- it (the Elasticsearch writer) is given a snapshot when it has no row here,
-- that is on the slot's first start, after the slot was recreated (its rows
-- are deleted then), and when a snapshot was interrupted.
CREATE TABLE indexer_snapshots (
    slot_name text        NOT NULL,
    consumer  text        NOT NULL,
    -- Where the stream continued after the snapshot.
    lsn       pg_lsn      NOT NULL,
    taken_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (slot_name, consumer)
);

-- +goose Down
DROP TABLE indexer_snapshots;
ALTER TABLE maintenance_blocks REPLICA IDENTITY DEFAULT;
ALTER TABLE rate_plans REPLICA IDENTITY DEFAULT;
ALTER TABLE rooms REPLICA IDENTITY DEFAULT;
ALTER TABLE room_types REPLICA IDENTITY DEFAULT;
DROP PUBLICATION staygraph_changes;
