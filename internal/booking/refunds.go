package booking

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/audit"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/postgres/db"
	"github.com/staygraph/staygraph/internal/textfield"
)

// Refunds the providers did not pay back are the hotel's staff's to act on:
// a FAILED one (the provider refused) is paid back outside staygraph and
// recorded with SettleRefundOutside; a PENDING one whose job River gave up
// on (the provider did not answer for all its attempts) is asked for again
// with RetryRefund. Staff of the booking's hotel and admins only.

// RefundSettlement is how staff paid back outside staygraph a refund the
// provider did not pay (FAILED, or PENDING with its job given up).
type RefundSettlement struct {
	// Amount is what they paid back: the refund's amount less the parts
	// the provider paid before it refused the rest.
	Amount money.Money
	// Reference is the transfer's or the provider dashboard's id.
	Reference string
	Note      string
	// By is who recorded it, as the audit trail names actors (audit.Actor).
	By string
	At time.Time
}

// SettleRefundInput records that a FAILED refund was paid back outside
// staygraph.
type SettleRefundInput struct {
	RefundID uuid.UUID
	// Reference is the transfer's or the provider dashboard's id: required,
	// at most 200 characters once trimmed.
	Reference string
	// Note is optional, at most 500 characters once trimmed.
	Note string
}

// SettleRefundOutside records that staff paid a FAILED refund back to the
// guest outside staygraph (the provider's dashboard, a bank transfer), or a
// PENDING one whose job River gave up on (the provider never answered, or
// is no longer configured: asking again cannot help). In one statement the
// refund becomes SETTLED_OUTSIDE with the reference, the note, who and
// when, and what was paid that way: its amount less the parts the provider
// did pay; the parts it never paid are given up. The booking's ledger
// counts that as refunded, and the refund is no longer among the unsettled
// ones. It returns the refund and its booking. A refund that is neither is
// INVALID_STATE, so of concurrent requests exactly one settles it; a
// PENDING one whose job still asks is CONFLICT.
func (s *Service) SettleRefundOutside(ctx context.Context, in SettleRefundInput) (Refund, Booking, error) {
	b, err := s.refundToManage(ctx, in.RefundID, "settle its refunds")
	if err != nil {
		return Refund{}, Booking{}, err
	}
	in.Reference, in.Note = textfield.Trim(in.Reference), textfield.Trim(in.Note)
	var invalid apperr.List
	switch n := utf8.RuneCountInString(in.Reference); {
	case n == 0:
		invalid = append(invalid, apperr.Invalid("required: the transfer's or the provider dashboard's id", "input", "reference"))
	case n > 200:
		invalid = append(invalid, apperr.Invalid("at most 200 characters", "input", "reference"))
	}
	if utf8.RuneCountInString(in.Note) > maxNoteLength {
		invalid = append(invalid, apperr.Invalid(fmt.Sprintf("at most %d characters", maxNoteLength), "input", "note"))
	}
	if err := invalid.Err(); err != nil {
		return Refund{}, Booking{}, err
	}
	note, err := sealSettlementNote(s.opts.PII, in.RefundID, in.Note)
	if err != nil {
		return Refund{}, Booking{}, err
	}
	var settled Refund
	err = s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		current, err := q.GetRefund(ctx, in.RefundID) // locked: RetryRefund and the job wait
		if err != nil {
			return fmt.Errorf("load refund: %w", err)
		}
		switch current.Status {
		case "FAILED":
		case "PENDING":
			job, err := s.liveRefundJob(ctx, tx, current.ID)
			if err != nil {
				return err
			}
			if job != nil {
				return apperr.New(apperr.Conflict, liveJobMessage("the refund's", job)+": settle it outside staygraph only once it gave up")
			}
			if err := q.FailPendingRefundParts(ctx, db.FailPendingRefundPartsParams{RefundID: current.ID,
				FailureMessage: "given up: the refund was settled outside staygraph"}); err != nil {
				return fmt.Errorf("give up the refund's unpaid parts: %w", err)
			}
		case "SETTLED_OUTSIDE":
			return apperr.New(InvalidState, fmt.Sprintf("the refund was settled outside staygraph already (reference %q, recorded by %s)",
				current.SettlementReference, current.SettledBy))
		default:
			return apperr.New(InvalidState, fmt.Sprintf("the refund is %s: only a FAILED refund, or a PENDING one whose job gave up, is settled outside staygraph", current.Status))
		}
		row, err := q.SettleRefundOutside(ctx, db.SettleRefundOutsideParams{ID: in.RefundID, Reference: in.Reference,
			NoteEnc: note, SettledBy: audit.Actor(ctx)})
		if err != nil {
			return fmt.Errorf("settle refund: %w", err)
		}
		r, err := s.refund(row)
		if err != nil {
			return err
		}
		settled = *r
		// the guest hears that the money was paid back, as when the
		// provider pays it
		return s.noticeTx(ctx, tx, b.ID, notify.Refunded)
	})
	return settled, b, err
}

// RetryRefund asks again for a PENDING refund whose job River gave up on
// (discarded after its attempts: the provider did not answer for weeks). In
// the transaction that finds the refund PENDING (locked, so one request at
// a time) and without a live job, it enqueues the refund's job anew, with a
// fresh set of attempts. Nothing is paid twice: the parts the provider paid
// are not asked again, and the others are asked under the idempotency keys
// they were asked under before. It returns the refund and its booking. A
// refund whose job is still live is CONFLICT (the job asks by itself); one
// that is not PENDING, INVALID_STATE.
//
// A FAILED refund is not asked again. Its refused part was asked under an
// idempotency key of its own, which a provider may answer with the refusal
// it stored (the sandbox does); asking anew would need a new key, so a new
// plan of parts, and the refusals that fail a refund (a closed card, a
// charge too old to refund) do not change by asking again. Staff pay it
// back outside staygraph and record that with SettleRefundOutside.
func (s *Service) RetryRefund(ctx context.Context, refundID uuid.UUID) (Refund, Booking, error) {
	b, err := s.refundToManage(ctx, refundID, "ask for its refunds again")
	if err != nil {
		return Refund{}, Booking{}, err
	}
	var pending Refund
	err = s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		row, err := q.GetRefund(ctx, refundID)
		if err != nil {
			return fmt.Errorf("load refund: %w", err)
		}
		switch row.Status {
		case "PENDING":
		case "FAILED":
			return apperr.New(InvalidState, "the provider refused the refund: asking again gets the same answer; pay it back outside staygraph and record that")
		default:
			return apperr.New(InvalidState, fmt.Sprintf("the refund is %s: only a PENDING refund is asked for again", row.Status))
		}
		job, err := s.liveRefundJob(ctx, tx, row.ID)
		if err != nil {
			return err
		}
		if job != nil {
			return apperr.New(apperr.Conflict, liveJobMessage("the refund's", job))
		}
		r, err := s.refund(row)
		if err != nil {
			return err
		}
		pending = *r
		return s.enqueueTx(ctx, tx, RefundArgs{RefundID: row.ID}, 0)
	})
	return pending, b, err
}

// liveJob is the job of kind whose argument arg is id that River runs or
// will run, nil when there is none (or no job client: tests that drive the
// work by hand).
func (s *Service) liveJob(ctx context.Context, tx pgx.Tx, kind, arg string, id uuid.UUID) (*rivertype.JobRow, error) {
	if s.jobs == nil {
		return nil, nil
	}
	res, err := s.jobs.JobListTx(ctx, tx, river.NewJobListParams().Kinds(kind).
		States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled).
		Where("args->>'"+arg+"' = @id", river.NamedArgs{"id": id.String()}).First(1))
	if err != nil {
		return nil, fmt.Errorf("look for the %s job of %s: %w", kind, id, err)
	}
	if len(res.Jobs) == 0 {
		return nil, nil
	}
	return res.Jobs[0], nil
}

// liveRefundJob is the refund's job that River runs or will run.
func (s *Service) liveRefundJob(ctx context.Context, tx pgx.Tx, refundID uuid.UUID) (*rivertype.JobRow, error) {
	return s.liveJob(ctx, tx, RefundArgs{}.Kind(), "refund_id", refundID)
}

// liveJobMessage says what the live job of whose ("the refund's") is doing.
func liveJobMessage(whose string, job *rivertype.JobRow) string {
	if job.State == rivertype.JobStateRunning {
		return fmt.Sprintf("%s job is asking the provider now (attempt %d of %d)", whose, job.Attempt, job.MaxAttempts)
	}
	return fmt.Sprintf("%s job asks the provider by itself, next at %s (attempt %d of %d)",
		whose, job.ScheduledAt.UTC().Format(time.RFC3339), job.Attempt+1, job.MaxAttempts)
}

// refundToManage returns the booking of a refund the caller may act on
// (bookingToManage).
func (s *Service) refundToManage(ctx context.Context, refundID uuid.UUID, what string) (Booking, error) {
	if _, err := auth.Require(ctx); err != nil {
		return Booking{}, err
	}
	bookingID, err := s.q.RefundBooking(ctx, refundID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Booking{}, apperr.New(apperr.NotFound, "refund not found")
	}
	if err != nil {
		return Booking{}, fmt.Errorf("load refund: %w", err)
	}
	return s.bookingToManage(ctx, bookingID, "refund not found", what)
}

// bookingToManage returns the booking of a refund or payment the caller may
// act on: staff of the booking's hotel and admins. One of a booking the
// caller may not see is NOT_FOUND (notFound), as the booking would be; one
// of a booking the caller may only read or change as its booker is
// FORBIDDEN.
func (s *Service) bookingToManage(ctx context.Context, bookingID uuid.UUID, notFound, what string) (Booking, error) {
	b, p, err := s.load(ctx, bookingID, false)
	if apperr.HasCode(err, apperr.NotFound) {
		return Booking{}, apperr.New(apperr.NotFound, notFound)
	}
	if err != nil {
		return Booking{}, err
	}
	if !p.CanManageHotel(b.HotelID) {
		return Booking{}, apperr.New(apperr.Forbidden, "only the hotel's staff can "+what)
	}
	return b, nil
}
