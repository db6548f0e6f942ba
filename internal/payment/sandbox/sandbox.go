// Package sandbox is a deterministic payment provider for development and
// tests: the token decides the outcome, and no money moves.
//
//	tok_success, tok_visa     captured in full
//	tok_decline               declined (card_declined)
//	tok_insufficient_funds    declined (insufficient_funds)
package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/staygraph/staygraph/internal/payment"
)

// Name is the provider name clients pass.
const Name = "sandbox"

// Provider is the sandbox payment provider.
type Provider struct{}

var _ payment.Provider = (*Provider)(nil)

// New returns the sandbox provider.
func New() *Provider { return &Provider{} }

// Name implements payment.Provider.
func (p *Provider) Name() string { return Name }

// Charge implements payment.Provider.
func (p *Provider) Charge(ctx context.Context, req payment.ChargeRequest) (payment.ChargeResult, error) {
	if err := ctx.Err(); err != nil {
		return payment.ChargeResult{Status: payment.Unknown}, err
	}
	ref := "sbx_" + shortHash(req.IdempotencyKey)
	switch req.Token {
	case "tok_success", "tok_visa":
		return payment.ChargeResult{Status: payment.Captured, ProviderRef: ref, Captured: req.Amount.Amount}, nil
	case "tok_insufficient_funds":
		return payment.ChargeResult{Status: payment.Declined, ProviderRef: ref,
			FailureCode: "insufficient_funds", FailureMessage: "the card has insufficient funds"}, nil
	default:
		return payment.ChargeResult{Status: payment.Declined, ProviderRef: ref,
			FailureCode: "card_declined", FailureMessage: "the card was declined"}, nil
	}
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
