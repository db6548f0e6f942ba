package booking

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// CheckOut records that the guests of a confirmed (or checked-in) booking
// have left: the booking becomes CHECKED_OUT. It keeps the units of its
// nights, which were used, so the inventory still counts them. Staff of the
// hotel and admins may check guests out, from the check-in date at the hotel
// on; a booking with a payment under way must wait for it to settle.
func (s *Service) CheckOut(ctx context.Context, id uuid.UUID) (Booking, error) {
	b, p, err := s.load(ctx, id, true)
	if err != nil {
		return Booking{}, err
	}
	if !p.IsAdmin() && !p.CanManageHotel(b.HotelID) {
		return Booking{}, apperr.New(apperr.Forbidden, "only the hotel's staff can check guests out")
	}
	switch {
	case b.Status != StatusConfirmed && b.Status != StatusCheckedIn:
		return Booking{}, apperr.New(InvalidState, fmt.Sprintf("the booking is %s: it cannot be checked out", b.Status))
	case b.PaymentInFlight:
		return Booking{}, apperr.New(PaymentPending, "a payment on this booking is under way; try again when it has settled")
	}
	hotel, err := s.catalog.Hotel(ctx, b.HotelID)
	if err != nil {
		return Booking{}, err
	}
	loc, err := time.LoadLocation(hotel.TimeZone)
	if err != nil {
		return Booking{}, fmt.Errorf("hotel time zone: %w", err)
	}
	if today := LocalToday(s.opts.Now(), loc); today.Before(b.CheckIn) {
		return Booking{}, apperr.New(InvalidState, fmt.Sprintf("the stay has not begun: check-in is %s, today at the hotel is %s",
			b.CheckIn.Format(time.DateOnly), today.Format(time.DateOnly)))
	}
	var out Booking
	err = s.inTx(ctx, func(_ pgx.Tx, q *db.Queries) error {
		row, err := q.CheckOutBooking(ctx, db.CheckOutBookingParams{ID: b.ID, Version: b.Version})
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(InvalidState, "the booking changed meanwhile; reload it")
		}
		if err != nil {
			return fmt.Errorf("check out booking: %w", err)
		}
		out = bookingFromRow(row)
		return nil
	})
	return s.revealed(out, err)
}
