package stripe

import (
	"testing"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/staygraph/staygraph/internal/payment"
)

// Every PaymentIntent status maps to an outcome; stripe-mock only ever
// answers one of them, so the others are checked here.
func TestChargeResultOfEveryStatus(t *testing.T) {
	t.Parallel()
	declineErr := &stripeapi.Error{Type: stripeapi.ErrorTypeCard, Code: stripeapi.ErrorCodeCardDeclined,
		DeclineCode: stripeapi.DeclineCodeStolenCard, Msg: "Your card was declined."}
	for _, tc := range []struct {
		pi   stripeapi.PaymentIntent
		want payment.ChargeResult
	}{
		{stripeapi.PaymentIntent{ID: "pi_1", Status: "succeeded", Amount: 12000, AmountReceived: 12000},
			payment.ChargeResult{Status: payment.Captured, ProviderRef: "pi_1", Captured: 12000}},
		{stripeapi.PaymentIntent{ID: "pi_1", Status: "succeeded", Amount: 12000, AmountReceived: 7000},
			payment.ChargeResult{Status: payment.Captured, ProviderRef: "pi_1", Captured: 7000}},
		{stripeapi.PaymentIntent{ID: "pi_1", Status: "processing"},
			payment.ChargeResult{Status: payment.Unknown, ProviderRef: "pi_1"}},
		{stripeapi.PaymentIntent{ID: "pi_1", Status: "requires_capture"},
			payment.ChargeResult{Status: payment.Unknown, ProviderRef: "pi_1"}},
		{stripeapi.PaymentIntent{ID: "pi_1", Status: "requires_payment_method", LastPaymentError: declineErr},
			payment.ChargeResult{Status: payment.Declined, ProviderRef: "pi_1", FailureCode: "stolen_card", FailureMessage: "Your card was declined."}},
		{stripeapi.PaymentIntent{ID: "pi_1", Status: "requires_payment_method"},
			payment.ChargeResult{Status: payment.Declined, ProviderRef: "pi_1", FailureCode: "requires_payment_method", FailureMessage: "the payment method was not accepted"}},
		{stripeapi.PaymentIntent{ID: "pi_1", Status: "requires_confirmation"},
			payment.ChargeResult{Status: payment.Declined, ProviderRef: "pi_1", FailureCode: "requires_confirmation", FailureMessage: "the payment method was not accepted"}},
		{stripeapi.PaymentIntent{ID: "pi_1", Status: "requires_action"},
			payment.ChargeResult{Status: payment.Declined, ProviderRef: "pi_1", FailureCode: "authentication_required",
				FailureMessage: "the card asks for authentication (3-D Secure), which this payment flow cannot offer"}},
		{stripeapi.PaymentIntent{ID: "pi_1", Status: "canceled", CancellationReason: "abandoned"},
			payment.ChargeResult{Status: payment.Declined, ProviderRef: "pi_1", FailureCode: "canceled", FailureMessage: "the payment was canceled (abandoned)"}},
	} {
		if got := chargeResult(&tc.pi); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.pi.Status, got, tc.want)
		}
	}
}

func TestMostAdvancedPrefersTheChargeThatTookMoney(t *testing.T) {
	t.Parallel()
	failed := &stripeapi.PaymentIntent{ID: "pi_failed", Status: "requires_payment_method", Created: 300}
	processing := &stripeapi.PaymentIntent{ID: "pi_processing", Status: "processing", Created: 200}
	succeeded := &stripeapi.PaymentIntent{ID: "pi_succeeded", Status: "succeeded", Created: 100}
	older := &stripeapi.PaymentIntent{ID: "pi_older", Status: "requires_payment_method", Created: 50}
	for _, tc := range []struct {
		found []*stripeapi.PaymentIntent
		want  *stripeapi.PaymentIntent
	}{
		{nil, nil},
		{[]*stripeapi.PaymentIntent{failed, processing, succeeded}, succeeded},
		{[]*stripeapi.PaymentIntent{failed, processing}, processing},
		{[]*stripeapi.PaymentIntent{older, failed}, failed},
	} {
		if got := mostAdvanced(tc.found); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.found, got, tc.want)
		}
	}
}

func TestRefundResultOfEveryStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    stripeapi.Refund
		want payment.RefundResult
	}{
		{stripeapi.Refund{ID: "re_1", Status: "succeeded"}, payment.RefundResult{ProviderRef: "re_1", Succeeded: true}},
		{stripeapi.Refund{ID: "re_1", Status: "pending"}, payment.RefundResult{ProviderRef: "re_1", Succeeded: true}},
		{stripeapi.Refund{ID: "re_1", Status: "requires_action"}, payment.RefundResult{ProviderRef: "re_1",
			FailureMessage: "Stripe refund re_1 needs action in the Stripe Dashboard before it is paid"}},
		{stripeapi.Refund{ID: "re_1", Status: "failed", FailureReason: "lost_or_stolen_card"}, payment.RefundResult{ProviderRef: "re_1",
			FailureMessage: "Stripe refund re_1 failed (lost_or_stolen_card)"}},
		{stripeapi.Refund{ID: "re_1", Status: "canceled"}, payment.RefundResult{ProviderRef: "re_1", FailureMessage: "Stripe refund re_1 canceled"}},
	} {
		if got := refundResult(&tc.r); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.r.Status, got, tc.want)
		}
	}
}

func TestQuoteEscapesSearchStrings(t *testing.T) {
	t.Parallel()
	if got := quote(`it's \ ok`); got != `it\'s \\ ok` {
		t.Fatalf("quote: %s", got)
	}
}
