package stripe

import (
	"fmt"
	"strings"

	"github.com/staygraph/staygraph/internal/money"
)

// stripeDigits lists the currencies whose amounts Stripe states with another
// number of decimals than ISO 4217's minor unit, which staygraph keeps
// amounts in (money.MinorDigits): Stripe's zero-decimal currencies (MGA has
// 2 ISO digits), ISK (0 ISO digits, 2 at Stripe: 100 is one króna) and its
// three-decimal ones. Others are ISO's.
var stripeDigits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "JPY": 0, "KMF": 0, "KRW": 0, "MGA": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"ISK": 2,
	"BHD": 3, "JOD": 3, "KWD": 3, "OMR": 3, "TND": 3,
}

// digitsAt is how many decimals Stripe's amounts in currency have.
func digitsAt(currency string) int {
	if d, ok := stripeDigits[currency]; ok {
		return d
	}
	return money.MinorDigits(currency)
}

// toStripe states m as a Stripe amount. It fails for an amount Stripe
// cannot take: a fraction of a zero-decimal currency's unit (MGA), or a
// three-decimal amount whose last digit is not 0 (Stripe's partners take
// tens of fils only).
func toStripe(m money.Money) (int64, error) {
	iso, at := money.MinorDigits(m.Currency), digitsAt(m.Currency)
	amount := m.Amount
	for ; at > iso; at-- {
		amount *= 10
	}
	for ; iso > at; iso-- {
		if amount%10 != 0 {
			return 0, fmt.Errorf("Stripe takes %s in whole units only, not %s", m.Currency, m)
		}
		amount /= 10
	}
	if digitsAt(m.Currency) == 3 && amount%10 != 0 {
		return 0, fmt.Errorf("Stripe takes %s in tens of its minor unit only, not %s", m.Currency, m)
	}
	return amount, nil
}

// fromStripe turns a Stripe amount in currency (any case) into minor units.
func fromStripe(amount int64, currency string) int64 {
	c := strings.ToUpper(currency)
	iso, at := money.MinorDigits(c), digitsAt(c)
	for ; iso > at; at++ {
		amount *= 10
	}
	for ; at > iso; at-- {
		amount /= 10
	}
	return amount
}
