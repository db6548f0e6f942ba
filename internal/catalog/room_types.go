package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// BedType is a kind of bed.
type BedType string

// Bed types.
const (
	BedSingle  BedType = "SINGLE"
	BedDouble  BedType = "DOUBLE"
	BedQueen   BedType = "QUEEN"
	BedKing    BedType = "KING"
	BedSofaBed BedType = "SOFA_BED"
	BedBunk    BedType = "BUNK"
)

// Bed is a number of beds of one type.
type Bed struct {
	Type  BedType `json:"type"`
	Count int     `json:"count"`
}

// RoomType is a kind of room a hotel sells. Inventory is counted per room type.
type RoomType struct {
	ID           uuid.UUID
	HotelID      uuid.UUID
	Version      int64
	Name         string
	Description  string
	MaxAdults    int
	MaxChildren  int
	MaxOccupancy int
	Beds         []Bed
	Amenities    []string
}

// Houses reports whether a party of adults and children fits the room type.
func (rt RoomType) Houses(adults, children int) bool {
	return adults >= 1 && adults <= rt.MaxAdults && children <= rt.MaxChildren && adults+children <= rt.MaxOccupancy
}

// RoomTypeFields are the editable fields of a room type.
type RoomTypeFields struct {
	Name         string
	Description  string
	MaxAdults    int
	MaxChildren  int
	MaxOccupancy int
	Beds         []Bed
	Amenities    []string
}

// RoomTypePatch changes the fields that are not nil.
type RoomTypePatch struct {
	Name         *string
	Description  *string
	MaxAdults    *int
	MaxChildren  *int
	MaxOccupancy *int
	Beds         []Bed
	Amenities    []string
}

func (f RoomTypeFields) validate() (RoomTypeFields, error) {
	var v validator
	f.Name = v.text(f.Name, 1, 200, "name")
	f.Description = v.text(f.Description, 0, 5000, "description")
	v.intRange(f.MaxAdults, 1, 20, "maxAdults")
	v.intRange(f.MaxChildren, 0, 20, "maxChildren")
	v.intRange(f.MaxOccupancy, 1, 30, "maxOccupancy")
	if f.MaxOccupancy > f.MaxAdults+f.MaxChildren {
		v.fail("must not exceed maxAdults + maxChildren", "maxOccupancy")
	}
	if f.MaxOccupancy < f.MaxAdults {
		// A room that sleeps 2 adults sleeps at least 2 people.
		v.fail("must be at least maxAdults", "maxOccupancy")
	}
	for i, b := range f.Beds {
		switch b.Type {
		case BedSingle, BedDouble, BedQueen, BedKing, BedSofaBed, BedBunk:
		default:
			v.fail(fmt.Sprintf("unknown bed type %q", b.Type), "beds", fmt.Sprint(i), "type")
		}
		if slices.ContainsFunc(f.Beds[:i], func(o Bed) bool { return o.Type == b.Type }) {
			v.fail(fmt.Sprintf("%s is listed twice: give each bed type once, with its count", b.Type), "beds", fmt.Sprint(i), "type")
		}
		v.intRange(b.Count, 1, 10, "beds", fmt.Sprint(i), "count")
	}
	if f.Beds == nil {
		f.Beds = []Bed{}
	}
	f.Amenities = v.amenities(f.Amenities, "amenities")
	return f, v.errs.Err()
}

func (p RoomTypePatch) apply(f RoomTypeFields) RoomTypeFields {
	set(&f.Name, p.Name)
	set(&f.Description, p.Description)
	set(&f.MaxAdults, p.MaxAdults)
	set(&f.MaxChildren, p.MaxChildren)
	set(&f.MaxOccupancy, p.MaxOccupancy)
	if p.Beds != nil {
		f.Beds = p.Beds
	}
	if p.Amenities != nil {
		f.Amenities = p.Amenities
	}
	return f
}

// RoomType returns one room type; NOT_FOUND when it does not exist.
func (s *Service) RoomType(ctx context.Context, id uuid.UUID) (RoomType, error) {
	row, err := s.q.GetRoomType(ctx, id)
	if err != nil {
		return RoomType{}, notFound(err, "room type")
	}
	return roomTypeFromRow(row), nil
}

// RoomTypes returns the room types with the given ids that exist, in no order.
func (s *Service) RoomTypes(ctx context.Context, ids []uuid.UUID) ([]RoomType, error) {
	rows, err := s.q.GetRoomTypes(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load room types: %w", err)
	}
	return mapRows(rows, roomTypeFromRow), nil
}

// RoomTypesOfHotels returns the room types of each hotel, keyed by hotel id.
func (s *Service) RoomTypesOfHotels(ctx context.Context, hotelIDs []uuid.UUID) (map[uuid.UUID][]RoomType, error) {
	rows, err := s.q.ListRoomTypesByHotels(ctx, hotelIDs)
	if err != nil {
		return nil, fmt.Errorf("load room types: %w", err)
	}
	out := make(map[uuid.UUID][]RoomType, len(hotelIDs))
	for _, r := range rows {
		out[r.HotelID] = append(out[r.HotelID], roomTypeFromRow(r))
	}
	return out, nil
}

// RoomsInService counts the in-service rooms of each room type.
func (s *Service) RoomsInService(ctx context.Context, roomTypeIDs []uuid.UUID) (map[uuid.UUID]int, error) {
	rows, err := s.q.CountRoomsInService(ctx, roomTypeIDs)
	if err != nil {
		return nil, fmt.Errorf("count rooms in service: %w", err)
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.RoomTypeID] = int(r.InService)
	}
	return out, nil
}

// CreateRoomType adds a room type to a hotel. Admins and the hotel's staff.
func (s *Service) CreateRoomType(ctx context.Context, hotelID uuid.UUID, f RoomTypeFields) (RoomType, error) {
	if err := auth.RequireHotel(ctx, hotelID); err != nil {
		return RoomType{}, err
	}
	f, err := f.validate()
	if err != nil {
		return RoomType{}, err
	}
	if _, err := s.Hotel(ctx, hotelID); err != nil {
		return RoomType{}, err
	}
	beds, _ := json.Marshal(f.Beds)
	row, err := write(ctx, s, func(q *db.Queries) (db.RoomType, error) {
		return q.CreateRoomType(ctx, db.CreateRoomTypeParams{
			ID: newID(), HotelID: hotelID, Name: f.Name, Description: f.Description,
			MaxAdults: int16(f.MaxAdults), MaxChildren: int16(f.MaxChildren), MaxOccupancy: int16(f.MaxOccupancy),
			Beds: beds, Amenities: f.Amenities,
		})
	})
	if err != nil {
		return RoomType{}, fmt.Errorf("create room type: %w", err)
	}
	return roomTypeFromRow(row), nil
}

// UpdateRoomType changes a room type if it is still at expectedVersion.
func (s *Service) UpdateRoomType(ctx context.Context, id uuid.UUID, expectedVersion int64, p RoomTypePatch) (RoomType, error) {
	current, err := s.RoomType(ctx, id)
	if err != nil {
		return RoomType{}, err
	}
	if err := auth.RequireHotel(ctx, current.HotelID); err != nil {
		return RoomType{}, err
	}
	if err := checkVersion(current.Version, expectedVersion, "room type"); err != nil {
		return RoomType{}, err
	}
	f, err := p.apply(current.fields()).validate()
	if err != nil {
		return RoomType{}, err
	}
	if unchanged(f, current.fields()) {
		return current, nil
	}
	beds, _ := json.Marshal(f.Beds)
	row, err := write(ctx, s, func(q *db.Queries) (db.RoomType, error) {
		if f.MaxAdults < current.MaxAdults || f.MaxChildren < current.MaxChildren || f.MaxOccupancy < current.MaxOccupancy {
			if err := housesLiveBookings(ctx, q, current, f, s.now()); err != nil {
				return db.RoomType{}, err
			}
		}
		return q.UpdateRoomType(ctx, db.UpdateRoomTypeParams{
			ID: id, Version: expectedVersion, Name: f.Name, Description: f.Description,
			MaxAdults: int16(f.MaxAdults), MaxChildren: int16(f.MaxChildren), MaxOccupancy: int16(f.MaxOccupancy),
			Beds: beds, Amenities: f.Amenities,
		})
	})
	if err != nil {
		return RoomType{}, staleOr(err, "room type")
	}
	return roomTypeFromRow(row), nil
}

// housesLiveBookings refuses limits f lower than a party that live
// bookings of rt hold at now (a room sold for four does not become a single
// with four booked into it). It locks rt first: holds being made of it are
// waited for (they read its limits under a key-share lock, and check their
// parties against them), and new ones read the limits this change sets.
func housesLiveBookings(ctx context.Context, q *db.Queries, rt RoomType, f RoomTypeFields, now time.Time) error {
	if err := q.LockRoomTypeForUpdate(ctx, rt.ID); err != nil {
		return fmt.Errorf("lock room type: %w", err)
	}
	// The hotel's business date, on its zone as read after the lock.
	h, err := q.GetHotel(ctx, rt.HotelID)
	if err != nil {
		return fmt.Errorf("load hotel: %w", err)
	}
	loc, err := hotelFromRow(h).Zone()
	if err != nil {
		return err
	}
	rows, err := q.PartiesBeyondRoomType(ctx, db.PartiesBeyondRoomTypeParams{RoomTypeID: rt.ID, HotelID: rt.HotelID, Today: hoteldate.BusinessDate(now, loc),
		MaxAdults: int32(f.MaxAdults), MaxChildren: int32(f.MaxChildren), MaxOccupancy: int32(f.MaxOccupancy)})
	if err != nil {
		return fmt.Errorf("find parties beyond the limits: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	parties := make([]string, len(rows))
	for i, r := range rows {
		parties[i] = fmt.Sprintf("%s (%s, %d adults, %d children)", r.Reference, r.CheckIn.Format(time.DateOnly), r.Adults, r.Children)
	}
	field := "maxOccupancy" // the limit the first party is over
	switch first := rows[0]; {
	case int(first.Adults) > f.MaxAdults:
		field = "maxAdults"
	case int(first.Children) > f.MaxChildren:
		field = "maxChildren"
	}
	more := ""
	if len(rows) == 5 {
		more = ", and maybe more"
	}
	return &apperr.Error{Code: apperr.Conflict, Field: []string{"input", field}, Message: fmt.Sprintf(
		"live bookings of this room type hold parties these limits do not house: %s%s; lower them once those stays are over or the bookings cancelled",
		strings.Join(parties, "; "), more)}
}

func (rt RoomType) fields() RoomTypeFields {
	return RoomTypeFields{Name: rt.Name, Description: rt.Description, MaxAdults: rt.MaxAdults,
		MaxChildren: rt.MaxChildren, MaxOccupancy: rt.MaxOccupancy, Beds: rt.Beds, Amenities: rt.Amenities}
}

func roomTypeFromRow(r db.RoomType) RoomType {
	var beds []Bed
	_ = json.Unmarshal(r.Beds, &beds) // written by us, always valid
	if beds == nil {
		beds = []Bed{}
	}
	return RoomType{
		ID: r.ID, HotelID: r.HotelID, Version: r.Version, Name: r.Name, Description: r.Description,
		MaxAdults: int(r.MaxAdults), MaxChildren: int(r.MaxChildren), MaxOccupancy: int(r.MaxOccupancy),
		Beds: beds, Amenities: r.Amenities,
	}
}
