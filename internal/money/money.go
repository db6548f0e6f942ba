// Package money owns amounts of money: integer minor units of an ISO 4217
// currency, and the arithmetic the product does on them.
package money

import (
	"fmt"
	"strings"
)

// Money is an amount in minor units (cents for EUR) of an ISO 4217 currency.
type Money struct {
	Amount   int64
	Currency string
}

// New returns amount minor units of currency.
func New(amount int64, currency string) Money { return Money{Amount: amount, Currency: currency} }

func (m Money) String() string {
	d := MinorDigits(m.Currency)
	if d == 0 {
		return fmt.Sprintf("%d %s", m.Amount, m.Currency)
	}
	scale := int64(1)
	for range d {
		scale *= 10
	}
	sign := ""
	a := m.Amount
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%0*d %s", sign, a/scale, d, a%scale, m.Currency)
}

// Percent returns p percent of amount, rounded half away from zero.
func Percent(amount int64, p int) int64 {
	return BasisPoints(amount, p*100)
}

// BasisPoints returns bps/10000 of amount, rounded half away from zero.
func BasisPoints(amount int64, bps int) int64 {
	n := amount * int64(bps)
	if n >= 0 {
		return (n + 5000) / 10000
	}
	return (n - 5000) / 10000
}

// cashSteps lists the currencies whose card payments settle in a coarser
// step than ISO 4217's minor unit: the three-decimal ones card acquirers
// take (BHD, JOD, KWD, OMR, TND; Stripe among them takes no single fils or
// millime) in tens of it, and MGA in whole ariary. IQD and LYD, three-decimal
// too, are settled in their minor unit: no acquirer here takes them. The search engines' SQL lists them too (taxed_total,
// migration 00040; a test compares the two).
var cashSteps = map[string]int64{"BHD": 10, "JOD": 10, "KWD": 10, "OMR": 10, "TND": 10, "MGA": 100}

// CashStep is the smallest step, in minor units, of the amounts of code that
// card payments settle: 1 but for the currencies in cashSteps.
func CashStep(code string) int64 {
	if step, ok := cashSteps[code]; ok {
		return step
	}
	return 1
}

// ToCash rounds a non-negative amount of code to a multiple of its
// CashStep, halves up.
func ToCash(amount int64, code string) int64 {
	step := CashStep(code)
	return (amount + step/2) / step * step
}

// TaxedTotal is amount of code with bps/10000 of tax (BasisPoints), rounded
// to a multiple of its CashStep, halves up: a room's total is then an amount
// card payments settle, the rounding being the tax's (135.000 KWD at 7.5 %
// is 145.130, its tax 10.130). Never below amount, so that no tax is
// negative: 45.003 KWD at no tax is 45.010. For a currency whose step is 1
// it is amount + BasisPoints(amount, bps). amount is not negative. The
// search engines price stays with its SQL twin, taxed_total.
func TaxedTotal(amount int64, bps int, code string) int64 {
	step := CashStep(code)
	return max(ToCash(amount+BasisPoints(amount, bps), code), (amount+step-1)/step*step)
}

// minorDigits lists active ISO 4217 currencies and their minor unit digits.
var minorDigits = map[string]int{
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2, "AZN": 2,
	"BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2, "BOB": 2, "BRL": 2,
	"BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHF": 2, "CLP": 0, "CNY": 2,
	"COP": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2,
	"ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2,
	"GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2,
	"IQD": 3, "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3, "JPY": 0, "KES": 2, "KGS": 2, "KHR": 2, "KMF": 0,
	"KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2,
	"LYD": 3, "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2,
	"MVR": 2, "MWK": 2, "MXN": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2,
	"NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2,
	"RON": 2, "RSD": 2, "RUB": 2, "RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2,
	"SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2, "THB": 2,
	"TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2, "UAH": 2, "UGX": 0,
	"USD": 2, "UYU": 2, "UZS": 2, "VES": 2, "VND": 0, "VUV": 0, "WST": 2, "XAF": 0, "XCD": 2, "XOF": 0,
	"XPF": 0, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
}

// Valid reports whether code is an active ISO 4217 currency code.
func Valid(code string) bool {
	_, ok := minorDigits[code]
	return ok
}

// Normalize upper-cases code and reports whether it is a known currency.
func Normalize(code string) (string, bool) {
	c := strings.ToUpper(strings.TrimSpace(code))
	return c, Valid(c)
}

// MinorDigits is the number of decimal digits of the currency's minor unit.
func MinorDigits(code string) int { return minorDigits[code] }
