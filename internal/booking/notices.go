package booking

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/notify"
)

// SetNotifier makes the service tell guests about their bookings: messages
// are enqueued in the transaction of the change they report, so guests hear
// of exactly the changes that commit. It is wiring, done once before
// serving: the notifier reads contacts back through this service
// (ContactOf), so neither can be built with the other.
func (s *Service) SetNotifier(n *notify.Service) { s.notifier = n }

// NotificationsOf lists the messages about bookings the caller has loaded
// (and so may read), with their status, attempts and last error, keyed by
// booking id, each booking's oldest first.
func (s *Service) NotificationsOf(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]notify.Notification, error) {
	if s.notifier == nil {
		return map[uuid.UUID][]notify.Notification{}, nil
	}
	return s.notifier.ForBookings(ctx, ids)
}

// UndeliveredNotifications lists up to limit notifications of the hotel's
// bookings that nobody could deliver, most recently given up first
// (notify.Service.Undelivered). Staff of the hotel and admins.
func (s *Service) UndeliveredNotifications(ctx context.Context, hotelID uuid.UUID, limit int) ([]notify.Notification, error) {
	if err := auth.RequireHotel(ctx, hotelID); err != nil {
		return nil, err
	}
	if s.notifier == nil {
		return []notify.Notification{}, nil
	}
	return s.notifier.Undelivered(ctx, hotelID, limit)
}

// RetryNotification sends a DEAD notification of a booking again. Staff of
// the booking's hotel and admins.
func (s *Service) RetryNotification(ctx context.Context, bookingID, notificationID uuid.UUID) (notify.Notification, error) {
	b, _, err := s.load(ctx, bookingID, false)
	if apperr.HasCode(err, apperr.NotFound) {
		return notify.Notification{}, &apperr.Error{Code: apperr.NotFound, Field: []string{"input", "bookingId"}, Message: "booking not found"}
	}
	if err != nil {
		return notify.Notification{}, err
	}
	if err := auth.RequireHotel(ctx, b.HotelID); err != nil {
		return notify.Notification{}, err
	}
	list, err := s.NotificationsOf(ctx, []uuid.UUID{b.ID})
	if err != nil {
		return notify.Notification{}, err
	}
	for _, n := range list[b.ID] {
		if n.ID == notificationID {
			return s.notifier.Retry(ctx, notificationID)
		}
	}
	return notify.Notification{}, &apperr.Error{Code: apperr.NotFound, Field: []string{"input", "notificationId"}, Message: "no such notification for this booking"}
}

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
