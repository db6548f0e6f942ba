package stripe

import (
	"errors"
	"fmt"
	"net/http"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/staygraph/staygraph/internal/payment"
)

// chargeResult maps a PaymentIntent to the outcome of the charge it is.
func chargeResult(pi *stripeapi.PaymentIntent) payment.ChargeResult {
	switch pi.Status {
	case stripeapi.PaymentIntentStatusSucceeded:
		return payment.ChargeResult{Status: payment.Captured, ProviderRef: pi.ID, Captured: fromStripe(pi.AmountReceived, string(pi.Currency))}
	case stripeapi.PaymentIntentStatusProcessing, stripeapi.PaymentIntentStatusRequiresCapture:
		// Not settled yet (manual capture is never asked for): ask again later.
		return payment.ChargeResult{Status: payment.Unknown, ProviderRef: pi.ID}
	case stripeapi.PaymentIntentStatusRequiresAction:
		return payment.ChargeResult{Status: payment.Declined, ProviderRef: pi.ID,
			FailureCode: string(stripeapi.DeclineCodeAuthenticationRequired), FailureMessage: "the card asks for authentication (3-D Secure), which this payment flow cannot offer"}
	case stripeapi.PaymentIntentStatusCanceled:
		res := payment.ChargeResult{Status: payment.Declined, ProviderRef: pi.ID, FailureCode: "canceled", FailureMessage: "the payment was canceled"}
		if pi.CancellationReason != "" {
			res.FailureMessage += " (" + string(pi.CancellationReason) + ")"
		}
		return res
	}
	// requires_payment_method (the attempt failed) or requires_confirmation.
	res := payment.ChargeResult{Status: payment.Declined, ProviderRef: pi.ID,
		FailureCode: string(pi.Status), FailureMessage: "the payment method was not accepted"}
	if e := pi.LastPaymentError; e != nil {
		if code := failureCode(e); code != "" {
			res.FailureCode = code
		}
		if e.Msg != "" {
			res.FailureMessage = e.Msg
		}
	}
	return res
}

// mostAdvanced picks, of the PaymentIntents found for one key, the one that
// took money, else one still settling, else the newest. One key makes one
// PaymentIntent while Stripe remembers the key (24 hours); after that, a
// reused key could make another.
func mostAdvanced(pis []*stripeapi.PaymentIntent) *stripeapi.PaymentIntent {
	rank := func(pi *stripeapi.PaymentIntent) int {
		switch pi.Status {
		case stripeapi.PaymentIntentStatusSucceeded:
			return 2
		case stripeapi.PaymentIntentStatusProcessing, stripeapi.PaymentIntentStatusRequiresCapture:
			return 1
		}
		return 0
	}
	var best *stripeapi.PaymentIntent
	for _, pi := range pis {
		if best == nil || rank(pi) > rank(best) || rank(pi) == rank(best) && pi.Created > best.Created {
			best = pi
		}
	}
	return best
}

// refundResult maps a Refund to the outcome of the refund.
func refundResult(r *stripeapi.Refund) payment.RefundResult {
	switch r.Status {
	case stripeapi.RefundStatusSucceeded, stripeapi.RefundStatusPending:
		return payment.RefundResult{ProviderRef: r.ID, Succeeded: true}
	case stripeapi.RefundStatusRequiresAction:
		return payment.RefundResult{ProviderRef: r.ID,
			FailureMessage: fmt.Sprintf("Stripe refund %s needs action in the Stripe Dashboard before it is paid", r.ID)}
	}
	msg := fmt.Sprintf("Stripe refund %s %s", r.ID, r.Status)
	if r.FailureReason != "" {
		msg += " (" + string(r.FailureReason) + ")"
	}
	return payment.RefundResult{ProviderRef: r.ID, FailureMessage: msg}
}

// refused reports whether an error is Stripe's definite "no": a card error,
// or a request it rejected (4xx). Not refusals, since the outcome stays
// open: no answer, a server error (5xx), a concurrent request with the same
// idempotency key (409), rate limiting (429) and a key reused with other
// parameters (idempotency_error: the first request's outcome is what counts).
func refused(e *stripeapi.Error) bool {
	switch {
	case e.Type == stripeapi.ErrorTypeCard:
		return true
	case e.Type == stripeapi.ErrorTypeIdempotency,
		e.HTTPStatusCode == http.StatusConflict, e.HTTPStatusCode == http.StatusTooManyRequests:
		return false
	}
	return e.HTTPStatusCode >= 400 && e.HTTPStatusCode < 500
}

// failureCode is the most precise code of a Stripe error: the issuer's
// decline code when there is one ("insufficient_funds"), else Stripe's.
func failureCode(e *stripeapi.Error) string {
	if e.DeclineCode != "" {
		return string(e.DeclineCode)
	}
	return string(e.Code)
}

// failureMessage is the message of a refusal, as shown to the guest or to
// staff. Rejected credentials are a configuration problem of staygraph's,
// and Stripe's message for them quotes part of the key: say less.
func failureMessage(e *stripeapi.Error) string {
	switch e.HTTPStatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "Stripe refused staygraph's API key"
	}
	if e.Msg == "" {
		return string(e.Type)
	}
	return e.Msg
}

// describe keeps an SDK error's type for errors.As but gives it a short
// message: *stripe.Error's own is its whole JSON, which can include the
// PaymentIntent and its client secret.
func describe(err error) error {
	var e *stripeapi.Error
	if errors.As(err, &e) {
		return apiError{e}
	}
	return err
}

// apiError is a *stripe.Error with a one-line message.
type apiError struct{ err *stripeapi.Error }

func (e apiError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.err.HTTPStatusCode, e.err.Type)
	if e.err.Code != "" {
		msg += " " + string(e.err.Code)
	}
	if e.err.Msg != "" {
		msg += ": " + e.err.Msg
	}
	if e.err.RequestID != "" {
		msg += " (request " + e.err.RequestID + ")"
	}
	return msg
}

func (e apiError) Unwrap() error { return e.err }
