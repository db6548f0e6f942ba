-- +goose Up
-- CET, EET, MET and WET are IANA zones with summer time (links to the zones
-- below), but PostgreSQL reads those names first as abbreviations of fixed
-- offsets: for a hotel in one, search (SQL) and booking (Go) kept two
-- calendars an hour apart in summer. Such hotels now name the zone their
-- name links to, the same clock; the catalog accepts only Area/Location
-- names (and UTC) from now on.
UPDATE hotels SET time_zone = CASE time_zone WHEN 'CET' THEN 'Europe/Brussels' WHEN 'MET' THEN 'Europe/Brussels'
                                             WHEN 'EET' THEN 'Europe/Athens' ELSE 'Europe/Lisbon' END,
                  version = version + 1, updated_at = now()
WHERE time_zone IN ('CET', 'EET', 'MET', 'WET');

-- +goose Down
-- Nothing to undo: each zone keeps the clock it had.
SELECT 1;
