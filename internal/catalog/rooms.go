package catalog

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// Room is a physical room of a room type. Only staff of its hotel and admins
// see rooms.
type Room struct {
	ID          uuid.UUID
	HotelID     uuid.UUID
	RoomTypeID  uuid.UUID
	Version     int64
	Number      string
	InService   bool
	ServiceNote string
}

// Room returns one room to staff of its hotel and admins. A room is the
// hotel's own: to anyone else signed in it is NOT_FOUND, as a room that does
// not exist is, so that an id tells another hotel's staff nothing; an
// anonymous caller is UNAUTHENTICATED either way.
func (s *Service) Room(ctx context.Context, id uuid.UUID) (Room, error) {
	if _, err := auth.Require(ctx); err != nil {
		return Room{}, err
	}
	row, err := s.q.GetRoom(ctx, id)
	if err != nil {
		return Room{}, notFound(err, "room")
	}
	if err := auth.RequireHotel(ctx, row.HotelID); apperr.HasCode(err, apperr.Forbidden) {
		return Room{}, notFound(pgx.ErrNoRows, "room")
	} else if err != nil {
		return Room{}, err
	}
	return roomFromRow(row), nil
}

// RoomsOfHotels lists hotels' rooms, keyed by hotel id, to their staff and
// admins: every hotel must be one the caller manages.
func (s *Service) RoomsOfHotels(ctx context.Context, hotelIDs []uuid.UUID) (map[uuid.UUID][]Room, error) {
	if err := auth.RequireHotels(ctx, hotelIDs); err != nil {
		return nil, err
	}
	rows, err := s.q.ListRoomsByHotels(ctx, hotelIDs)
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	out := map[uuid.UUID][]Room{}
	for _, r := range rows {
		out[r.HotelID] = append(out[r.HotelID], roomFromRow(r))
	}
	return out, nil
}

// AddRoomsTx adds rooms with the given numbers to a room type, all or none,
// in the caller's transaction q. Numbers are unique within a hotel. The
// booking core wraps it to give the room type's nights their new capacity
// (booking.Service.AddRooms).
func (s *Service) AddRoomsTx(ctx context.Context, q *db.Queries, rt RoomType, numbers []string) ([]Room, error) {
	if err := auth.RequireHotel(ctx, rt.HotelID); err != nil {
		return nil, err
	}
	var v validator
	if len(numbers) == 0 || len(numbers) > 500 {
		v.fail("give 1 to 500 room numbers", "numbers")
	}
	seen := map[string]bool{}
	for i, n := range numbers {
		numbers[i] = v.text(n, 1, 20, "numbers", fmt.Sprint(i))
		if seen[numbers[i]] {
			v.fail(fmt.Sprintf("room number %s is listed twice", apperr.Quote(numbers[i])), "numbers", fmt.Sprint(i))
		}
		seen[numbers[i]] = true
	}
	if err := v.errs.Err(); err != nil {
		return nil, err
	}
	rooms := make([]Room, 0, len(numbers))
	for i, n := range numbers {
		row, err := q.CreateRoom(ctx, db.CreateRoomParams{ID: newID(), HotelID: rt.HotelID, RoomTypeID: rt.ID, Number: n})
		if postgres.IsUniqueViolation(err) {
			return nil, &apperr.Error{Code: apperr.Conflict, Field: []string{"input", "numbers", fmt.Sprint(i)},
				Message: fmt.Sprintf("room %s already exists in this hotel", apperr.Quote(n))}
		}
		if err != nil {
			return nil, fmt.Errorf("add room %q: %w", n, err)
		}
		rooms = append(rooms, roomFromRow(row))
	}
	return rooms, nil
}

// SetRoomServiceTx takes a room out of service (with a note saying why) or
// puts it back, if the room is still at expectedVersion, in the caller's
// transaction q. The booking core wraps it to keep inventory capacity right.
func (s *Service) SetRoomServiceTx(ctx context.Context, q *db.Queries, id uuid.UUID, expectedVersion int64, inService bool, note string) (Room, error) {
	row, err := q.GetRoom(ctx, id)
	if err != nil {
		return Room{}, notFound(err, "room")
	}
	if err := auth.RequireHotel(ctx, row.HotelID); err != nil {
		return Room{}, err
	}
	if err := checkVersion(row.Version, expectedVersion, "room"); err != nil {
		return Room{}, err
	}
	var v validator
	note = v.text(note, 0, 500, "note")
	if !inService && note == "" {
		v.fail("say why the room leaves service", "note")
	}
	if err := v.errs.Err(); err != nil {
		return Room{}, err
	}
	if inService {
		note = ""
	}
	row, err = q.SetRoomService(ctx, db.SetRoomServiceParams{ID: id, Version: expectedVersion, InService: inService, ServiceNote: note})
	if err != nil {
		return Room{}, staleOr(err, "room")
	}
	return roomFromRow(row), nil
}

func roomFromRow(r db.Room) Room {
	return Room{ID: r.ID, HotelID: r.HotelID, RoomTypeID: r.RoomTypeID, Version: r.Version,
		Number: r.Number, InService: r.InService, ServiceNote: r.ServiceNote}
}
