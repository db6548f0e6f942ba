package stripe_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/stripe"
)

// The tests in this file run against stripe-mock, which checks each request
// against Stripe's OpenAPI spec (recorder.all fails the test on a rejected
// one) and answers with canned fixtures: they check what is sent and how an
// answer maps to an outcome, not Stripe's behaviour.

func TestChargeCreatesAndConfirmsAPaymentIntent(t *testing.T) {
	t.Parallel()
	p, rec := withStripeMock(t, captured)

	res, err := p.Charge(context.Background(), payment.ChargeRequest{IdempotencyKey: "sg_k1",
		Amount: money.New(12000, "EUR"), Token: "pm_card_visa", Description: "booking SG-7KQ2"})
	if err != nil {
		t.Fatalf("charge: %v", err)
	}
	calls := rec.all(t)
	if len(calls) != 1 || calls[0].Method != "POST" || calls[0].Path != "/v1/payment_intents" {
		t.Fatalf("calls: %+v, want one POST /v1/payment_intents", calls)
	}
	sent := calls[0]
	for param, want := range map[string]string{
		"amount": "12000", "currency": "eur", "payment_method": "pm_card_visa", "payment_method_types[0]": "card",
		"confirm": "true", "error_on_requires_action": "true", "metadata[staygraph_key]": "sg_k1", "description": "booking SG-7KQ2",
	} {
		if got := sent.Form.Get(param); got != want {
			t.Errorf("sent %s=%q, want %q (all: %v)", param, got, want, sent.Form)
		}
	}
	if got := sent.Header.Get("Idempotency-Key"); got != "sg_k1" {
		t.Errorf("Idempotency-Key %q, want sg_k1", got)
	}
	answer := decode(t, sent.Body)
	want := payment.ChargeResult{Status: payment.Captured, ProviderRef: answer.ID, Captured: 12000}
	if res != want || answer.Status != "succeeded" {
		t.Fatalf("charge answered by %+v: %+v, want %+v", answer, res, want)
	}
}

func TestChargeNotSucceededIsDeclined(t *testing.T) {
	t.Parallel()
	// stripe-mock's own PaymentIntent is requires_payment_method: the attempt failed.
	p, rec := withStripeMock(t, bundled)

	res, err := p.Charge(context.Background(), payment.ChargeRequest{IdempotencyKey: "sg_k2",
		Amount: money.New(990, "USD"), Token: "pm_card_chargeDeclined"})
	if err != nil {
		t.Fatalf("charge: %v", err)
	}
	calls := rec.all(t)
	answer := decode(t, calls[0].Body)
	if answer.Status != "requires_payment_method" {
		t.Fatalf("stripe-mock's fixture changed: %s", calls[0].Body)
	}
	if res.Status != payment.Declined || res.ProviderRef != answer.ID || res.Captured != 0 || res.FailureCode == "" {
		t.Fatalf("charge: %+v, want Declined with the PaymentIntent's id %s and a failure code", res, answer.ID)
	}
	if calls[0].Form.Get("description") != "" {
		t.Errorf("sent an empty description: %v", calls[0].Form)
	}
}

func TestLookupFindsTheChargeByItsKey(t *testing.T) {
	t.Parallel()
	p, rec := withStripeMock(t, captured)

	res, err := p.Lookup(context.Background(), "sg_found")
	if err != nil {
		t.Fatalf("lookup: %v", err)
	}
	want := payment.ChargeResult{Status: payment.Captured, ProviderRef: "pi_captured", Captured: 12000}
	if res != want {
		t.Fatalf("lookup: %+v, want %+v", res, want)
	}
	calls := rec.all(t)
	if len(calls) != 1 || calls[0].Method != "GET" || calls[0].Path != "/v1/payment_intents/search" {
		t.Fatalf("calls: %+v, want one search", calls)
	}
	if q := calls[0].Form.Get("query"); q != "metadata['staygraph_key']:'sg_found'" {
		t.Fatalf("search query %q", q)
	}
}

func TestLookupOfAChargeThatNeverArrived(t *testing.T) {
	t.Parallel()
	// bundled: search and list answer PaymentIntents without our key;
	// captured: they answer one made with another key (sg_found).
	for _, fixtures := range []string{bundled, captured} {
		p, rec := withStripeMock(t, fixtures)
		start := time.Now()

		res, err := p.Lookup(context.Background(), "sg_never_sent")
		if err != nil {
			t.Fatalf("%q: lookup: %v", fixtures, err)
		}
		if res.Status != payment.Declined || res.FailureCode != "not_found" || res.ProviderRef != "" {
			t.Fatalf("%q: lookup: %+v, want Declined not_found: another key's PaymentIntent is not ours", fixtures, res)
		}
		// Search trails Stripe's records; the recent PaymentIntents are listed too.
		calls := rec.all(t)
		if len(calls) != 2 || calls[0].Path != "/v1/payment_intents/search" || calls[1].Method != "GET" || calls[1].Path != "/v1/payment_intents" {
			t.Fatalf("%q: calls %+v, want a search then a list", fixtures, calls)
		}
		since, err := strconv.ParseInt(calls[1].Form.Get("created[gte]"), 10, 64)
		if err != nil || since > start.Add(-59*time.Minute).Unix() || since < start.Add(-2*time.Hour).Unix() {
			t.Fatalf("%q: listed since %v (%v), want about an hour back", fixtures, time.Unix(since, 0), err)
		}
	}
}

func TestRefundThePaymentIntent(t *testing.T) {
	t.Parallel()
	// bundled: the refund is succeeded; captured: pending. Both are paid.
	for _, fixtures := range []string{bundled, captured} {
		p, rec := withStripeMock(t, fixtures)

		res, err := p.Refund(context.Background(), payment.RefundRequest{IdempotencyKey: "sg_re_1",
			ChargeRef: "pi_captured", Amount: money.New(5000, "EUR")})
		if err != nil {
			t.Fatalf("%q: refund: %v", fixtures, err)
		}
		// The PaymentIntent's refunds are read first (none made under the
		// key: stripe-mock's has no metadata), then the refund is made,
		// the key in its metadata too.
		calls := rec.all(t)
		if len(calls) != 2 || calls[0].Method != "GET" || calls[0].Path != "/v1/refunds" || calls[0].Form.Get("payment_intent") != "pi_captured" ||
			calls[1].Method != "POST" || calls[1].Path != "/v1/refunds" {
			t.Fatalf("%q: calls %+v, want GET then POST /v1/refunds", fixtures, calls)
		}
		sent := calls[1]
		if sent.Form.Get("payment_intent") != "pi_captured" || sent.Form.Get("amount") != "5000" || sent.Header.Get("Idempotency-Key") != "sg_re_1" ||
			sent.Form.Get("metadata[staygraph_key]") != "sg_re_1" {
			t.Fatalf("%q: sent %v %v", fixtures, sent.Form, sent.Header)
		}
		answer := decode(t, sent.Body)
		if !res.Succeeded || res.ProviderRef != answer.ID || res.FailureMessage != "" {
			t.Fatalf("%q: refund answered by %s: %+v", fixtures, sent.Body, res)
		}
	}
}

func TestName(t *testing.T) {
	t.Parallel()
	if got := stripe.New("sk_test_123", stripe.Opts{}).Name(); got != "stripe" {
		t.Fatalf("Name() = %q", got)
	}
}

// object is the part of a Stripe object the tests compare with.
type object struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func decode(t *testing.T, body []byte) object {
	t.Helper()
	var o object
	if err := json.Unmarshal(body, &o); err != nil || o.ID == "" {
		t.Fatalf("decode %s: %v", body, err)
	}
	return o
}
