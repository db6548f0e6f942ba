package booking

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// reconcileDelay is how long after an unknown outcome the provider is first asked.
const reconcileDelay = 5 * time.Second

// ReconcilePaymentArgs asks the provider what became of a payment whose
// outcome is unknown. River retries it with backoff until the provider knows.
type ReconcilePaymentArgs struct {
	PaymentID uuid.UUID `json:"payment_id"`
}

// Kind implements river.JobArgs.
func (ReconcilePaymentArgs) Kind() string { return "booking.reconcile_payment" }

// RefundArgs pays a refund back through the providers of the booking's payments.
type RefundArgs struct {
	RefundID uuid.UUID `json:"refund_id"`
}

// Kind implements river.JobArgs.
func (RefundArgs) Kind() string { return "booking.refund" }

// enqueueTx schedules background work in tx, so it exists exactly when tx commits.
func (s *Service) enqueueTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, delay time.Duration) error {
	if s.jobs == nil {
		return nil // tests that drive the background work by hand
	}
	opts := &river.InsertOpts{}
	if delay > 0 {
		opts.ScheduledAt = s.opts.Now().Add(delay)
	}
	if _, err := s.jobs.InsertTx(ctx, tx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// ReconcilePayment asks the provider about a payment whose outcome is
// unknown and records the answer, then settles its booking (settleTx).
// While the provider cannot tell, it returns an error so the job is
// retried later. A payment already settled only has its booking settled:
// a process that stopped between recording an outcome and acting on it
// left the booking pinned.
func (s *Service) ReconcilePayment(ctx context.Context, paymentID uuid.UUID) error {
	p, err := s.q.GetPayment(ctx, paymentID)
	if err != nil {
		return fmt.Errorf("load payment: %w", err)
	}
	if p.Status != "UNKNOWN" && p.Status != "PENDING" {
		return s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error { return s.settleTx(ctx, tx, q, p.BookingID) })
	}
	provider, err := s.payments.Get(p.Provider)
	if err != nil {
		return fmt.Errorf("reconcile payment %s: %w", p.ID, err)
	}
	res, err := provider.Lookup(ctx, p.IdempotencyKey)
	if err != nil || res.Status == payment.Unknown {
		return fmt.Errorf("payment %s is still unknown to %s: %v", p.ID, p.Provider, err)
	}
	if res.Status == payment.Declined && res.FailureCode == payment.NotFound && s.opts.Now().Before(p.CreatedAt.Add(notFoundFinalAfter)) {
		// A charge that timed out may still be processed by the provider:
		// taking "no such charge" as a decline this early could unpin a
		// booking whose money is then taken. Asked again (the job retries).
		return fmt.Errorf("payment %s is not known to %s yet; asking again until %s after the attempt", p.ID, p.Provider, notFoundFinalAfter)
	}
	return s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		status := "FAILED"
		if res.Status == payment.Captured {
			status = "CAPTURED"
		}
		// No row: another reconciliation recorded the outcome first (and
		// the booking may have moved on since); only the booking is settled.
		if _, err := q.CompletePayment(ctx, db.CompletePaymentParams{ID: p.ID, Status: status, ProviderRef: res.ProviderRef,
			CapturedAmount: res.Captured, FailureCode: res.FailureCode, FailureMessage: res.FailureMessage}); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("record reconciled outcome: %w", err)
		}
		return s.settleTx(ctx, tx, q, p.BookingID)
	})
}

// RetryPaymentLookup asks the provider again about a payment whose outcome
// is still not in (UNKNOWN, or PENDING: the process that asked stopped)
// after River gave up its reconciliation (discarded after its attempts:
// the provider could not say for weeks). Its booking stays pinned meanwhile:
// a hold does not lapse, and its rooms stay taken. In the transaction that
// finds the payment so (locked, so one request at a time) and without a
// live reconciliation job, it enqueues one anew, with a fresh set of
// attempts; the job records the provider's answer and confirms or unpins the
// booking, as the first would have. The provider is asked under the
// payment's own idempotency key: nothing can be charged twice. It returns the
// payment and its booking. Staff of the booking's hotel and admins only; a
// payment whose job still asks is CONFLICT, one with its outcome in
// INVALID_STATE.
func (s *Service) RetryPaymentLookup(ctx context.Context, paymentID uuid.UUID) (Payment, Booking, error) {
	if _, err := auth.Require(ctx); err != nil {
		return Payment{}, Booking{}, err
	}
	p, err := s.q.GetPayment(ctx, paymentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Payment{}, Booking{}, apperr.New(apperr.NotFound, "payment not found")
	}
	if err != nil {
		return Payment{}, Booking{}, fmt.Errorf("load payment: %w", err)
	}
	b, err := s.bookingToManage(ctx, p.BookingID, "payment not found", "ask the provider about its payments again")
	if err != nil {
		return Payment{}, Booking{}, err
	}
	err = s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		if p, err = q.LockPayment(ctx, paymentID); err != nil {
			return fmt.Errorf("lock payment: %w", err)
		}
		if p.Status != "UNKNOWN" && p.Status != "PENDING" {
			return apperr.New(InvalidState, fmt.Sprintf("the payment's outcome is in (%s): only a payment whose outcome is UNKNOWN or PENDING is asked about again", p.Status))
		}
		job, err := s.liveJob(ctx, tx, ReconcilePaymentArgs{}.Kind(), "payment_id", p.ID)
		if err != nil {
			return err
		}
		if job != nil {
			return apperr.New(apperr.Conflict, liveJobMessage("the payment's reconciliation", job))
		}
		return s.enqueueTx(ctx, tx, ReconcilePaymentArgs{PaymentID: p.ID}, 0)
	})
	if err != nil {
		return Payment{}, Booking{}, err
	}
	return paymentOf(p), b, nil
}

// settleTx ends the payment pin of a booking whose attempts all have their
// outcomes: a hold whose captures cover its deposit is confirmed while its
// first night is not over (hoteldate.Ends), and expired at once, its money
// given back, once it is; any other booking is unpinned; a hold left
// unconfirmed lapses at its time, and its expiry gives back what it took,
// while one maintenance took the rooms of is released at once (unpinTx). A
// booking not pinned, or with an attempt still under way, is left alone.
func (s *Service) settleTx(ctx context.Context, tx pgx.Tx, q *db.Queries, bookingID uuid.UUID) error {
	b, err := q.GetBookingForUpdate(ctx, bookingID)
	if err != nil {
		return fmt.Errorf("lock booking: %w", err)
	}
	if !b.PaymentInFlight {
		return nil
	}
	if underWay, err := q.HasPaymentUnderWay(ctx, b.ID); err != nil || underWay {
		return err
	}
	captured, err := q.CapturedAmount(ctx, b.ID)
	if err != nil {
		return fmt.Errorf("sum payments: %w", err)
	}
	if b.Status == string(StatusHeld) && !b.RelocationRequired && captured >= b.DepositDue {
		// the night ends on the clock the hold was sold on, as its expiry
		// counts it (holdEnds), whatever zone the hotel has since; holds
		// older than that column, on the hotel's (hotelZoneTx: a settle
		// may hold every connection of the pool)
		loc := bookingFromRow(b).soldZone()
		if loc == nil {
			if loc, err = hotelZoneTx(ctx, q, b.HotelID); err != nil {
				return err
			}
		}
		if s.opts.Now().Before(hoteldate.Ends(b.CheckIn, loc)) {
			if _, err := q.ConfirmBooking(ctx, b.ID); err != nil {
				return fmt.Errorf("confirm reconciled booking: %w", err)
			}
			return s.noticeTx(ctx, tx, b.ID, notify.Confirmed)
		}
		// Its first night is over (the provider answered late, or staff
		// asked again weeks later: RetryPaymentLookup): a hold cannot be
		// confirmed then, and its time is up (holdEnds). It expires at
		// once, giving back its rooms and the money taken for it.
		if _, err := q.ClearPaymentInFlight(ctx, b.ID); err != nil {
			return fmt.Errorf("unpin booking: %w", err)
		}
		_, err = s.expireTx(ctx, tx, q, b.ID)
		return err
	}
	return s.unpinTx(ctx, tx, q, b.ID)
}

// refundTx records money owed back on a booking and schedules paying it.
func (s *Service) refundTx(ctx context.Context, tx pgx.Tx, q *db.Queries, b Booking, amount int64, reason string) (*Refund, error) {
	r, err := q.CreateRefund(ctx, db.CreateRefundParams{ID: uuid.Must(uuid.NewV7()), BookingID: b.ID,
		Amount: amount, Currency: b.Currency, Reason: reason})
	if err != nil {
		return nil, fmt.Errorf("record refund: %w", err)
	}
	if err := s.enqueueTx(ctx, tx, RefundArgs{RefundID: r.ID}, 0); err != nil {
		return nil, err
	}
	return s.refund(r)
}

// refundTimeout bounds one call to a payment provider for a refund.
const refundTimeout = 30 * time.Second

// PayRefund pays a pending refund back against the booking's captured
// payments, oldest first. One short transaction plans the parts (what each
// payment gives back); each part is then asked of its provider outside any
// transaction, so a slow or failing provider holds no lock and no pooled
// connection, and its answer is recorded in a transaction of its own. The
// idempotency key of a part is derived from the refund and the payment, so
// a retry after a crash or a timeout never pays twice. A provider that
// refuses makes the refund FAILED, for staff to see and settle (the parts
// not yet asked are given up); a provider that does not answer leaves the
// part PENDING and the job is retried.
func (s *Service) PayRefund(ctx context.Context, refundID uuid.UUID) error {
	parts, err := s.planRefund(ctx, refundID)
	if err != nil || parts == nil {
		return err
	}
	var retired error
	for _, part := range parts {
		if part.Status != "PENDING" {
			continue
		}
		provider, err := s.payments.Get(part.Provider)
		if err != nil {
			// The provider is not configured on this server (switched off
			// since the charge): the other parts are paid, then the job
			// stops, as asking again will not help until it is; the refund
			// stays PENDING, for staff to ask again (retryRefund) or pay
			// the rest back outside staygraph.
			retired = errors.Join(retired, fmt.Errorf("refund %s: %w", refundID, err))
			continue
		}
		callCtx, cancel := context.WithTimeout(ctx, refundTimeout)
		res, err := provider.Refund(callCtx, payment.RefundRequest{IdempotencyKey: "sg_re_" + refundID.String() + "_" + part.PaymentID.String(),
			ChargeRef: part.ChargeRef, Amount: money.New(part.Amount, part.Currency)})
		cancel()
		if err != nil {
			return fmt.Errorf("refund %s through %s: %w", refundID, part.Provider, err) // retried by the job
		}
		if err := s.recordRefundPart(ctx, refundID, part, res); err != nil || !res.Succeeded {
			return err
		}
	}
	if retired != nil {
		return river.JobCancel(retired)
	}
	return s.finishRefund(ctx, refundID)
}

// planRefund returns the parts of a pending refund, planning them on its
// first run: each captured payment gives back what is left of it, net of
// other refunds' pending parts. It returns nil for a refund already settled.
func (s *Service) planRefund(ctx context.Context, refundID uuid.UUID) ([]db.RefundPartsRow, error) {
	var parts []db.RefundPartsRow
	err := s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		parts = nil
		r, err := q.GetRefund(ctx, refundID)
		if err != nil {
			return fmt.Errorf("load refund: %w", err)
		}
		if r.Status != "PENDING" {
			return nil
		}
		if parts, err = q.RefundParts(ctx, r.ID); err != nil {
			return fmt.Errorf("load refund parts: %w", err)
		}
		if len(parts) > 0 {
			return nil // planned by an earlier run
		}
		// The booking's lock orders the refunds' bookkeeping (plans and
		// outcomes): the statements after it see what others committed.
		if _, err := q.GetBookingForUpdate(ctx, r.BookingID); err != nil {
			return fmt.Errorf("lock booking: %w", err)
		}
		payments, err := q.RefundablePayments(ctx, r.BookingID)
		if err != nil {
			return fmt.Errorf("load refundable payments: %w", err)
		}
		left := r.Amount
		for _, p := range payments {
			amount := min(left, p.Refundable)
			if amount <= 0 {
				continue
			}
			if err := q.CreateRefundPart(ctx, db.CreateRefundPartParams{ID: uuid.Must(uuid.NewV7()), RefundID: r.ID,
				PaymentID: p.ID, Amount: amount}); err != nil {
				return fmt.Errorf("plan refund part: %w", err)
			}
			left -= amount
		}
		if parts, err = q.RefundParts(ctx, r.ID); err != nil {
			return fmt.Errorf("load refund parts: %w", err)
		}
		if parts == nil {
			parts = []db.RefundPartsRow{} // nothing to pay: finishRefund says so
		}
		return nil
	})
	return parts, err
}

// recordRefundPart stores a provider's answer to one part, once. A refusal
// fails the refund and gives up the parts not yet asked.
func (s *Service) recordRefundPart(ctx context.Context, refundID uuid.UUID, part db.RefundPartsRow, res payment.RefundResult) error {
	return s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		r, err := q.GetRefund(ctx, refundID)
		if err != nil {
			return fmt.Errorf("load refund: %w", err)
		}
		if _, err := q.GetBookingForUpdate(ctx, r.BookingID); err != nil { // as planRefund
			return fmt.Errorf("lock booking: %w", err)
		}
		status := "SUCCEEDED"
		if !res.Succeeded {
			status = "FAILED"
		}
		n, err := q.FinishRefundPart(ctx, db.FinishRefundPartParams{ID: part.ID, Status: status,
			ProviderRef: res.ProviderRef, FailureMessage: res.FailureMessage})
		if err != nil || n == 0 {
			return err // recorded by an earlier run
		}
		if res.Succeeded {
			if err := q.RecordPaymentRefund(ctx, db.RecordPaymentRefundParams{ID: part.PaymentID, Amount: part.Amount}); err != nil {
				return fmt.Errorf("record refunded amount: %w", err)
			}
			return nil
		}
		if err := q.FailPendingRefundParts(ctx, db.FailPendingRefundPartsParams{RefundID: r.ID,
			FailureMessage: "not asked: an earlier part was refused"}); err != nil {
			return fmt.Errorf("give up refund parts: %w", err)
		}
		if r.Status != "PENDING" {
			return nil
		}
		return q.FinishRefund(ctx, db.FinishRefundParams{ID: r.ID, Status: "FAILED", FailureMessage: res.FailureMessage})
	})
}

// finishRefund settles a refund whose parts were all paid: SUCCEEDED when
// they cover its amount, FAILED for what could not be matched to captured
// payments.
func (s *Service) finishRefund(ctx context.Context, refundID uuid.UUID) error {
	return s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		r, err := q.GetRefund(ctx, refundID)
		if err != nil {
			return fmt.Errorf("load refund: %w", err)
		}
		if r.Status != "PENDING" {
			return nil
		}
		parts, err := q.RefundParts(ctx, r.ID)
		if err != nil {
			return fmt.Errorf("load refund parts: %w", err)
		}
		left := r.Amount
		for _, p := range parts {
			if p.Status != "SUCCEEDED" {
				return fmt.Errorf("refund %s: part %s is %s", r.ID, p.ID, p.Status)
			}
			left -= p.Amount
		}
		if left > 0 {
			return q.FinishRefund(ctx, db.FinishRefundParams{ID: r.ID, Status: "FAILED",
				FailureMessage: fmt.Sprintf("%s could not be matched to captured payments", money.New(left, r.Currency))})
		}
		if err := q.FinishRefund(ctx, db.FinishRefundParams{ID: r.ID, Status: "SUCCEEDED"}); err != nil {
			return fmt.Errorf("finish refund: %w", err)
		}
		return s.noticeTx(ctx, tx, r.BookingID, notify.Refunded)
	})
}

// PayBalanceInput pays what is still owed on a confirmed booking.
type PayBalanceInput struct {
	IdempotencyKey string
	BookingID      uuid.UUID
	Payment        *PaymentInput
}

// notFoundFinalAfter is how long after an attempt began a provider's "no
// such charge" (payment.NotFound) is taken as final: a charge call that
// timed out may still be processed by then.
const notFoundFinalAfter = 15 * time.Minute

// opPayBalance names PayBalance's requests in their idempotency keys.
const opPayBalance = "pay_balance"

// PayBalance collects the rest of a confirmed booking's total after its
// deposit, with any provider (several payments may cover it).
func (s *Service) PayBalance(ctx context.Context, in PayBalanceInput) (Booking, error) {
	b, p, err := s.load(ctx, in.BookingID, true)
	if err != nil {
		return Booking{}, err
	}
	key, err := s.newIdempotency(ownerOf(p), in.IdempotencyKey, opPayBalance, in)
	if err != nil {
		return Booking{}, err
	}
	if b, ok, err := s.replay(ctx, key); ok || err != nil {
		return b, err
	}
	if prior, ok := s.priorPayment(ctx, b, key); ok && tookMoney(prior.Status) && prior.CapturedAmount >= prior.Amount {
		// A retry of a request answered PAYMENT_PENDING (or cut short after
		// the provider answered): its payment has since been recorded; the
		// booking as it is now, whatever it has become since.
		return s.balancePaid(ctx, b, key)
	}
	if b.Status != StatusConfirmed && b.Status != StatusCheckedIn {
		why := "confirm it first"
		switch b.Status {
		case StatusCheckedOut, StatusNoShow:
			why = "what is still owed is settled with the hotel"
		case StatusCancelled, StatusExpired:
			why = "it no longer holds a stay"
		}
		return Booking{}, apperr.New(InvalidState, fmt.Sprintf("the booking is %s: its balance is paid only while it is CONFIRMED or CHECKED_IN; %s", b.Status, why))
	}
	if b.RelocationRequired {
		// Its total counts a room the hotel can no longer give.
		return Booking{}, apperr.New(InvalidState, "the booking is flagged for relocation: maintenance took a room of it; "+
			"its balance is paid once its guests are checked in to a room, or it is cancelled free of charge")
	}
	ledgers, err := s.LedgersOf(ctx, []uuid.UUID{b.ID})
	if err != nil {
		return Booking{}, err
	}
	due := b.Total - ledgers[b.ID].Captured
	if due <= 0 {
		return Booking{}, apperr.New(InvalidState, "nothing is left to pay")
	}
	if err := s.pay(ctx, b, providerKeyOf(b, key), in.Payment, due); err != nil {
		return Booking{}, err
	}
	return s.balancePaid(ctx, b, key)
}

// balancePaid ends a balance payment whose charge was captured: the
// booking is unpinned (unless reconciliation did it already, or another
// payment is under way) and the request's key saved.
func (s *Service) balancePaid(ctx context.Context, b Booking, key idempotency) (Booking, error) {
	var paid Booking
	err := s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		if err := s.settleTx(ctx, tx, q, b.ID); err != nil {
			return err
		}
		row, err := q.GetBooking(ctx, b.ID)
		if err != nil {
			return fmt.Errorf("reload booking: %w", err)
		}
		paid = bookingFromRow(row)
		return saveTx(ctx, q, key, paid)
	})
	if isKeyRace(err) {
		b, _, err := s.replay(ctx, key)
		return b, err
	}
	return s.revealed(paid, err)
}

// Ledger is a booking's money: Captured − Refunded = Kept.
type Ledger struct {
	Captured, Refunded, Kept int64
	Currency                 string
}

// LedgersOf returns the money of bookings the caller already loaded, keyed
// by booking id.
func (s *Service) LedgersOf(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Ledger, error) {
	rows, err := s.q.Ledgers(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read ledgers: %w", err)
	}
	out := make(map[uuid.UUID]Ledger, len(rows))
	for _, l := range rows {
		out[l.BookingID] = Ledger{Captured: l.Captured, Refunded: l.Refunded, Kept: l.Captured - l.Refunded, Currency: l.Currency}
	}
	return out, nil
}
