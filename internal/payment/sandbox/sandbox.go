// Package sandbox is a deterministic payment provider for development and
// tests: the token decides the outcome, and no money moves.
//
//	tok_success, tok_visa       captured in full
//	tok_decline                 declined (card_declined)
//	tok_insufficient_funds      declined (insufficient_funds)
//	tok_giftcard_<N>            captures at most N minor units (a gift card's balance),
//	                            in the step cards settle (money.CashStep)
//	tok_timeout_then_success    the call times out; Lookup later finds it captured
//	tok_timeout_then_failure    the call times out; Lookup later finds it declined
//	tok_refund_fails            captured; refunds of it are refused
//
// As a card acquirer, it declines an amount off its currency's card step
// (invalid_amount: 42.525 KWD; cards settle tens of fils).
//
// The provider remembers its charges in memory, as a real provider's
// records would be, so Lookup and Refund answer for them.
package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/payment"
)

// Name is the provider name clients pass.
const Name = "sandbox"

// ErrTimeout is what a timed-out call returns: the outcome is unknown.
var ErrTimeout = errors.New("sandbox: the provider did not answer in time")

// Provider is the sandbox payment provider.
type Provider struct {
	mu      sync.Mutex
	charges map[string]charge // by idempotency key
	refunds map[string]payment.RefundResult
}

type charge struct {
	token  string
	result payment.ChargeResult
}

var _ payment.Provider = (*Provider)(nil)

// New returns the sandbox provider.
func New() *Provider {
	return &Provider{charges: map[string]charge{}, refunds: map[string]payment.RefundResult{}}
}

// Name implements payment.Provider.
func (p *Provider) Name() string { return Name }

// Charge implements payment.Provider. A retried key answers the first outcome.
func (p *Provider) Charge(ctx context.Context, req payment.ChargeRequest) (payment.ChargeResult, error) {
	if err := ctx.Err(); err != nil {
		return payment.ChargeResult{Status: payment.Unknown}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.charges[req.IdempotencyKey]; ok {
		if strings.HasPrefix(c.token, "tok_timeout_then_") {
			return payment.ChargeResult{Status: payment.Unknown}, ErrTimeout
		}
		return c.result, nil
	}
	res := outcome(req)
	p.charges[req.IdempotencyKey] = charge{token: req.Token, result: res}
	if strings.HasPrefix(req.Token, "tok_timeout_then_") {
		return payment.ChargeResult{Status: payment.Unknown}, ErrTimeout
	}
	return res, nil
}

func outcome(req payment.ChargeRequest) payment.ChargeResult {
	ref := "sbx_ch_" + shortHash(req.IdempotencyKey)
	captured := payment.ChargeResult{Status: payment.Captured, ProviderRef: ref, Captured: req.Amount.Amount}
	step := money.CashStep(req.Amount.Currency)
	if req.Amount.Amount%step != 0 {
		return payment.ChargeResult{Status: payment.Declined, ProviderRef: ref, FailureCode: "invalid_amount",
			FailureMessage: fmt.Sprintf("%s is not an amount cards settle", req.Amount)}
	}
	switch {
	case req.Token == "tok_success", req.Token == "tok_visa", req.Token == "tok_timeout_then_success", req.Token == "tok_refund_fails":
		return captured
	case strings.HasPrefix(req.Token, "tok_giftcard_"):
		balance, err := strconv.ParseInt(strings.TrimPrefix(req.Token, "tok_giftcard_"), 10, 64)
		if err != nil || balance < step {
			break
		}
		captured.Captured = min(balance/step*step, req.Amount.Amount)
		return captured
	case req.Token == "tok_insufficient_funds":
		return payment.ChargeResult{Status: payment.Declined, ProviderRef: ref,
			FailureCode: "insufficient_funds", FailureMessage: "the card has insufficient funds"}
	}
	return payment.ChargeResult{Status: payment.Declined, ProviderRef: ref,
		FailureCode: "card_declined", FailureMessage: "the card was declined"}
}

// Lookup implements payment.Provider.
func (p *Provider) Lookup(ctx context.Context, idempotencyKey string) (payment.ChargeResult, error) {
	if err := ctx.Err(); err != nil {
		return payment.ChargeResult{Status: payment.Unknown}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.charges[idempotencyKey]
	if !ok {
		// Never reached the provider: nothing was charged.
		return payment.ChargeResult{Status: payment.Declined, FailureCode: payment.NotFound, FailureMessage: "no such charge"}, nil
	}
	return c.result, nil
}

// Refund implements payment.Provider.
func (p *Provider) Refund(ctx context.Context, req payment.RefundRequest) (payment.RefundResult, error) {
	if err := ctx.Err(); err != nil {
		return payment.RefundResult{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.refunds[req.IdempotencyKey]; ok {
		return r, nil
	}
	res := payment.RefundResult{ProviderRef: "sbx_re_" + shortHash(req.IdempotencyKey), Succeeded: true}
	for _, c := range p.charges {
		if c.result.ProviderRef == req.ChargeRef && c.token == "tok_refund_fails" {
			res = payment.RefundResult{Succeeded: false, FailureMessage: "the card issuer refused the refund"}
		}
	}
	p.refunds[req.IdempotencyKey] = res
	return res, nil
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
