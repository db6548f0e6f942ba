-- +goose Up
-- A database restored from pg_dump lost the hotels' location index:
-- pg_restore builds indexes with an empty search_path, and earthdistance's
-- ll_to_earth names earth() and cube unqualified in the text of its body,
-- so building the index failed there ("type earth does not exist").
-- hotel_point is the same point in the same float operations, its names
-- qualified and its body bound when it is created; the index and search.sql
-- use it. (The extensions live in the schema public, as 00003 made them.)
-- +goose StatementBegin
CREATE FUNCTION hotel_point(latitude float8, longitude float8) RETURNS public.earth
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN public.cube(public.cube(public.cube(public.earth() * cos(radians(latitude)) * cos(radians(longitude))),
                               public.earth() * cos(radians(latitude)) * sin(radians(longitude))),
                   public.earth() * sin(radians(latitude)))::public.earth;
-- +goose StatementEnd
DROP INDEX hotels_location_idx;
CREATE INDEX hotels_location_idx ON hotels USING gist (hotel_point(latitude, longitude));

-- +goose Down
DROP INDEX hotels_location_idx;
CREATE INDEX hotels_location_idx ON hotels USING gist (ll_to_earth(latitude, longitude));
DROP FUNCTION hotel_point(float8, float8);
