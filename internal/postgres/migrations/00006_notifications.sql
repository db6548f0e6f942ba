-- +goose Up
-- Durable notifications of bookings: email, SMS, partner webhooks. A row and
-- its delivery job (River, kind notify.deliver) are written in the
-- transaction of the booking change they announce, so a change that rolls
-- back sends nothing. The job sends through `channel` and records each
-- outcome here; staff see DEAD rows and can retry them.
--
-- No personal data is stored: the recipient's address, name and language are
-- read from the booking when sending (internal/notify Recipients), and
-- recipient addresses are masked out of last_error.
CREATE TABLE notifications (
    id               uuid PRIMARY KEY,
    booking_id       uuid        NOT NULL REFERENCES bookings (id),
    kind             text        NOT NULL CHECK (kind IN
                     ('HELD', 'CONFIRMED', 'CANCELLED', 'REFUNDED', 'RELOCATION_NEEDED', 'EXPIRED')),
    -- The language the message was last rendered in; '' before the first try.
    language         text        NOT NULL DEFAULT '',
    -- The route: the channel asked for, then its fallbacks, in order.
    channels         text[]      NOT NULL CHECK (cardinality(channels) >= 1),
    -- The channel being tried now; delivery moves along channels on failure.
    channel          text        NOT NULL,
    status           text        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'DEAD')),
    -- Sends tried, on every channel.
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Consecutive failures on the current channel (reset when it changes).
    channel_failures integer     NOT NULL DEFAULT 0 CHECK (channel_failures >= 0),
    last_error       text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    CONSTRAINT notifications_channel_on_route CHECK (channel = ANY (channels)),
    CONSTRAINT notifications_sent_at CHECK ((status = 'SENT') = (sent_at IS NOT NULL))
);
CREATE INDEX notifications_booking_idx ON notifications (booking_id, created_at);
-- Staff look at what could not be delivered.
CREATE INDEX notifications_dead_idx ON notifications (updated_at) WHERE status = 'DEAD';

-- +goose Down
DROP TABLE notifications;
