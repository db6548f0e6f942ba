package booking

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/hoteldate"
)

// Limits of a stay. MaxDaysAhead counts from the hotel's business date.
const (
	MaxNights    = 28
	MaxDaysAhead = 365
)

// Date returns the calendar date of t in its own location, as a time at UTC
// midnight (the representation of hotel-local dates throughout).
func Date(t time.Time) time.Time { return hoteldate.Date(t) }

func nightsBetween(checkIn, checkOut time.Time) int {
	return int(checkOut.Sub(checkIn).Hours()/24 + 0.5)
}

// stay is a validated request for local nights [CheckIn, CheckOut) at a hotel.
type stay struct {
	hotel    catalog.Hotel
	loc      *time.Location
	checkIn  time.Time
	checkOut time.Time
}

func (s stay) nights() int { return nightsBetween(s.checkIn, s.checkOut) }

// checkInAt is the instant of the hotel's check-in time on the check-in date,
// in the hotel's zone. Across a DST gap it moves forward as time.Date does.
func (s stay) checkInAt() time.Time { return s.hotel.CheckInTime.On(s.checkIn, s.loc) }

// hotelLocation is the time zone of a hotel, whose business date
// (hoteldate.BusinessDate) the rules of stays, front desk and maintenance
// read.
func (s *Service) hotelLocation(ctx context.Context, hotelID uuid.UUID) (*time.Location, error) {
	hotel, err := s.catalog.Hotel(ctx, hotelID)
	if err != nil {
		return nil, err
	}
	return hotel.Zone()
}

// newStay validates local dates against the hotel's own calendar: check-in
// not before the hotel's business date at now (at 02:00 the night that began
// the evening before still sells, from 06:00 it does not), at most
// MaxDaysAhead days after it, 1 to MaxNights nights.
func newStay(h catalog.Hotel, checkIn, checkOut, now time.Time, field ...string) (stay, error) {
	loc, err := h.Zone()
	if err != nil {
		return stay{}, err
	}
	s := stay{hotel: h, loc: loc, checkIn: Date(checkIn), checkOut: Date(checkOut)}
	today := hoteldate.BusinessDate(now, loc)
	var errs apperr.List
	fail := func(msg string, f string) {
		errs = append(errs, apperr.Invalid(msg, append(append([]string{}, field...), f)...))
	}
	switch n := s.nights(); {
	case !s.checkOut.After(s.checkIn):
		fail("check-out must be after check-in", "checkOut")
	case n > MaxNights:
		fail(fmt.Sprintf("a stay is at most %d nights", MaxNights), "checkOut")
	}
	if s.checkIn.Before(today) {
		fail(fmt.Sprintf("check-in %s is before today at the hotel (%s in %s, a day that runs from %02d:00 to %02d:00 local time)",
			s.checkIn.Format(time.DateOnly), today.Format(time.DateOnly), h.TimeZone, hoteldate.Cutoff, hoteldate.Cutoff), "checkIn")
	} else if s.checkIn.After(today.AddDate(0, 0, MaxDaysAhead)) {
		fail(fmt.Sprintf("check-in is more than %d days ahead", MaxDaysAhead), "checkIn")
	}
	return s, errs.Err()
}
