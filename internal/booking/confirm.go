package booking

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// PaymentInput names a payment provider and its token for the payment
// method. Card numbers never reach staygraph.
type PaymentInput struct {
	Provider string
	Token    string
}

// ConfirmInput confirms a hold by paying what its rate plans ask up front.
type ConfirmInput struct {
	IdempotencyKey string
	BookingID      uuid.UUID
	// Payment may be nil when nothing is due now (pay at hotel).
	Payment *PaymentInput
}

// Confirm takes the deposit due and confirms the booking. The charge happens
// outside any database transaction: the attempt is recorded first (and the
// hold pinned so it cannot expire meanwhile), the provider is called with an
// idempotency key, and the outcome is recorded after. A decline leaves the
// booking HELD with PAYMENT_DECLINED; an expired hold is HOLD_EXPIRED.
func (s *Service) Confirm(ctx context.Context, in ConfirmInput) (Booking, error) {
	b, p, err := s.load(ctx, in.BookingID, true)
	if err != nil {
		return Booking{}, err
	}
	key, err := s.newIdempotency(ownerOf(p), in.IdempotencyKey, "confirm", in)
	if err != nil {
		return Booking{}, err
	}
	if b, ok, err := s.replay(ctx, key); ok || err != nil {
		return b, err
	}
	if b.ConfirmedAt != nil {
		// A retry of a request answered PAYMENT_PENDING: reconciliation has
		// since confirmed the booking with this request's payment, in full
		// (and it may have moved on since: cancelled, checked in): the
		// booking as it is now, as a replay answers. A hold that was never
		// confirmed goes on to its refusal (HOLD_EXPIRED).
		if p, ok := s.priorPayment(ctx, b, key); ok && tookMoney(p.Status) && p.CapturedAmount >= p.Amount {
			return s.reveal(b)
		}
	}
	if err := s.confirmable(b); err != nil {
		return Booking{}, err
	}
	captured, err := s.q.CapturedAmount(ctx, b.ID)
	if err != nil {
		return Booking{}, fmt.Errorf("sum payments: %w", err)
	}
	providerKey := providerKeyOf(b, key)
	if due := b.DepositDue - captured; due > 0 {
		if err := s.pay(ctx, b, providerKey, in.Payment, due); err != nil {
			return Booking{}, err
		}
	}
	var confirmed Booking
	var taken bool // maintenance took the hold's rooms while it was paid
	err = s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		row, err := q.ConfirmBooking(ctx, b.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			current, err := q.GetBookingForUpdate(ctx, b.ID)
			if err != nil {
				return fmt.Errorf("reload booking: %w", err)
			}
			switch {
			case current.Status == string(StatusConfirmed):
				// A retry of this same request may have confirmed it a
				// moment ago (its payment carries our provider key), or
				// another request did with the deposit already paid: this
				// request succeeded too, and its key says so to its retries.
				if p, err := q.GetPaymentByKey(ctx, providerKey); err == nil && p.Status == "CAPTURED" || b.DepositDue-captured <= 0 {
					confirmed = bookingFromRow(current)
					return saveTx(ctx, q, key, confirmed)
				}
			case current.Status == string(StatusHeld) && current.RelocationRequired:
				// Unpinned, the hold is released at once, and what was
				// just taken goes back.
				taken = true
				return s.unpinTx(ctx, tx, q, b.ID)
			}
			// Released or ended since it was checked (maintenance may have
			// taken its rooms): the answer the check would give now.
			if err := s.confirmable(bookingFromRow(current)); err != nil {
				return err
			}
			return apperr.New(InvalidState, "the booking is no longer held")
		}
		if err != nil {
			return fmt.Errorf("confirm booking: %w", err)
		}
		confirmed = bookingFromRow(row)
		if err := s.noticeTx(ctx, tx, confirmed.ID, notify.Confirmed); err != nil {
			return err
		}
		return saveTx(ctx, q, key, confirmed)
	})
	if isKeyRace(err) {
		b, _, err := s.replay(ctx, key)
		return b, err
	}
	if taken && err == nil {
		return Booking{}, apperr.New(InvalidState, "maintenance took this hold's rooms away; "+
			"the hold is released and anything paid for it is refunded")
	}
	return s.revealed(confirmed, err)
}

func (s *Service) confirmable(b Booking) error {
	switch {
	case b.Status == StatusExpired && b.RelocationRequired:
		// Maintenance took its rooms and it was released (expireTx).
		return apperr.New(HoldExpired, "maintenance took this hold's rooms away and the hold was released; hold the stay again")
	case b.Status == StatusExpired, b.Status == StatusHeld && !b.PaymentInFlight && !s.opts.Now().Before(b.HoldExpiresAt):
		return apperr.New(HoldExpired, "the hold expired; hold the rooms again")
	case b.Status != StatusHeld:
		return apperr.New(InvalidState, fmt.Sprintf("the booking is %s: it cannot be confirmed", b.Status))
	case b.RelocationRequired:
		// Its rooms went back to the hotel for maintenance: nothing to sell.
		return apperr.New(InvalidState, "maintenance took this hold's rooms away; hold the stay again")
	}
	return nil
}

// priorPayment is the payment an earlier attempt of this request made, if
// any: a retry answered PAYMENT_PENDING finds what reconciliation recorded.
// A legacy key does not name the operation, so a confirmation and a balance
// payment under one key share it: for a balance payment, only a payment
// made after the booking was confirmed is taken (the deposit's was made
// before).
func (s *Service) priorPayment(ctx context.Context, b Booking, key idempotency) (db.Payment, bool) {
	if p, err := s.q.GetPaymentByKey(ctx, providerKeyOf(b, key)); err == nil {
		return p, true
	}
	p, err := s.q.GetPaymentByKey(ctx, legacyProviderKeyOf(b, key))
	if err != nil || key.operation == opPayBalance && (b.ConfirmedAt == nil || !p.CreatedAt.After(*b.ConfirmedAt)) {
		return db.Payment{}, false
	}
	return p, true
}

// legacyProviderKeyOf is the provider key of attempts made before the key
// took the operation and input in (releases before 2026-11-26): a request
// answered PAYMENT_PENDING by such a release still finds its payment when
// retried. Remove it a release later.
func legacyProviderKeyOf(b Booking, key idempotency) string {
	sum := sha256.Sum256([]byte(b.ID.String() + "\x00" + key.principal + "\x00" + key.key))
	return "sg_" + hex.EncodeToString(sum[:16])
}

// providerKeyOf derives the provider's idempotency key from the request's
// (caller, key, operation and input), so a retried request finds its first
// attempt instead of charging twice, and no other request under the same
// key (another operation, another payment method) takes that attempt for
// its own. A key is spent when its request succeeds: after a decline the
// caller may send another payment method under it.
func providerKeyOf(b Booking, key idempotency) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(b.ID.String()), []byte(key.principal), []byte(key.key), []byte(key.operation), key.hash} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return "sg_" + hex.EncodeToString(h.Sum(nil)[:16])
}

// maxTokenLength bounds a payment method's token: providers' are a few dozen
// characters (Stripe's pm_... about 30), and a longer one is not sent on.
const maxTokenLength = 255

// pay charges amount for b. It returns nil once the money is captured.
func (s *Service) pay(ctx context.Context, b Booking, providerKey string, in *PaymentInput, amount int64) error {
	if in == nil {
		return apperr.Invalid(fmt.Sprintf("%s is due now; give a payment", money.New(amount, b.Currency)), "input", "payment")
	}
	provider, err := s.payments.Get(in.Provider)
	if err != nil {
		takes := "no payments: no provider is configured"
		if names := s.payments.Names(); len(names) > 0 {
			takes = strings.Join(names, ", ")
		}
		return apperr.Invalid(fmt.Sprintf("unknown payment provider %s (this server takes: %s)", apperr.Quote(in.Provider), takes),
			"input", "payment", "provider")
	}
	if strings.TrimSpace(in.Token) == "" {
		return apperr.Invalid("give the payment provider's token of the payment method", "input", "payment", "token")
	}
	if utf8.RuneCountInString(in.Token) > maxTokenLength {
		return apperr.Invalid(fmt.Sprintf("a payment method's token has at most %d characters", maxTokenLength), "input", "payment", "token")
	}
	if prior, err := s.q.GetPaymentByKey(ctx, providerKey); err == nil {
		return priorOutcome(prior)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("look up payment attempt: %w", err)
	}

	var attempt db.Payment
	var settled bool // a retry of this request paid, or is paying, already
	var settledErr error
	err = s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		if _, err := q.SetPaymentInFlight(ctx, db.SetPaymentInFlightParams{ID: b.ID, Version: b.Version, Now: s.opts.Now()}); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				// A retry of this same request may be paying right now.
				if prior, err := q.GetPaymentByKey(ctx, providerKey); err == nil {
					settled, settledErr = true, priorOutcome(prior)
					return nil
				}
				// Another request's payment, its outcome not in yet.
				if current, err := q.GetBooking(ctx, b.ID); err == nil && current.PaymentInFlight {
					return apperr.New(PaymentPending, "another payment on this booking is under way; try again once it has settled")
				}
				return apperr.New(InvalidState, "the booking changed meanwhile (expired, paid or cancelled); reload it")
			}
			return fmt.Errorf("pin hold: %w", err)
		}
		attempt, err = q.CreatePayment(ctx, db.CreatePaymentParams{ID: uuid.Must(uuid.NewV7()), BookingID: b.ID,
			Provider: provider.Name(), IdempotencyKey: providerKey, Amount: amount, Currency: b.Currency})
		if err != nil {
			return fmt.Errorf("record payment attempt: %w", err)
		}
		// Should this process stop while the provider is asked, the attempt
		// would stay PENDING and the booking pinned: its reconciliation is
		// due once the charge's time is up (a no-op once an outcome is in).
		return s.enqueueTx(ctx, tx, ReconcilePaymentArgs{PaymentID: attempt.ID}, s.opts.ChargeTimeout+time.Minute)
	})
	if err != nil {
		return err
	}
	if settled {
		return settledErr
	}

	chargeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ChargeTimeout)
	defer cancel()
	res, chargeErr := provider.Charge(chargeCtx, payment.ChargeRequest{IdempotencyKey: providerKey,
		Amount: money.New(amount, b.Currency), Token: in.Token, Description: "booking " + b.Reference})
	if chargeErr != nil {
		// The error names the provider's hosts and request ids: logged for
		// operators, never stored where the guest reads it.
		slog.WarnContext(ctx, "payment provider did not answer a charge; it will be reconciled",
			"payment_id", attempt.ID, "provider", provider.Name(), "err", chargeErr)
		res = payment.ChargeResult{Status: payment.Unknown, FailureMessage: unansweredCharge}
	}
	return s.recordOutcome(context.WithoutCancel(ctx), attempt, res)
}

// unansweredCharge is a payment's failure message while its outcome is
// unknown (reconciliation replaces it).
const unansweredCharge = "the payment provider did not answer; the outcome is being reconciled with it"

// recordOutcome stores what the provider answered. Captured in full leaves
// the booking pinned until the caller's change commits; a decline or a
// partial capture unpins it (unpinTx: a hold maintenance took meanwhile is
// released); an unknown outcome keeps it pinned and schedules
// reconciliation with the provider — never a guess.
func (s *Service) recordOutcome(ctx context.Context, attempt db.Payment, res payment.ChargeResult) error {
	status := map[payment.Status]string{payment.Captured: "CAPTURED", payment.Declined: "FAILED", payment.Unknown: "UNKNOWN"}[res.Status]
	var recorded *db.Payment // what a reconciliation that got there first recorded
	err := s.inTx(ctx, func(tx pgx.Tx, q *db.Queries) error {
		_, err := q.CompletePayment(ctx, db.CompletePaymentParams{ID: attempt.ID, Status: status, ProviderRef: res.ProviderRef,
			CapturedAmount: res.Captured, FailureCode: res.FailureCode, FailureMessage: res.FailureMessage})
		if errors.Is(err, pgx.ErrNoRows) {
			// The call outlasted its reconciliation's delay, which asked
			// the provider, recorded the outcome and settled the booking.
			p, err := q.GetPayment(ctx, attempt.ID)
			if err != nil {
				return fmt.Errorf("load payment: %w", err)
			}
			recorded = &p
			return nil
		}
		if err != nil {
			return fmt.Errorf("record payment outcome: %w", err)
		}
		switch {
		case res.Status == payment.Unknown:
			return s.enqueueTx(ctx, tx, ReconcilePaymentArgs{PaymentID: attempt.ID}, reconcileDelay)
		case res.Status == payment.Declined || res.Captured < attempt.Amount:
			return s.unpinTx(ctx, tx, q, attempt.BookingID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if recorded != nil {
		return priorOutcome(*recorded)
	}
	switch {
	case res.Status == payment.Declined:
		return declined(res.FailureCode, res.FailureMessage)
	case res.Status == payment.Unknown:
		return apperr.New(PaymentPending, "the payment provider did not answer; the outcome will be reconciled with it, and until then the booking stays as it is (a hold does not expire)")
	case res.Captured < attempt.Amount:
		return partial(attempt.Amount-res.Captured, attempt.Currency)
	}
	return nil
}

func partial(left int64, currency string) error {
	rest := money.New(left, currency)
	return &apperr.Error{Code: PaymentPartial, Field: []string{"input", "payment"}, Amount: &rest,
		Message: fmt.Sprintf("the payment covered only part of what is due; pay the remaining %s with another method", rest)}
}

// tookMoney reports whether a payment of this status took money, since
// given back or not.
func tookMoney(status string) bool {
	return status == "CAPTURED" || status == "PARTIALLY_REFUNDED" || status == "REFUNDED"
}

// priorOutcome is what a request answers of its payment attempt recorded
// before: captured (since given back or not: the caller then answers with
// the booking as it is now), declined, or still under way.
func priorOutcome(p db.Payment) error {
	switch {
	case tookMoney(p.Status):
		if p.CapturedAmount < p.Amount {
			return partial(p.Amount-p.CapturedAmount, p.Currency)
		}
		return nil
	case p.Status == "FAILED":
		return declined(p.FailureCode, p.FailureMessage)
	default:
		return apperr.New(PaymentPending, "a payment with this idempotency key is still being processed")
	}
}

func declined(code, message string) error {
	if message == "" {
		message = "the payment was declined"
	}
	err := &apperr.Error{Code: PaymentDeclined, Field: []string{"input", "payment"}, Message: message}
	if code != "" {
		err.Message += " (" + code + ")"
		err.DeclineCode = &code
	}
	return err
}
