package booking

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/staygraph/staygraph/internal/audit"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// ExpireHoldArgs is the durable job that expires one hold when its time is up.
// It is enqueued in the transaction that creates the hold.
type ExpireHoldArgs struct {
	BookingID uuid.UUID `json:"booking_id"`
}

// Kind implements river.JobArgs.
func (ExpireHoldArgs) Kind() string { return "booking.expire_hold" }

// AddWorkers registers the booking core's background workers; each job runs
// attributed to its kind in the audit trail.
func AddWorkers(workers *river.Workers, svc *Service) {
	// A hold expires, or its job snoozes while a payment on it is in flight.
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[ExpireHoldArgs]) error {
		wait, err := svc.ExpireHold(audit.WithJob(ctx, job.Kind), job.Args.BookingID)
		if err != nil {
			return err
		}
		if wait > 0 {
			return river.JobSnooze(wait)
		}
		return nil
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[ReconcilePaymentArgs]) error {
		return svc.ReconcilePayment(audit.WithJob(ctx, job.Kind), job.Args.PaymentID)
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[RefundArgs]) error {
		return svc.PayRefund(audit.WithJob(ctx, job.Kind), job.Args.RefundID)
	}))
}

// ExpireHold expires a hold whose time is up and hands its inventory back.
// It returns how long to wait before trying again when the hold is not due
// yet or a payment on it is in flight, and 0 when there is nothing more to do.
func (s *Service) ExpireHold(ctx context.Context, id uuid.UUID) (time.Duration, error) {
	var wait time.Duration
	err := s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		now := s.opts.Now()
		row, err := q.ExpireBooking(ctx, db.ExpireBookingParams{ID: id, Now: now})
		if errors.Is(err, pgx.ErrNoRows) {
			current, err := q.GetBooking(ctx, id)
			if err != nil {
				return fmt.Errorf("load booking: %w", err)
			}
			switch {
			case current.Status != string(StatusHeld):
				// Confirmed, cancelled or already expired: nothing to do.
			case current.PaymentInFlight:
				wait = time.Minute
			default:
				wait = max(time.Second, current.HoldExpiresAt.Sub(now))
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("expire booking: %w", err)
		}
		expired := bookingFromRow(row)
		if err := releaseBookingTx(ctx, q, expired, nil); err != nil {
			return err
		}
		// Partial payments on a hold that lapsed go back automatically.
		if expired.RefundDue > 0 {
			if _, err = s.refundTx(ctx, tx, q, expired, expired.RefundDue, "hold expired"); err != nil {
				return err
			}
		}
		return s.noticeTx(ctx, tx, expired.ID, notify.Expired)
	})
	if err != nil {
		return 0, fmt.Errorf("expire hold %s: %w", id, err)
	}
	return wait, nil
}

// releaseBookingTx hands back the units a booking still holds, of one room
// type or (roomType nil) of all, each exactly once.
func releaseBookingTx(ctx context.Context, q *db.Queries, b Booking, roomType *uuid.UUID) error {
	types, err := q.ReleaseBookingRooms(ctx, db.ReleaseBookingRoomsParams{BookingID: b.ID, RoomTypeID: nullUUID(roomType)})
	if err != nil {
		return fmt.Errorf("release booked rooms: %w", err)
	}
	return releaseTx(ctx, q, newReservation(types, b.CheckIn, b.CheckOut))
}

func nullUUID(id *uuid.UUID) uuid.NullUUID {
	if id == nil {
		return uuid.NullUUID{}
	}
	return uuid.NullUUID{UUID: *id, Valid: true}
}
