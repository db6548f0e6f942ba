package sandbox_test

import (
	"context"
	"testing"

	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

// The sandbox takes what a card acquirer takes: tens of fils, whole ariary.
func TestChargesInTheStepCardsSettle(t *testing.T) {
	for _, tc := range []struct {
		token    string
		amount   money.Money
		status   payment.Status
		captured int64
		code     string
	}{
		{"tok_visa", money.New(42530, "KWD"), payment.Captured, 42530, ""},
		{"tok_visa", money.New(42525, "KWD"), payment.Declined, 0, "invalid_amount"},
		{"tok_visa", money.New(150050, "MGA"), payment.Declined, 0, "invalid_amount"},
		{"tok_visa", money.New(4253, "EUR"), payment.Captured, 4253, ""},
		{"tok_giftcard_12345", money.New(42530, "KWD"), payment.Captured, 12340, ""},
		{"tok_giftcard_12345", money.New(4253, "EUR"), payment.Captured, 4253, ""},
		{"tok_giftcard_9", money.New(42530, "KWD"), payment.Declined, 0, "card_declined"},
	} {
		res, err := sandbox.New().Charge(context.Background(), payment.ChargeRequest{IdempotencyKey: "k", Token: tc.token, Amount: tc.amount})
		if err != nil || res.Status != tc.status || res.Captured != tc.captured || res.FailureCode != tc.code {
			t.Errorf("%s for %s: %+v, %v; want %s of %d (%q)", tc.token, tc.amount, res, err, tc.status, tc.captured, tc.code)
		}
	}
}
