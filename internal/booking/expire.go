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
		expired, err := s.expireTx(ctx, tx, q, id)
		if err != nil || expired {
			return err
		}
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
			wait = max(time.Second, current.HoldExpiresAt.Sub(s.opts.Now()))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire hold %s: %w", id, err)
	}
	return wait, nil
}

// expireTx ends a hold that is due: its time is up, or maintenance took its
// rooms (it can no longer be confirmed, so it ends at once instead of
// keeping its other rooms from sale until its time). It hands back every
// unit the hold still holds, refunds what was captured on it, and tells the
// guest. It reports false, changing nothing, when the booking is not HELD,
// not due, or a payment on it is in flight (whoever records that payment's
// outcome calls it again: unpinTx).
func (s *Service) expireTx(ctx context.Context, tx pgx.Tx, q *db.Queries, id uuid.UUID) (bool, error) {
	row, err := q.ExpireBooking(ctx, db.ExpireBookingParams{ID: id, Now: s.opts.Now()})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("expire booking: %w", err)
	}
	expired := bookingFromRow(row)
	if err := releaseBookingTx(ctx, q, expired, nil); err != nil {
		return false, err
	}
	// Partial payments on a hold that lapsed go back automatically.
	if expired.RefundDue > 0 {
		reason := "hold expired"
		if expired.RelocationRequired {
			reason = "hold released: maintenance took its room"
		}
		if _, err = s.refundTx(ctx, tx, q, expired, expired.RefundDue, reason); err != nil {
			return false, err
		}
	}
	return true, s.noticeTx(ctx, tx, expired.ID, notify.Expired)
}

// unpinTx ends the payment pin of a booking whose payment has its outcome
// without confirming it. A hold maintenance took the rooms of while it was
// being paid is released then (expireTx): nothing is left to confirm.
func (s *Service) unpinTx(ctx context.Context, tx pgx.Tx, q *db.Queries, id uuid.UUID) error {
	row, err := q.ClearPaymentInFlight(ctx, id)
	if err != nil {
		return fmt.Errorf("unpin booking: %w", err)
	}
	if row.Status == string(StatusHeld) && row.RelocationRequired {
		_, err = s.expireTx(ctx, tx, q, id)
	}
	return err
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
