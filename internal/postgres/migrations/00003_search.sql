-- +goose Up
-- Search: geo, text and amenity indexes on hotels, and the exchange rates
-- that let travellers filter and sort prices in their own currency.
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE hotels ADD COLUMN search_text text GENERATED ALWAYS AS
    (lower(name || ' ' || city || ' ' || country_code || ' ' || description)) STORED;

CREATE INDEX hotels_location_idx ON hotels USING gist (ll_to_earth(latitude, longitude));
CREATE INDEX hotels_amenities_idx ON hotels USING gin (amenities);
CREATE INDEX hotels_search_text_idx ON hotels USING gin (search_text gin_trgm_ops);
CREATE INDEX hotels_stars_idx ON hotels (star_rating);
CREATE INDEX rooms_in_service_idx ON rooms (room_type_id) WHERE in_service;

-- Units of each currency one US dollar buys, maintained by admins.
CREATE TABLE exchange_rates (
    currency     char(3)     PRIMARY KEY,
    per_usd      numeric     NOT NULL CHECK (per_usd > 0),
    minor_digits smallint    NOT NULL CHECK (minor_digits BETWEEN 0 AND 4),
    version      bigint      NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Indicative rates so a fresh install can compare prices; admins update them.
INSERT INTO exchange_rates (currency, per_usd, minor_digits) VALUES
    ('USD', 1, 2), ('EUR', 0.92, 2), ('GBP', 0.79, 2), ('JPY', 150, 0), ('CHF', 0.88, 2),
    ('CAD', 1.36, 2), ('AUD', 1.52, 2), ('NZD', 1.65, 2), ('CNY', 7.2, 2), ('HKD', 7.8, 2),
    ('SGD', 1.34, 2), ('INR', 83, 2), ('THB', 36, 2), ('KRW', 1350, 0), ('BRL', 5, 2),
    ('MXN', 17, 2), ('ZAR', 18.5, 2), ('AED', 3.67, 2), ('TRY', 32, 2), ('SEK', 10.5, 2),
    ('NOK', 10.6, 2), ('DKK', 6.9, 2), ('PLN', 4, 2), ('CZK', 23, 2), ('HUF', 360, 2),
    ('IDR', 15700, 2), ('MYR', 4.7, 2), ('PHP', 56, 2), ('VND', 24500, 0), ('EGP', 48, 2),
    ('MAD', 10, 2), ('KES', 130, 2), ('NGN', 1500, 2), ('ARS', 900, 2), ('CLP', 930, 0),
    ('COP', 3900, 2), ('PEN', 3.7, 2), ('ILS', 3.7, 2), ('SAR', 3.75, 2), ('QAR', 3.64, 2),
    ('NPR', 133, 2), ('LKR', 300, 2), ('TWD', 32, 2), ('ISK', 138, 0), ('XPF', 110, 0),
    ('FJD', 2.25, 2), ('WST', 2.75, 2), ('TOP', 2.35, 2), ('JOD', 0.709, 3), ('OMR', 0.385, 3),
    ('KWD', 0.307, 3), ('BHD', 0.376, 3), ('RON', 4.6, 2), ('BGN', 1.8, 2), ('UAH', 41, 2),
    ('PKR', 280, 2), ('BDT', 117, 2), ('GEL', 2.7, 2), ('AMD', 390, 2), ('KZT', 470, 2),
    ('UYU', 39, 2), ('DOP', 59, 2), ('CRC', 510, 2), ('GTQ', 7.8, 2), ('TND', 3.1, 3),
    ('TZS', 2600, 2), ('UGX', 3800, 0), ('RWF', 1300, 0), ('GHS', 15, 2), ('XOF', 605, 0),
    ('XAF', 605, 0), ('MUR', 46, 2), ('MVR', 15.4, 2), ('KHR', 4100, 2), ('LAK', 21000, 2),
    ('MMK', 2100, 2), ('MNT', 3400, 2), ('BOB', 6.9, 2), ('PYG', 7400, 0), ('JMD', 156, 2),
    ('TTD', 6.8, 2), ('BSD', 1, 2), ('BBD', 2, 2), ('XCD', 2.7, 2), ('PGK', 3.8, 2),
    ('VUV', 120, 0), ('SBD', 8.4, 2), ('RSD', 108, 2), ('MKD', 57, 2), ('ALL', 93, 2),
    ('BAM', 1.8, 2), ('MDL', 17.7, 2), ('AZN', 1.7, 2), ('UZS', 12600, 2), ('ETB', 57, 2),
    ('DZD', 135, 2), ('LBP', 89500, 2), ('IQD', 1310, 3), ('IRR', 42000, 2);

-- +goose Down
DROP TABLE exchange_rates;
DROP INDEX rooms_in_service_idx;
DROP INDEX hotels_stars_idx;
DROP INDEX hotels_search_text_idx;
DROP INDEX hotels_amenities_idx;
DROP INDEX hotels_location_idx;
ALTER TABLE hotels DROP COLUMN search_text;
