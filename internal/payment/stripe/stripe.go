// Package stripe takes payments through Stripe with its official Go SDK
// (stripe-go): a charge is a PaymentIntent created and confirmed in one call,
// a refund is a Refund on that PaymentIntent.
//
// Tokens are Stripe PaymentMethod ids ("pm_..."), collected on the client by
// Stripe.js or a mobile SDK; in test mode "pm_card_visa" captures and
// "pm_card_chargeDeclined" is declined. Card numbers never reach staygraph.
// Cards only, confirmed on the server: a card that asks for 3-D Secure is
// declined (authentication_required), since this flow has no page on which
// the guest could authenticate.
//
// Every PaymentIntent carries the charge's idempotency key in its metadata
// (staygraph_key), which is how Lookup finds it again.
package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	stripeapi "github.com/stripe/stripe-go/v82"

	"github.com/staygraph/staygraph/internal/payment"
)

// Name is the provider name clients pass as payment.provider.
const Name = "stripe"

// MetadataKey is the metadata entry holding the idempotency key of the
// request that made a PaymentIntent (a charge) or a Refund.
const MetadataKey = "staygraph_key"

// searchLag bounds how far Stripe's search index may trail its records.
// Stripe documents under a minute normally and up to an hour during
// outages; PaymentIntents created within it are also looked for by listing,
// which is always up to date.
const searchLag = time.Hour

// Opts configures the provider.
type Opts struct {
	// BackendURL replaces Stripe's API URL (https://api.stripe.com), e.g. with
	// a stripe-mock server's ("http://127.0.0.1:12111"). Empty is Stripe.
	BackendURL string
	// HTTPClient makes the calls. Nil is the SDK's default client (80 s timeout).
	HTTPClient *http.Client
}

// Provider is the Stripe payment provider.
type Provider struct {
	client *stripeapi.Client
}

var _ payment.Provider = (*Provider)(nil)

// New returns the provider for the Stripe account of the secret key apiKey
// ("sk_live_..." or, in test mode, "sk_test_...").
func New(apiKey string, opts Opts) *Provider {
	// The SDK's own logger writes error bodies to stderr, past the
	// service's redacting logs, and Stripe's errors quote the payment
	// method with the guest's name, email and phone: it says nothing.
	// Every outcome is logged by the caller, with its request id.
	cfg := &stripeapi.BackendConfig{HTTPClient: opts.HTTPClient, LeveledLogger: &stripeapi.LeveledLogger{Level: stripeapi.LevelNull}}
	if opts.BackendURL != "" {
		cfg.URL = stripeapi.String(opts.BackendURL)
	}
	backends := stripeapi.NewBackendsWithConfig(cfg)
	return &Provider{client: stripeapi.NewClient(apiKey, stripeapi.WithBackends(backends))}
}

// Name implements payment.Provider.
func (p *Provider) Name() string { return Name }

// Charge implements payment.Provider: it creates and confirms a card
// PaymentIntent, with the request's idempotency key both as Stripe's
// Idempotency-Key (a retry returns the first PaymentIntent) and in the
// metadata (for Lookup). A decline or a request Stripe rejects is Declined;
// no answer, a server error or a conflicting concurrent request is Unknown
// with an error.
func (p *Provider) Charge(ctx context.Context, req payment.ChargeRequest) (payment.ChargeResult, error) {
	amount, err := toStripe(req.Amount)
	if err != nil {
		return payment.ChargeResult{Status: payment.Declined, FailureCode: "invalid_amount", FailureMessage: err.Error()}, nil
	}
	params := &stripeapi.PaymentIntentCreateParams{
		Amount:             stripeapi.Int64(amount),
		Currency:           stripeapi.String(strings.ToLower(req.Amount.Currency)),
		PaymentMethod:      stripeapi.String(req.Token),
		PaymentMethodTypes: stripeapi.StringSlice([]string{"card"}),
		Confirm:            stripeapi.Bool(true),
		// Fail instead of waiting for a 3-D Secure challenge nobody can answer.
		ErrorOnRequiresAction: stripeapi.Bool(true),
		Metadata:              map[string]string{MetadataKey: req.IdempotencyKey},
	}
	if req.Description != "" {
		params.Description = stripeapi.String(req.Description)
	}
	params.SetIdempotencyKey(req.IdempotencyKey)
	pi, err := p.client.V1PaymentIntents.Create(ctx, params)
	if err != nil {
		var se *stripeapi.Error
		if errors.As(err, &se) && refused(se) {
			res := payment.ChargeResult{Status: payment.Declined, FailureCode: failureCode(se), FailureMessage: failureMessage(se)}
			if se.PaymentIntent != nil {
				res.ProviderRef = se.PaymentIntent.ID
			}
			return res, nil
		}
		return payment.ChargeResult{Status: payment.Unknown}, fmt.Errorf("stripe charge: %w", describe(err))
	}
	return chargeResult(pi), nil
}

// Lookup implements payment.Provider. Stripe cannot be asked by idempotency
// key, so it searches the PaymentIntents for the key in their metadata and,
// since search trails by up to searchLag, also lists the recent ones. None
// found is Declined with payment.NotFound: the charge never reached Stripe,
// or Stripe is still processing it (the caller waits before taking it so).
func (p *Provider) Lookup(ctx context.Context, idempotencyKey string) (payment.ChargeResult, error) {
	pi, err := p.find(ctx, idempotencyKey)
	if err != nil {
		return payment.ChargeResult{Status: payment.Unknown}, fmt.Errorf("stripe lookup: %w", describe(err))
	}
	if pi == nil {
		return payment.ChargeResult{Status: payment.Declined, FailureCode: payment.NotFound,
			FailureMessage: "no such charge: it never reached Stripe"}, nil
	}
	return chargeResult(pi), nil
}

// find returns the PaymentIntent created with idempotencyKey, nil if none.
func (p *Provider) find(ctx context.Context, idempotencyKey string) (*stripeapi.PaymentIntent, error) {
	var found []*stripeapi.PaymentIntent
	search := &stripeapi.PaymentIntentSearchParams{}
	search.Query = fmt.Sprintf("metadata['%s']:'%s'", MetadataKey, quote(idempotencyKey))
	for pi, err := range p.client.V1PaymentIntents.Search(ctx, search) {
		if err != nil {
			return nil, err
		}
		if pi.Metadata[MetadataKey] == idempotencyKey {
			found = append(found, pi)
		}
	}
	if len(found) == 0 {
		list := &stripeapi.PaymentIntentListParams{
			CreatedRange: &stripeapi.RangeQueryParams{GreaterThanOrEqual: time.Now().Add(-searchLag).Unix()},
		}
		list.Limit = stripeapi.Int64(100)
		for pi, err := range p.client.V1PaymentIntents.List(ctx, list) {
			if err != nil {
				return nil, err
			}
			if pi.Metadata[MetadataKey] == idempotencyKey {
				found = append(found, pi)
			}
		}
	}
	return mostAdvanced(found), nil
}

// Refund implements payment.Provider: a Refund of the amount on the
// PaymentIntent req.ChargeRef, with the request's idempotency key. Pending
// counts as succeeded (Stripe owns it from there); a refund Stripe refuses
// or that fails is not succeeded; no answer is an error.
func (p *Provider) Refund(ctx context.Context, req payment.RefundRequest) (payment.RefundResult, error) {
	// Stripe forgets idempotency keys after 24 hours, and a refund is asked
	// again for weeks (its job's retries, then staff's retryRefund): a
	// refund made under the key, whose answer was lost, is found by the
	// key in its metadata rather than made twice.
	prior, err := p.findRefund(ctx, req.ChargeRef, req.IdempotencyKey)
	if err != nil {
		return payment.RefundResult{}, fmt.Errorf("stripe refund lookup: %w", describe(err))
	}
	if prior != nil {
		return refundResult(prior), nil
	}
	amount, err := toStripe(req.Amount)
	if err != nil {
		return payment.RefundResult{FailureMessage: err.Error()}, nil
	}
	params := &stripeapi.RefundCreateParams{
		PaymentIntent: stripeapi.String(req.ChargeRef),
		Amount:        stripeapi.Int64(amount),
	}
	params.AddMetadata(MetadataKey, req.IdempotencyKey)
	params.SetIdempotencyKey(req.IdempotencyKey)
	r, err := p.client.V1Refunds.Create(ctx, params)
	if err != nil {
		var se *stripeapi.Error
		if errors.As(err, &se) && refused(se) {
			return payment.RefundResult{Succeeded: false, FailureMessage: failureMessage(se)}, nil
		}
		return payment.RefundResult{}, fmt.Errorf("stripe refund: %w", describe(err))
	}
	return refundResult(r), nil
}

// findRefund returns the refund of the PaymentIntent made under
// idempotencyKey (in its metadata), nil if none.
func (p *Provider) findRefund(ctx context.Context, paymentIntent, idempotencyKey string) (*stripeapi.Refund, error) {
	params := &stripeapi.RefundListParams{PaymentIntent: stripeapi.String(paymentIntent)}
	for r, err := range p.client.V1Refunds.List(ctx, params) {
		if err != nil {
			return nil, err
		}
		if r.Metadata[MetadataKey] == idempotencyKey {
			return r, nil
		}
	}
	return nil, nil
}

// quote escapes s for a string literal of Stripe's search query language.
func quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}
