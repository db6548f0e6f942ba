package booking

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
)

// canSee reports whether p may read b: admins, staff of its hotel, and its
// owner (a partner also needs the read:bookings or book scope). Staff reach
// bookings through their hotels only: one made at a hotel they no longer
// manage is not theirs to read.
func canSee(p *auth.Principal, b Booking) bool {
	switch {
	case p == nil:
		return false
	case p.IsAdmin(), p.CanManageHotel(b.HotelID):
		return true
	case p.Role == auth.RoleStaff:
		return false
	case p.Role == auth.RolePartner && !readsBookings(p):
		return false
	default:
		return ownerOf(p) == b.Owner
	}
}

// readsBookings reports whether a partner's key may read the bookings made
// with it: with the read:bookings or the book scope.
func readsBookings(p *auth.Principal) bool {
	return p.HasScope(auth.ScopeReadBookings) || p.HasScope(auth.ScopeBook)
}

// canChange reports whether p may confirm or cancel b: admins, staff of its
// hotel, and its owner (a partner also needs the book scope).
func canChange(p *auth.Principal, b Booking) bool {
	switch {
	case p == nil:
		return false
	case p.IsAdmin(), p.CanManageHotel(b.HotelID):
		return true
	case p.Role == auth.RoleStaff:
		return false
	case p.Role == auth.RolePartner && !p.HasScope(auth.ScopeBook):
		return false
	default:
		return ownerOf(p) == b.Owner
	}
}

// load returns a booking the caller may act on. Bookings the caller may not
// see are NOT_FOUND, so ids of other people's bookings reveal nothing.
func (s *Service) load(ctx context.Context, id uuid.UUID, change bool) (Booking, *auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Booking{}, nil, err
	}
	row, err := s.q.GetBooking(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Booking{}, nil, apperr.New(apperr.NotFound, "booking not found")
	}
	if err != nil {
		return Booking{}, nil, fmt.Errorf("load booking: %w", err)
	}
	b := bookingFromRow(row)
	if !canSee(p, b) {
		return Booking{}, nil, apperr.New(apperr.NotFound, "booking not found")
	}
	if change && !canChange(p, b) {
		return Booking{}, nil, apperr.New(apperr.Forbidden, "you may read this booking but not change it")
	}
	b, err = s.reveal(b)
	return b, p, err
}

// Booking returns one booking to its owner, the hotel's staff and admins.
func (s *Service) Booking(ctx context.Context, id uuid.UUID) (Booking, error) {
	b, _, err := s.load(ctx, id, false)
	return b, err
}

// ByReference returns the booking with reference whose contact email is
// email (in any case), to anyone who knows both (as printed on a
// confirmation). The email is compared by its blind index, in constant time;
// the stored email is opened only once both matched.
func (s *Service) ByReference(ctx context.Context, reference, email string) (Booking, error) {
	row, err := s.q.GetBookingByReference(ctx, strings.ToUpper(strings.TrimSpace(reference)))
	if errors.Is(err, pgx.ErrNoRows) || err == nil && !hmac.Equal(row.ContactEmailIdx, s.opts.PII.BlindIndex(email)) {
		return Booking{}, apperr.New(apperr.NotFound, "no booking with that reference and email")
	}
	if err != nil {
		return Booking{}, fmt.Errorf("load booking by reference: %w", err)
	}
	return s.reveal(bookingFromRow(row))
}
