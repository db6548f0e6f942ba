-- +goose Up
-- The booking core: inventory per room type and hotel-local night, bookings
-- with their rooms and guests, payment attempts, refunds, maintenance blocks
-- and idempotency records.

-- Units of a room type sold on one hotel-local night. capacity = rooms in
-- service minus rooms blocked for maintenance that night. Writers update
-- "WHERE version = $n" (optimistic); the CHECK makes overselling impossible
-- even if that code were wrong. A missing row means: nothing reserved and
-- capacity = rooms in service (rows are created on first use).
CREATE TABLE inventory (
    room_type_id uuid     NOT NULL REFERENCES room_types (id) ON DELETE CASCADE,
    night        date     NOT NULL,
    capacity     integer  NOT NULL CHECK (capacity >= 0),
    reserved     integer  NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    version      bigint   NOT NULL DEFAULT 1,
    PRIMARY KEY (room_type_id, night),
    CONSTRAINT inventory_not_oversold CHECK (reserved <= capacity)
);


CREATE TABLE bookings (
    id                  uuid PRIMARY KEY,
    reference           text        NOT NULL UNIQUE,
    hotel_id            uuid        NOT NULL REFERENCES hotels (id),
    status              text        NOT NULL CHECK (status IN
                        ('HELD', 'CONFIRMED', 'CHECKED_IN', 'CHECKED_OUT', 'CANCELLED', 'EXPIRED', 'NO_SHOW')),
    check_in            date        NOT NULL,
    check_out           date        NOT NULL CHECK (check_out > check_in),
    currency            char(3)     NOT NULL,
    room_amount         bigint      NOT NULL CHECK (room_amount >= 0),
    tax_amount          bigint      NOT NULL CHECK (tax_amount >= 0),
    total_amount        bigint      NOT NULL CHECK (total_amount >= 0),
    deposit_due         bigint      NOT NULL CHECK (deposit_due >= 0),
    -- Who booked: the principal's subject ("apikey:<id>" for partners); GUEST
    -- principals see the bookings whose owner is their subject.
    owner               text        NOT NULL,
    contact_email       text        NOT NULL,
    contact_phone       text        NOT NULL DEFAULT '',
    hold_expires_at     timestamptz NOT NULL,
    payment_in_flight   boolean     NOT NULL DEFAULT false,
    confirmed_at        timestamptz,
    cancelled_at        timestamptz,
    cancel_reason       text        NOT NULL DEFAULT '',
    penalty_amount      bigint      NOT NULL DEFAULT 0,
    refund_due          bigint      NOT NULL DEFAULT 0,
    relocation_required boolean     NOT NULL DEFAULT false,
    relocation_note     text        NOT NULL DEFAULT '',
    version             bigint      NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bookings_hotel_stay_idx ON bookings (hotel_id, check_in, check_out);
CREATE INDEX bookings_owner_idx ON bookings (owner, id);
CREATE INDEX bookings_relocation_idx ON bookings (hotel_id) WHERE relocation_required;

-- One booked unit of a room type, with its party and its price per night.
CREATE TABLE booking_rooms (
    booking_id   uuid      NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    position     smallint  NOT NULL,
    rate_plan_id uuid      NOT NULL REFERENCES rate_plans (id),
    room_type_id uuid      NOT NULL REFERENCES room_types (id),
    adults       smallint  NOT NULL CHECK (adults >= 1),
    child_ages   smallint[] NOT NULL DEFAULT '{}',
    nightly      bigint[]  NOT NULL, -- price of each night of the stay, in order
    amount       bigint    NOT NULL CHECK (amount >= 0),
    tax_amount   bigint    NOT NULL CHECK (tax_amount >= 0),
    -- The rate plan's cancellation terms when the room was sold; later changes
    -- to the plan do not alter a booking's terms.
    cancellation_policy jsonb NOT NULL,
    -- false once the unit was handed back (cancellation, expiry, relocation).
    holds_inventory boolean NOT NULL DEFAULT true,
    PRIMARY KEY (booking_id, position)
);
CREATE INDEX booking_rooms_type_idx ON booking_rooms (room_type_id) WHERE holds_inventory;

CREATE TABLE booking_guests (
    booking_id   uuid     NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    position     smallint NOT NULL,
    room         smallint,
    given_name   text     NOT NULL,
    family_name  text     NOT NULL,
    PRIMARY KEY (booking_id, position)
);

-- Each call to a payment provider, recorded before the call and completed after.
CREATE TABLE payments (
    id               uuid PRIMARY KEY,
    booking_id       uuid        NOT NULL REFERENCES bookings (id),
    provider         text        NOT NULL,
    provider_ref     text        NOT NULL DEFAULT '',
    idempotency_key  text        NOT NULL UNIQUE,
    amount           bigint      NOT NULL CHECK (amount >= 0),
    captured_amount  bigint      NOT NULL DEFAULT 0 CHECK (captured_amount >= 0),
    currency         char(3)     NOT NULL,
    status           text        NOT NULL CHECK (status IN
                     ('PENDING', 'AUTHORIZED', 'CAPTURED', 'FAILED', 'UNKNOWN', 'REFUNDED', 'PARTIALLY_REFUNDED')),
    failure_code     text        NOT NULL DEFAULT '',
    failure_message  text        NOT NULL DEFAULT '',
    version          bigint      NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_booking_idx ON payments (booking_id);

CREATE TABLE refunds (
    id               uuid PRIMARY KEY,
    booking_id       uuid        NOT NULL REFERENCES bookings (id),
    amount           bigint      NOT NULL CHECK (amount > 0),
    currency         char(3)     NOT NULL,
    status           text        NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
    reason           text        NOT NULL DEFAULT '',
    version          bigint      NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_booking_idx ON refunds (booking_id);

-- A room taken out of sale for hotel-local nights [start_night, end_night).
CREATE TABLE maintenance_blocks (
    id            uuid PRIMARY KEY,
    hotel_id      uuid        NOT NULL REFERENCES hotels (id) ON DELETE CASCADE,
    room_id       uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    room_type_id  uuid        NOT NULL REFERENCES room_types (id) ON DELETE CASCADE,
    start_night   date        NOT NULL,
    end_night     date        NOT NULL CHECK (end_night > start_night),
    reason        text        NOT NULL,
    created_by    text        NOT NULL,
    version       bigint      NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX maintenance_blocks_type_idx ON maintenance_blocks (room_type_id, start_night, end_night);

-- Rooms of a room type that can be sold on a night: in service and not blocked.
-- +goose StatementBegin
CREATE FUNCTION room_type_capacity(rt uuid, n date) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM rooms r
    WHERE r.room_type_id = rt AND r.in_service
      AND NOT EXISTS (SELECT 1 FROM maintenance_blocks b
                      WHERE b.room_id = r.id AND n >= b.start_night AND n < b.end_night)
$$;
-- +goose StatementEnd

-- The first result of every mutation that books, pays or cancels, per caller and key.
CREATE TABLE idempotency_keys (
    principal     text        NOT NULL,
    key           text        NOT NULL,
    operation     text        NOT NULL,
    request_hash  bytea       NOT NULL,
    booking_id    uuid        NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP FUNCTION room_type_capacity;
DROP TABLE maintenance_blocks;
DROP TABLE refunds;
DROP TABLE payments;
DROP TABLE booking_guests;
DROP TABLE booking_rooms;
DROP TABLE bookings;
DROP TABLE inventory;
