package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// Hotel is a property with its own time zone, currency and local check-in
// and check-out times.
type Hotel struct {
	ID                 uuid.UUID
	Version            int64
	Name               string
	Description        string
	TimeZone           string // IANA
	Location           GeoPoint
	Address            Address
	StarRating         int
	Amenities          []string
	Currency           string // ISO 4217
	CheckInTime        TimeOfDay
	CheckOutTime       TimeOfDay
	TaxRateBasisPoints int
}

// Zone is the hotel's time zone, whose business date (hoteldate) the rules
// of rates, stays, the front desk and maintenance read. Its name is checked
// when it is set, so an error means the zone database lost it.
func (h Hotel) Zone() (*time.Location, error) {
	loc, err := hoteldate.Zone(h.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("hotel %s has an unknown time zone %q: %w", h.ID, h.TimeZone, err)
	}
	return loc, nil
}

// HotelFields are the editable fields of a hotel.
type HotelFields struct {
	Name               string
	Description        string
	TimeZone           string
	Location           GeoPoint
	Address            Address
	Currency           string
	StarRating         int
	Amenities          []string
	CheckInTime        TimeOfDay
	CheckOutTime       TimeOfDay
	TaxRateBasisPoints int
	// storedZone says TimeZone is the one the hotel has: it is not checked
	// again, as hotels saved before the catalog took only Area/Location
	// names keep theirs (US/Eastern, Japan) until it is changed.
	storedZone bool
}

// HotelPatch changes the fields that are not nil.
type HotelPatch struct {
	Name               *string
	Description        *string
	TimeZone           *string
	Location           *GeoPoint
	Address            *AddressPatch
	Currency           *string
	StarRating         *int
	Amenities          []string // nil leaves them as they are
	CheckInTime        *TimeOfDay
	CheckOutTime       *TimeOfDay
	TaxRateBasisPoints *int
}

// DefaultCheckIn and DefaultCheckOut apply when a new hotel names none.
const (
	DefaultCheckIn  TimeOfDay = 15 * 60
	DefaultCheckOut TimeOfDay = 11 * 60
)

func (f HotelFields) validate() (HotelFields, error) {
	var v validator
	f.Name = v.text(f.Name, 1, 200, "name")
	f.Description = v.text(f.Description, 0, 5000, "description")
	if !f.storedZone {
		v.timeZone(f.TimeZone, "timeZone")
	}
	v.location(f.Location, "location")
	f.Address = v.address(f.Address, "address")
	f.Currency = v.currency(f.Currency, "currency")
	v.intRange(f.StarRating, 1, 5, "starRating")
	f.Amenities = v.amenities(f.Amenities, "amenities")
	v.intRange(int(f.CheckInTime), 0, 24*60-1, "checkInTime")
	v.intRange(int(f.CheckOutTime), 0, 24*60-1, "checkOutTime")
	v.intRange(f.TaxRateBasisPoints, 0, 10000, "taxRateBasisPoints")
	return f, v.errs.Err()
}

func (p HotelPatch) apply(f HotelFields) HotelFields {
	set(&f.Name, p.Name)
	set(&f.Description, p.Description)
	if p.TimeZone != nil && *p.TimeZone != f.TimeZone {
		f.TimeZone, f.storedZone = *p.TimeZone, false
	}
	set(&f.Location, p.Location)
	if p.Address != nil {
		f.Address = p.Address.apply(f.Address)
	}
	set(&f.Currency, p.Currency)
	set(&f.StarRating, p.StarRating)
	if p.Amenities != nil {
		f.Amenities = p.Amenities
	}
	set(&f.CheckInTime, p.CheckInTime)
	set(&f.CheckOutTime, p.CheckOutTime)
	set(&f.TaxRateBasisPoints, p.TaxRateBasisPoints)
	return f
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (h Hotel) fields() HotelFields {
	return HotelFields{
		Name: h.Name, Description: h.Description, TimeZone: h.TimeZone, Location: h.Location,
		Address: h.Address, Currency: h.Currency, StarRating: h.StarRating, Amenities: h.Amenities,
		CheckInTime: h.CheckInTime, CheckOutTime: h.CheckOutTime, TaxRateBasisPoints: h.TaxRateBasisPoints,
		storedZone: true,
	}
}

// Hotel returns one hotel; NOT_FOUND when it does not exist.
func (s *Service) Hotel(ctx context.Context, id uuid.UUID) (Hotel, error) {
	row, err := s.q.GetHotel(ctx, id)
	if err != nil {
		return Hotel{}, notFound(err, "hotel")
	}
	return hotelFromRow(row), nil
}

// Hotels returns the hotels with the given ids that exist, in no order.
func (s *Service) Hotels(ctx context.Context, ids []uuid.UUID) ([]Hotel, error) {
	rows, err := s.q.GetHotels(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load hotels: %w", err)
	}
	return mapRows(rows, hotelFromRow), nil
}

// ListHotels returns up to limit hotels after the given id, in creation order.
func (s *Service) ListHotels(ctx context.Context, after uuid.NullUUID, limit int) ([]Hotel, error) {
	rows, err := s.q.ListHotels(ctx, db.ListHotelsParams{After: after, PageSize: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list hotels: %w", err)
	}
	return mapRows(rows, hotelFromRow), nil
}

// CountHotels is the size of the catalog.
func (s *Service) CountHotels(ctx context.Context) (int, error) {
	n, err := s.q.CountHotels(ctx)
	if err != nil {
		return 0, fmt.Errorf("count hotels: %w", err)
	}
	return int(n), nil
}

// CreateHotel adds a hotel. Admins only.
func (s *Service) CreateHotel(ctx context.Context, f HotelFields) (Hotel, error) {
	if err := auth.RequireAdmin(ctx); err != nil {
		return Hotel{}, err
	}
	f, err := f.validate()
	if err != nil {
		return Hotel{}, err
	}
	row, err := write(ctx, s, func(q *db.Queries) (db.Hotel, error) {
		if err := requireKnown(ctx, q, f, Hotel{}); err != nil {
			return db.Hotel{}, err
		}
		return q.CreateHotel(ctx, db.CreateHotelParams{
			ID: newID(), Name: f.Name, Description: f.Description, TimeZone: f.TimeZone,
			Latitude: f.Location.Lat, Longitude: f.Location.Lon,
			AddressLine1: f.Address.Line1, AddressLine2: f.Address.Line2, City: f.Address.City,
			PostalCode: f.Address.PostalCode, CountryCode: f.Address.CountryCode,
			StarRating: int16(f.StarRating), Amenities: f.Amenities, Currency: f.Currency,
			CheckInTime: f.CheckInTime.pg(), CheckOutTime: f.CheckOutTime.pg(), TaxRateBps: int32(f.TaxRateBasisPoints),
		})
	})
	if err != nil {
		return Hotel{}, fmt.Errorf("create hotel: %w", err)
	}
	return hotelFromRow(row), nil
}

// requireKnown refuses, where they change from current, a currency search
// could not price (hotels of every currency are compared, filtered and
// sorted through exchange rates) and a country code that names no country.
func requireKnown(ctx context.Context, q *db.Queries, f HotelFields, current Hotel) error {
	var errs apperr.List
	if f.Currency != current.Currency {
		known, err := q.HasExchangeRate(ctx, f.Currency)
		if err != nil {
			return fmt.Errorf("look up exchange rate: %w", err)
		}
		if !known {
			errs = append(errs, apperr.Invalid(fmt.Sprintf("%s has no exchange rate yet: an administrator adds it first (setExchangeRates)", f.Currency), "input", "currency"))
		}
	}
	if f.Address.CountryCode != current.Address.CountryCode {
		known, err := q.IsCountryCode(ctx, f.Address.CountryCode)
		if err != nil {
			return fmt.Errorf("look up country: %w", err)
		}
		if !known {
			errs = append(errs, apperr.Invalid(fmt.Sprintf("%s is not an ISO 3166 country code", apperr.Quote(f.Address.CountryCode)), "input", "address", "countryCode"))
		}
	}
	return errs.Err()
}

// UpdateHotel changes a hotel if it is still at expectedVersion. Admins and
// the hotel's staff.
func (s *Service) UpdateHotel(ctx context.Context, id uuid.UUID, expectedVersion int64, p HotelPatch) (Hotel, error) {
	if err := auth.RequireHotel(ctx, id); err != nil {
		return Hotel{}, err
	}
	current, err := s.Hotel(ctx, id)
	if err != nil {
		return Hotel{}, err
	}
	if err := checkVersion(current.Version, expectedVersion, "hotel"); err != nil {
		return Hotel{}, err
	}
	f, err := p.apply(current.fields()).validate()
	if err != nil {
		return Hotel{}, err
	}
	if unchanged(f, current.fields()) {
		return current, nil
	}
	row, err := write(ctx, s, func(q *db.Queries) (db.Hotel, error) {
		if f.Currency != current.Currency {
			// Rates and bookings store amounts in the hotel's currency:
			// changing it would re-price them all. The locks wait for rates
			// and bookings being written and keep new ones out until this
			// transaction ends, so the answer stays true.
			if err := q.LockHotelForAmounts(ctx, id); err != nil {
				return db.Hotel{}, err
			}
			if err := q.LockRatePlansForAmounts(ctx, id); err != nil {
				return db.Hotel{}, err
			}
			has, err := q.HotelHasAmounts(ctx, id)
			if err != nil {
				return db.Hotel{}, err
			}
			if has.Bool {
				return db.Hotel{}, &apperr.Error{Code: apperr.Conflict, Field: []string{"input", "currency"},
					Message: fmt.Sprintf("the hotel's rates or bookings are in %s: its currency cannot change", current.Currency)}
			}
		}
		if err := requireKnown(ctx, q, f, current); err != nil {
			return db.Hotel{}, err
		}
		row, err := q.UpdateHotel(ctx, db.UpdateHotelParams{
			ID: id, Version: expectedVersion, Name: f.Name, Description: f.Description, TimeZone: f.TimeZone,
			Latitude: f.Location.Lat, Longitude: f.Location.Lon,
			AddressLine1: f.Address.Line1, AddressLine2: f.Address.Line2, City: f.Address.City,
			PostalCode: f.Address.PostalCode, CountryCode: f.Address.CountryCode,
			StarRating: int16(f.StarRating), Amenities: f.Amenities, Currency: f.Currency,
			CheckInTime: f.CheckInTime.pg(), CheckOutTime: f.CheckOutTime.pg(), TaxRateBps: int32(f.TaxRateBasisPoints),
		})
		if err != nil || f.TimeZone == current.TimeZone {
			return row, err
		}
		return row, s.reopenNightsTx(ctx, q, current, f.TimeZone)
	})
	if err != nil {
		return Hotel{}, staleOr(err, "hotel")
	}
	return hotelFromRow(row), nil
}

// reopenNightsTx keeps the nights a zone change puts back on sale true to
// the hotel's rooms. Capacity changes (rooms added, out of service,
// blocked) count from the hotel's business date on; a zone further west
// can move that date back, and the nights between were left with the
// capacity they had when they ended: a room taken out of service on the
// morning after its night would be sold again for that night. Their
// capacity is computed again, as the booking core's capacity changes do,
// after theirs (LockHotelRoomTypes). A night that has more guests than
// rooms now refuses the change (CONFLICT): it would be on sale oversold,
// and the guests of a night in progress cannot be moved; the change can
// be made once that night is over in the new zone (06:00).
func (s *Service) reopenNightsTx(ctx context.Context, q *db.Queries, h Hotel, zone string) error {
	was, err := h.Zone()
	if err != nil {
		return err
	}
	loc, err := hoteldate.Zone(zone)
	if err != nil {
		return err
	}
	now := s.now()
	from := hoteldate.BusinessDate(now, loc)
	if !from.Before(hoteldate.BusinessDate(now, was)) {
		return nil
	}
	if err := q.LockHotelRoomTypes(ctx, h.ID); err != nil {
		return fmt.Errorf("lock room types: %w", err)
	}
	over, err := q.LockHotelInventoryFrom(ctx, db.LockHotelInventoryFromParams{HotelID: h.ID, FromNight: from})
	if err != nil {
		return fmt.Errorf("lock inventory: %w", err)
	}
	if len(over) > 0 {
		o := over[0]
		return &apperr.Error{Code: apperr.Conflict, Field: []string{"input", "timeZone"}, Message: fmt.Sprintf(
			"in %s the night of %s is still on sale, and %s has %d booked rooms for it but %d in service: change the zone after 06:00 there, or put rooms back in service first",
			zone, o.Night.Format(time.DateOnly), o.RoomTypeName, o.Reserved, o.Rooms)}
	}
	if err := q.RefreshHotelCapacity(ctx, db.RefreshHotelCapacityParams{HotelID: h.ID, FromNight: from}); err != nil {
		return fmt.Errorf("refresh capacity: %w", err)
	}
	return nil
}

func hotelFromRow(r db.Hotel) Hotel {
	return Hotel{
		ID: r.ID, Version: r.Version, Name: r.Name, Description: r.Description, TimeZone: r.TimeZone,
		Location: GeoPoint{Lat: r.Latitude, Lon: r.Longitude},
		Address: Address{Line1: r.AddressLine1, Line2: r.AddressLine2, City: r.City,
			PostalCode: r.PostalCode, CountryCode: r.CountryCode},
		StarRating: int(r.StarRating), Amenities: r.Amenities, Currency: r.Currency,
		CheckInTime: timeOfDayFromPG(r.CheckInTime), CheckOutTime: timeOfDayFromPG(r.CheckOutTime),
		TaxRateBasisPoints: int(r.TaxRateBps),
	}
}

func mapRows[R, T any](rows []R, f func(R) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}
