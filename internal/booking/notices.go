package booking

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/notify"
)

// Notifier enqueues a message about a booking in the caller's transaction,
// so guests hear of exactly the changes that commit. *notify.Service is one.
type Notifier interface {
	EnqueueTx(ctx context.Context, tx pgx.Tx, bookingID uuid.UUID, kind notify.Kind, channels ...string) error
}

// SetNotifier makes the service tell guests about their bookings. It is
// wiring, done once before serving: the notifier reads contacts back through
// this service (ContactOf), so neither can be built with the other.
func (s *Service) SetNotifier(n Notifier) { s.notifier = n }

// noticeTx tells the guest of b about kind, if a notifier is set.
func (s *Service) noticeTx(ctx context.Context, tx pgx.Tx, bookingID uuid.UUID, kind notify.Kind) error {
	if s.notifier == nil {
		return nil
	}
	if err := s.notifier.EnqueueTx(ctx, tx, bookingID, kind); err != nil {
		return fmt.Errorf("enqueue %s notice: %w", strings.ToLower(string(kind)), err)
	}
	return nil
}

// ContactOf implements notify.Recipients: who to write to about a booking,
// read (and decrypted) when the message is sent, so no personal data is
// copied into the notification queue.
func (s *Service) ContactOf(ctx context.Context, bookingID uuid.UUID) (notify.Contact, error) {
	row, err := s.q.GetBooking(ctx, bookingID)
	if err != nil {
		return notify.Contact{}, fmt.Errorf("load booking: %w", err)
	}
	b, err := s.reveal(bookingFromRow(row))
	if err != nil {
		return notify.Contact{}, err
	}
	hotel, err := s.catalog.Hotel(ctx, b.HotelID)
	if err != nil {
		return notify.Contact{}, err
	}
	c := notify.Contact{Email: b.ContactEmail, Phone: b.ContactPhone, Language: b.Language, Reference: b.Reference,
		HotelName: hotel.Name, CheckIn: b.CheckIn, CheckOut: b.CheckOut}
	guests, err := s.q.ListBookingGuests(ctx, []uuid.UUID{b.ID})
	if err != nil {
		return notify.Contact{}, fmt.Errorf("load guests: %w", err)
	}
	if len(guests) > 0 {
		if g, err := s.guestFromRow(guests[0]); err == nil {
			c.GuestName = g.GivenName
		}
	}
	return c, nil
}

var _ notify.Recipients = (*Service)(nil)
