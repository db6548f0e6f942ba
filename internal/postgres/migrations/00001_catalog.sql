-- +goose Up
-- The hotel catalog: hotels, room types, rooms, rate plans and nightly rates.
-- Every mutable row carries a version column used for optimistic concurrency:
-- writers update "WHERE id = $1 AND version = $2" and bump it.

CREATE TABLE hotels (
    id             uuid PRIMARY KEY,
    name           text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description    text        NOT NULL DEFAULT '',
    time_zone      text        NOT NULL,
    latitude       double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude      double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    address_line1  text        NOT NULL,
    address_line2  text        NOT NULL DEFAULT '',
    city           text        NOT NULL,
    postal_code    text        NOT NULL DEFAULT '',
    country_code   char(2)     NOT NULL,
    star_rating    smallint    NOT NULL CHECK (star_rating BETWEEN 1 AND 5),
    amenities      text[]      NOT NULL DEFAULT '{}',
    currency       char(3)     NOT NULL,
    check_in_time  time        NOT NULL DEFAULT '15:00',
    check_out_time time        NOT NULL DEFAULT '11:00',
    tax_rate_bps   integer     NOT NULL DEFAULT 0 CHECK (tax_rate_bps BETWEEN 0 AND 10000),
    version        bigint      NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE room_types (
    id             uuid PRIMARY KEY,
    hotel_id       uuid        NOT NULL REFERENCES hotels (id) ON DELETE CASCADE,
    name           text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description    text        NOT NULL DEFAULT '',
    max_adults     smallint    NOT NULL CHECK (max_adults >= 1),
    max_children   smallint    NOT NULL DEFAULT 0 CHECK (max_children >= 0),
    max_occupancy  smallint    NOT NULL CHECK (max_occupancy >= 1),
    beds           jsonb       NOT NULL DEFAULT '[]',
    amenities      text[]      NOT NULL DEFAULT '{}',
    version        bigint      NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (max_occupancy <= max_adults + max_children)
);
CREATE INDEX room_types_hotel_idx ON room_types (hotel_id);

CREATE TABLE rooms (
    id             uuid PRIMARY KEY,
    hotel_id       uuid        NOT NULL REFERENCES hotels (id) ON DELETE CASCADE,
    room_type_id   uuid        NOT NULL REFERENCES room_types (id) ON DELETE CASCADE,
    number         text        NOT NULL CHECK (length(number) BETWEEN 1 AND 20),
    in_service     boolean     NOT NULL DEFAULT true,
    service_note   text        NOT NULL DEFAULT '',
    version        bigint      NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (hotel_id, number)
);
CREATE INDEX rooms_room_type_idx ON rooms (room_type_id);

CREATE TABLE rate_plans (
    id                     uuid PRIMARY KEY,
    hotel_id               uuid        NOT NULL REFERENCES hotels (id) ON DELETE CASCADE,
    room_type_id           uuid        NOT NULL REFERENCES room_types (id) ON DELETE CASCADE,
    name                   text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Penalty windows: [{"hoursBeforeCheckIn": 48, "percent": 50}, ...]. From the given
    -- number of hours before the hotel-local check-in time, cancelling costs that percent
    -- of the stay total. An empty list means free cancellation until check-in.
    cancellation_penalties jsonb       NOT NULL DEFAULT '[]',
    refundable             boolean     NOT NULL DEFAULT true,
    deposit_kind           text        NOT NULL DEFAULT 'FULL'
                                       CHECK (deposit_kind IN ('FULL', 'PERCENT', 'PAY_AT_HOTEL')),
    deposit_percent        smallint    NOT NULL DEFAULT 100 CHECK (deposit_percent BETWEEN 0 AND 100),
    version                bigint      NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rate_plans_room_type_idx ON rate_plans (room_type_id);
CREATE INDEX rate_plans_hotel_idx ON rate_plans (hotel_id);

-- Nightly price of a rate plan for one hotel-local night, in the hotel's currency's minor units.
CREATE TABLE nightly_rates (
    rate_plan_id   uuid        NOT NULL REFERENCES rate_plans (id) ON DELETE CASCADE,
    night          date        NOT NULL,
    amount         bigint      NOT NULL CHECK (amount >= 0),
    version        bigint      NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rate_plan_id, night)
);

-- Partner API keys. Only a SHA-256 of the secret is stored; the prefix finds the row.
CREATE TABLE api_keys (
    id             uuid PRIMARY KEY,
    name           text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix         text        NOT NULL UNIQUE,
    secret_hash    bytea       NOT NULL,
    scopes         text[]      NOT NULL DEFAULT '{}',
    version        bigint      NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    last_used_at   timestamptz
);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE nightly_rates;
DROP TABLE rate_plans;
DROP TABLE rooms;
DROP TABLE room_types;
DROP TABLE hotels;
