package booking

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/postgres/db"
	"github.com/staygraph/staygraph/internal/textfield"
)

// CancelInput cancels a held or confirmed booking.
type CancelInput struct {
	IdempotencyKey string
	BookingID      uuid.UUID
	Reason         string
	// WaivePenalty says the hotel cancels (overbooked, closed): the guest
	// pays nothing and gets back all that was paid. Staff of the booking's
	// hotel and admins only.
	WaivePenalty bool
}

// Refund is money owed back to the booker.
type Refund struct {
	ID       uuid.UUID
	Amount   int64
	Currency string
	Status   string
	Reason   string
	// FailureMessage says why the provider refused a FAILED refund.
	FailureMessage string
	CreatedAt      time.Time
	// Settlement is how staff paid a FAILED refund back outside staygraph;
	// nil unless the refund is SETTLED_OUTSIDE.
	Settlement *RefundSettlement
}

// maxNoteLength is the most characters a free-text reason or note holds: a
// cancellation's reason, a maintenance block's, a refund settlement's note.
const maxNoteLength = 500

// Cancel cancels a booking: it applies the cancellation penalty of each
// room's terms at this instant in the hotel's zone, records the refund due
// (captured payments minus the penalty) and releases the inventory, in one
// transaction. A hold that was never paid costs nothing, and so does a
// booking the hotel did not honour: one flagged for relocation (maintenance
// took a room of it), or one the hotel cancels (WaivePenalty).
func (s *Service) Cancel(ctx context.Context, in CancelInput) (Booking, *Refund, error) {
	b, p, err := s.load(ctx, in.BookingID, true)
	if err != nil {
		return Booking{}, nil, err
	}
	in.Reason = textfield.Trim(in.Reason)
	if utf8.RuneCountInString(in.Reason) > maxNoteLength {
		return Booking{}, nil, apperr.Invalid(fmt.Sprintf("at most %d characters", maxNoteLength), "input", "reason")
	}
	if in.WaivePenalty && !p.CanManageHotel(b.HotelID) { // admins manage every hotel
		return Booking{}, nil, &apperr.Error{Code: apperr.Forbidden, Field: []string{"input", "waivePenalty"},
			Message: "only the hotel's staff and admins waive the cancellation terms"}
	}
	key, err := s.newIdempotency(ownerOf(p), in.IdempotencyKey, "cancel", in)
	if err != nil {
		return Booking{}, nil, err
	}
	if b, ok, err := s.replay(ctx, key); ok || err != nil {
		if err != nil {
			return Booking{}, nil, err
		}
		refund, err := s.latestRefund(ctx, b.ID)
		return b, refund, err
	}
	// The terms count back from the check-in instant fixed when it was held,
	// on the clock of the zone it was sold in (not the hotel's settings now).
	loc, err := s.termsZone(ctx, b)
	if err != nil {
		return Booking{}, nil, err
	}
	var cancelled Booking
	var refund *Refund
	err = s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		row, err := q.GetBookingForUpdate(ctx, b.ID)
		if err != nil {
			return fmt.Errorf("lock booking: %w", err)
		}
		current := bookingFromRow(row)
		switch {
		case current.PaymentInFlight:
			return apperr.New(PaymentPending, "a payment on this booking is under way; try again when it has settled")
		case current.Status != StatusHeld && current.Status != StatusConfirmed:
			return apperr.New(InvalidState, fmt.Sprintf("the booking is %s: it cannot be cancelled", current.Status))
		}
		var penalty int64
		if current.Status == StatusConfirmed && !in.WaivePenalty && !current.RelocationRequired {
			if penalty, err = penaltyOf(ctx, q, current.ID, current.Currency, b.CheckInAt.In(loc), s.opts.Now()); err != nil {
				return err
			}
		}
		paid, err := q.CapturedAmount(ctx, current.ID)
		if err != nil {
			return fmt.Errorf("sum payments: %w", err)
		}
		// The penalty kept is at most what was paid: nothing collects the
		// rest of the terms' amount from a guest who paid a deposit only.
		penalty = min(penalty, paid)
		refundDue := paid - penalty
		// The reason is free text that guests fill with their names, phones
		// and emails: personal data, stored sealed.
		reason, err := sealCancelReason(s.opts.PII, current.ID, in.Reason)
		if err != nil {
			return err
		}
		row, err = q.CancelBooking(ctx, db.CancelBookingParams{ID: current.ID, Version: current.Version,
			CancelReasonEnc: reason, PenaltyAmount: penalty, RefundDue: refundDue})
		if err != nil {
			return fmt.Errorf("cancel booking: %w", err)
		}
		cancelled = bookingFromRow(row)
		if err := releaseBookingTx(ctx, q, cancelled, nil); err != nil {
			return err
		}
		if refundDue > 0 {
			if refund, err = s.refundTx(ctx, tx, q, cancelled, refundDue, "cancellation"); err != nil {
				return err
			}
		}
		if err := s.noticeTx(ctx, tx, cancelled.ID, notify.Cancelled); err != nil {
			return err
		}
		return saveTx(ctx, q, key, cancelled)
	})
	if err != nil {
		// A retry of this request running beside it may have cancelled the
		// booking first (this one then waited for its lock and found it
		// CANCELLED, or raced it to the key): it answers as that one did.
		b, ok, rerr := s.replay(ctx, key)
		if rerr != nil || !ok {
			return Booking{}, nil, cmp.Or(rerr, err)
		}
		refund, err := s.latestRefund(ctx, b.ID)
		return b, refund, err
	}
	cancelled, err = s.reveal(cancelled)
	return cancelled, refund, err
}

// termsZone is the zone b's cancellation terms count on (Booking.soldZone),
// reading the hotel's only for a booking sold before that was kept.
func (s *Service) termsZone(ctx context.Context, b Booking) (*time.Location, error) {
	if loc := b.soldZone(); loc != nil {
		return loc, nil
	}
	return s.hotelLocation(ctx, b.HotelID)
}

// penaltyOf is what cancelling a booking at now costs, from the terms each
// room was sold under. (A booking maintenance took a room of is flagged for
// relocation and costs nothing at all; a room that no longer holds its unit
// is skipped all the same.)
func penaltyOf(ctx context.Context, q *db.Queries, bookingID uuid.UUID, currency string, checkInAt, now time.Time) (int64, error) {
	rooms, err := q.ListBookingRooms(ctx, []uuid.UUID{bookingID})
	if err != nil {
		return 0, fmt.Errorf("load booked rooms: %w", err)
	}
	var priced []pricedRoom
	for _, r := range rooms {
		if !r.HoldsInventory {
			continue
		}
		var snap policySnapshot
		if err := json.Unmarshal(r.CancellationPolicy, &snap); err != nil {
			return 0, fmt.Errorf("read cancellation terms: %w", err)
		}
		priced = append(priced, pricedRoom{policy: snap.policy(), total: r.Amount + r.TaxAmount})
	}
	return penaltyAt(priced, checkInAt, now, currency), nil
}

func (s *Service) latestRefund(ctx context.Context, bookingID uuid.UUID) (*Refund, error) {
	rows, err := s.q.ListRefunds(ctx, []uuid.UUID{bookingID})
	if err != nil {
		return nil, fmt.Errorf("load refunds: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return s.refund(rows[len(rows)-1])
}

// refund is a stored refund, its settlement's note opened.
func (s *Service) refund(r db.Refund) (*Refund, error) {
	refund := &Refund{ID: r.ID, Amount: r.Amount, Currency: r.Currency, Status: r.Status, Reason: r.Reason,
		FailureMessage: r.FailureMessage, CreatedAt: r.CreatedAt}
	if r.SettledAt != nil {
		note, err := open(s.opts.PII, r.SettlementNoteEnc, bookingPurpose(purposeSettleNote, r.ID))
		if err != nil {
			return nil, fmt.Errorf("open the settlement note of refund %s: %w", r.ID, err)
		}
		if r.SettlementNoteEnc == nil {
			// written in plaintext by a server of the release before 00038
			// during a rolling deploy, until rotate-keys seals it
			note = r.SettlementNote
		}
		refund.Settlement = &RefundSettlement{Amount: money.New(r.SettlementAmount, r.Currency), Reference: r.SettlementReference,
			Note: note, By: r.SettledBy, At: *r.SettledAt}
	}
	return refund, nil
}
