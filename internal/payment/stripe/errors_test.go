package stripe_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/stripe"
)

// stripe-mock only answers successes, so the refusals and failures are
// checked against an HTTP server giving the answers Stripe documents
// (https://docs.stripe.com/api/errors), through the real SDK.

// stripeAnswering is a Stripe API that answers every request with status and
// body; it counts the requests.
func stripeAnswering(t *testing.T, status int, body string) (*stripe.Provider, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_test")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return stripe.New("sk_test_123", stripe.Opts{BackendURL: srv.URL}), &n
}

var charge = payment.ChargeRequest{IdempotencyKey: "sg_k", Amount: money.New(12000, "EUR"), Token: "pm_card_visa"}

func TestChargeRefusals(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		status int
		body   string
		want   payment.ChargeResult
	}{
		"card declined": {http.StatusPaymentRequired, `{"error": {"type": "card_error", "code": "card_declined",
			"decline_code": "insufficient_funds", "message": "Your card has insufficient funds.",
			"payment_intent": {"id": "pi_declined", "object": "payment_intent", "status": "requires_payment_method",
				"client_secret": "pi_declined_secret_x"}}}`,
			payment.ChargeResult{Status: payment.Declined, ProviderRef: "pi_declined", FailureCode: "insufficient_funds",
				FailureMessage: "Your card has insufficient funds."}},
		"3-D Secure asked": {http.StatusPaymentRequired, `{"error": {"type": "card_error", "code": "authentication_required",
			"message": "Your card was declined. This transaction requires authentication."}}`,
			payment.ChargeResult{Status: payment.Declined, FailureCode: "authentication_required",
				FailureMessage: "Your card was declined. This transaction requires authentication."}},
		"unknown payment method": {http.StatusBadRequest, `{"error": {"type": "invalid_request_error", "code": "resource_missing",
			"param": "payment_method", "message": "No such PaymentMethod: 'tok_visa'"}}`,
			payment.ChargeResult{Status: payment.Declined, FailureCode: "resource_missing", FailureMessage: "No such PaymentMethod: 'tok_visa'"}},
		"bad API key": {http.StatusUnauthorized, `{"error": {"type": "invalid_request_error",
			"message": "Invalid API Key provided: sk_test_********************1234"}}`,
			payment.ChargeResult{Status: payment.Declined, FailureMessage: "Stripe refused staygraph's API key"}},
	} {
		p, _ := stripeAnswering(t, tc.status, tc.body)
		res, err := p.Charge(context.Background(), charge)
		if err != nil || res != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", name, res, err, tc.want)
		}
	}
}

func TestChargeWithoutADefiniteAnswerIsUnknown(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		status int
		body   string
	}{
		"server error": {http.StatusInternalServerError, `{"error": {"type": "api_error", "message": "An unknown error occurred"}}`},
		"same key in flight": {http.StatusConflict, `{"error": {"type": "invalid_request_error", "code": "idempotency_key_in_use",
			"message": "There is currently another in-progress request using this Stripe token"}}`},
		"key reused with other parameters": {http.StatusBadRequest, `{"error": {"type": "idempotency_error",
			"message": "Keys for idempotent requests can only be used with the same parameters they were first used with."}}`},
		"rate limited":      {http.StatusTooManyRequests, `{"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}}`},
		"not Stripe's JSON": {http.StatusBadGateway, `<html>bad gateway</html>`},
	} {
		p, _ := stripeAnswering(t, tc.status, tc.body)
		res, err := p.Charge(context.Background(), charge)
		if err == nil || res.Status != payment.Unknown {
			t.Errorf("%s: %+v, %v; want Unknown and an error", name, res, err)
		}
	}
}

func TestChargeErrorsKeepStripesErrorButNotItsSecrets(t *testing.T) {
	t.Parallel()
	p, _ := stripeAnswering(t, http.StatusConflict, `{"error": {"type": "invalid_request_error", "code": "idempotency_key_in_use",
		"message": "another request is using this key", "payment_intent": {"id": "pi_1", "client_secret": "pi_1_secret_shh"}}}`)
	_, err := p.Charge(context.Background(), charge)
	var se *stripeapi.Error
	if !errors.As(err, &se) || se.Code != stripeapi.ErrorCodeIdempotencyKeyInUse || se.HTTPStatusCode != http.StatusConflict {
		t.Fatalf("error %v does not unwrap to Stripe's", err)
	}
	if msg := err.Error(); strings.Contains(msg, "secret") || !strings.Contains(msg, "idempotency_key_in_use") || !strings.Contains(msg, "req_test") {
		t.Fatalf("error message %q: want the code and request id, never the client secret", msg)
	}
}

func TestChargeTimeoutIsUnknown(t *testing.T) {
	t.Parallel()
	answer := make(chan struct{}) // never, until the test ends
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-answer
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(answer) }) // runs first
	p := stripe.New("sk_test_123", stripe.Opts{BackendURL: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res, err := p.Charge(ctx, charge)
	if err == nil || res.Status != payment.Unknown || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("charge past its deadline: %+v, %v; want Unknown and the deadline", res, err)
	}
}

func TestUnreachableStripeIsUnknown(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nobody answers at its address any more
	p := stripe.New("sk_test_123", stripe.Opts{BackendURL: srv.URL})
	ctx := context.Background()

	if res, err := p.Charge(ctx, charge); err == nil || res.Status != payment.Unknown {
		t.Errorf("charge: %+v, %v; want Unknown and an error", res, err)
	}
	if res, err := p.Lookup(ctx, "sg_k"); err == nil || res.Status != payment.Unknown {
		t.Errorf("lookup: %+v, %v; want Unknown and an error", res, err)
	}
	if _, err := p.Refund(ctx, payment.RefundRequest{IdempotencyKey: "sg_re", ChargeRef: "pi_1", Amount: money.New(100, "EUR")}); err == nil {
		t.Errorf("refund without an answer: no error")
	}
}

func TestLookupWhileStripeFailsIsUnknown(t *testing.T) {
	t.Parallel()
	p, _ := stripeAnswering(t, http.StatusInternalServerError, `{"error": {"type": "api_error", "message": "An unknown error occurred"}}`)
	if res, err := p.Lookup(context.Background(), "sg_k"); err == nil || res.Status != payment.Unknown {
		t.Fatalf("lookup: %+v, %v; want Unknown and an error", res, err)
	}
}

func TestRefundAnswers(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		status  int
		body    string
		want    payment.RefundResult
		wantErr bool
	}{
		"already refunded": {status: http.StatusBadRequest, body: `{"error": {"type": "invalid_request_error", "code": "charge_already_refunded",
			"message": "Charge ch_1 has already been refunded."}}`,
			want: payment.RefundResult{FailureMessage: "Charge ch_1 has already been refunded."}},
		"more than captured": {status: http.StatusBadRequest, body: `{"error": {"type": "invalid_request_error", "param": "amount",
			"message": "Refund amount (€150.00) is greater than unrefunded amount on charge (€120.00)"}}`,
			want: payment.RefundResult{FailureMessage: "Refund amount (€150.00) is greater than unrefunded amount on charge (€120.00)"}},
		"failed at once": {status: http.StatusOK, body: `{"id": "re_1", "object": "refund", "status": "failed", "failure_reason": "expired_or_canceled_card"}`,
			want: payment.RefundResult{ProviderRef: "re_1", FailureMessage: "Stripe refund re_1 failed (expired_or_canceled_card)"}},
		"server error": {status: http.StatusInternalServerError, body: `{"error": {"type": "api_error", "message": "An unknown error occurred"}}`,
			wantErr: true},
	} {
		p, posts := stripeRefunding(t, `[]`, tc.status, tc.body)
		res, err := p.Refund(context.Background(), payment.RefundRequest{IdempotencyKey: "sg_re", ChargeRef: "pi_1", Amount: money.New(15000, "EUR")})
		if (err != nil) != tc.wantErr || res != tc.want || posts.Load() != 1 {
			t.Errorf("%s: %+v, %v after %d posts; want %+v (error: %v) after 1", name, res, err, posts.Load(), tc.want, tc.wantErr)
		}
	}
}

// stripeRefunding is a Stripe whose PaymentIntent has the refunds listed
// (a JSON array) and that answers a refund's creation with status and
// body; it counts the creations.
func stripeRefunding(t *testing.T, refunds string, status int, body string) (*stripe.Provider, *atomic.Int32) {
	t.Helper()
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_test")
		if r.Method == http.MethodGet && r.URL.Path == "/v1/refunds" {
			if r.URL.Query().Get("payment_intent") != "pi_1" {
				t.Errorf("refunds listed for %q, want pi_1", r.URL.Query().Get("payment_intent"))
			}
			_, _ = w.Write([]byte(`{"object": "list", "url": "/v1/refunds", "has_more": false, "data": ` + refunds + `}`))
			return
		}
		posts.Add(1)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return stripe.New("sk_test_123", stripe.Opts{BackendURL: srv.URL}), &posts
}

// Stripe forgets an idempotency key after a day, and a refund is asked
// again for weeks: one made under the key before (its answer lost) is found
// by the key in its metadata and not made again; another key's refund of
// the same PaymentIntent is not taken for it.
func TestRefundAskedAgainFindsTheOneMadeBefore(t *testing.T) {
	t.Parallel()
	listed := `[{"id": "re_other", "object": "refund", "status": "succeeded", "metadata": {"staygraph_key": "sg_re_other"}},
		{"id": "re_1", "object": "refund", "status": "succeeded", "metadata": {"staygraph_key": "sg_re"}}]`
	created := `{"id": "re_2", "object": "refund", "status": "succeeded"}`
	p, posts := stripeRefunding(t, listed, http.StatusOK, created)
	res, err := p.Refund(context.Background(), payment.RefundRequest{IdempotencyKey: "sg_re", ChargeRef: "pi_1", Amount: money.New(15000, "EUR")})
	if err != nil || res != (payment.RefundResult{ProviderRef: "re_1", Succeeded: true}) || posts.Load() != 0 {
		t.Fatalf("asked again: %+v, %v after %d creations; want re_1 as it was, none created", res, err, posts.Load())
	}
	res, err = p.Refund(context.Background(), payment.RefundRequest{IdempotencyKey: "sg_re_new", ChargeRef: "pi_1", Amount: money.New(500, "EUR")})
	if err != nil || res.ProviderRef != "re_2" || posts.Load() != 1 {
		t.Fatalf("another refund: %+v, %v after %d creations; want re_2 created", res, err, posts.Load())
	}
}
