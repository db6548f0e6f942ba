package stripe_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/stripe"
)

// stripeEchoing answers POST /v1/payment_intents with a succeeded
// PaymentIntent that received the amount it was sent, and POST /v1/refunds
// with a succeeded refund; GET /v1/refunds lists none. It records the
// amounts sent, as Stripe's API reads them.
// stripeEchoing is a Stripe stand-in over HTTP that answers a
// PaymentIntent or a Refund of the amount it was sent, and keeps each
// amount sent (stripe-mock answers fixed amounts).
func stripeEchoing(t *testing.T) (*stripe.Provider, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var sent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/payment_intents":
			mu.Lock()
			sent = append(sent, r.PostForm.Get("amount"))
			mu.Unlock()
			amount, _ := strconv.ParseInt(r.PostForm.Get("amount"), 10, 64)
			fmt.Fprintf(w, `{"id":"pi_1","object":"payment_intent","status":"succeeded","amount":%d,"amount_received":%d,"currency":%q}`,
				amount, amount, r.PostForm.Get("currency"))
		case r.Method == http.MethodGet && r.URL.Path == "/v1/refunds":
			fmt.Fprint(w, `{"object":"list","data":[],"has_more":false,"url":"/v1/refunds"}`)
		case r.Method == http.MethodPost && r.URL.Path == "/v1/refunds":
			mu.Lock()
			sent = append(sent, r.PostForm.Get("amount"))
			mu.Unlock()
			fmt.Fprintf(w, `{"id":"re_1","object":"refund","status":"succeeded","amount":%s}`, r.PostForm.Get("amount"))
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"unexpected"}}`)
		}
	}))
	t.Cleanup(srv.Close)
	return stripe.New("sk_test_123", stripe.Opts{BackendURL: srv.URL}), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), sent...)
	}
}

// staygraph's money is in ISO 4217 minor units (money.MinorDigits), Stripe's
// amounts in Stripe's own: ISK is zero-decimal in ISO 4217 but "remains a
// two-decimal currency in the Stripe API, and an ISK amount of 100 represents
// 1 króna" (support.stripe.com, deprecation of fractional ISK charges); MGA
// has two ISO minor digits but is one of Stripe's zero-decimal currencies
// (docs.stripe.com/currencies#zero-decimal). The provider must convert.
// Stripe states some currencies in other units than ISO 4217's minor unit,
// which staygraph keeps: ISK in hundredths (100 is one króna), MGA and the
// other zero-decimal currencies in whole units. Charges and refunds used to
// send staygraph's amount as it is: an ISK deposit was charged at a
// hundredth of its amount, an MGA one at 100 times.
func TestStripeAmountsAreInStripesMinorUnits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		price      money.Money
		wantStripe string
	}{
		{money.New(25000, "ISK"), "2500000"}, // 25,000 krónur
		{money.New(5000000, "MGA"), "50000"}, // 50,000.00 ariary
		{money.New(12000, "EUR"), "12000"},   // unaffected
	} {
		p, sent := stripeEchoing(t)
		res, err := p.Charge(context.Background(), payment.ChargeRequest{IdempotencyKey: "sg_" + tc.price.Currency,
			Amount: tc.price, Token: "pm_card_visa"})
		if err != nil {
			t.Fatalf("%s: charge: %v", tc.price, err)
		}
		if got := sent(); len(got) != 1 || got[0] != tc.wantStripe {
			t.Errorf("charging %s sent Stripe amount=%v, want %s", tc.price, got, tc.wantStripe)
		}
		if res.Captured != tc.price.Amount {
			t.Errorf("charging %s: Captured %d, want %d (staygraph's minor units)", tc.price, res.Captured, tc.price.Amount)
		}
		if _, err := p.Refund(context.Background(), payment.RefundRequest{IdempotencyKey: "sg_re_" + tc.price.Currency,
			ChargeRef: "pi_1", Amount: tc.price}); err != nil {
			t.Fatalf("%s: refund: %v", tc.price, err)
		}
		if got := sent(); len(got) != 2 || got[1] != tc.wantStripe {
			t.Errorf("refunding %s sent Stripe amount=%v, want %s", tc.price, got, tc.wantStripe)
		}
	}
}

// An amount Stripe cannot take is declined with the reason, not sent.
func TestStripeRefusesAmountsItCannotTake(t *testing.T) {
	t.Parallel()
	for _, price := range []money.Money{money.New(123456, "MGA"), money.New(13535, "KWD")} {
		p, sent := stripeEchoing(t)
		res, err := p.Charge(context.Background(), payment.ChargeRequest{IdempotencyKey: "sg_" + price.Currency, Amount: price, Token: "pm_card_visa"})
		if err != nil || res.Status != payment.Declined || !strings.Contains(res.FailureMessage, price.Currency) {
			t.Errorf("charging %s: %+v, %v; want it declined", price, res, err)
		}
		refund, err := p.Refund(context.Background(), payment.RefundRequest{IdempotencyKey: "sg_re_" + price.Currency, ChargeRef: "pi_1", Amount: price})
		if err != nil || refund.Succeeded || refund.FailureMessage == "" {
			t.Errorf("refunding %s: %+v, %v; want it failed", price, refund, err)
		}
		if got := sent(); len(got) != 0 {
			t.Errorf("%s: sent Stripe %v", price, got)
		}
	}
}
