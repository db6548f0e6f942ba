-- +goose Up
-- How many rooms of each room type are in service, kept on the room type in
-- the same transaction as every change of rooms (a trigger), so search reads
-- one column instead of counting rooms for every candidate room type. Room
-- changes are rare admin operations; holds never write rooms.
ALTER TABLE room_types ADD COLUMN rooms_in_service integer NOT NULL DEFAULT 0
    CHECK (rooms_in_service >= 0);

UPDATE room_types rt SET rooms_in_service = n.rooms
FROM (SELECT room_type_id, count(*)::integer AS rooms FROM rooms WHERE in_service GROUP BY room_type_id) n
WHERE n.room_type_id = rt.id;

-- +goose StatementBegin
CREATE FUNCTION room_types_count_in_service() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.in_service THEN
        UPDATE room_types SET rooms_in_service = rooms_in_service - 1 WHERE id = OLD.room_type_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.in_service THEN
        UPDATE room_types SET rooms_in_service = rooms_in_service + 1 WHERE id = NEW.room_type_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER rooms_count_in_service AFTER INSERT OR DELETE ON rooms
    FOR EACH ROW EXECUTE FUNCTION room_types_count_in_service();
CREATE TRIGGER rooms_count_in_service_change AFTER UPDATE OF in_service, room_type_id ON rooms
    FOR EACH ROW WHEN (OLD.in_service IS DISTINCT FROM NEW.in_service OR OLD.room_type_id IS DISTINCT FROM NEW.room_type_id)
    EXECUTE FUNCTION room_types_count_in_service();

-- +goose Down
DROP TRIGGER rooms_count_in_service_change ON rooms;
DROP TRIGGER rooms_count_in_service ON rooms;
DROP FUNCTION room_types_count_in_service;
ALTER TABLE room_types DROP COLUMN rooms_in_service;
