package cardnumber_test

import (
	"strings"
	"testing"

	"github.com/staygraph/staygraph/internal/cardnumber"
)

func TestContainsCatchesCardNumbers(t *testing.T) {
	t.Parallel()
	cards := map[string]string{
		"visa":                   "4111111111111111",
		"visa 4242":              "4242424242424242",
		"visa 13 digits":         "4222222222222",
		"visa spaced":            "4111 1111 1111 1111",
		"visa dashed":            "4012-8888-8888-1881",
		"visa two spaces":        "4111  1111  1111  1111",
		"visa spaced dash":       "4111 - 1111 - 1111 - 1111",
		"mastercard":             "5555555555554444",
		"mastercard spaced":      "5105 1051 0510 5100",
		"mastercard 2-series":    "2223003122003222",
		"amex":                   "378282246310005",
		"amex 4-6-5":             "3782 822463 10005",
		"amex dashed":            "3714-496353-98431",
		"discover":               "6011111111111117",
		"diners 4-6-4":           "3056 930902 5904",
		"jcb":                    "3530111333300000",
		"in a sentence":          "my card is 4111 1111 1111 1111, thanks",
		"after a colon":          "card:4111111111111111",
		"with expiry after":      "4111 1111 1111 1111 12 27",
		"with expiry and cvc":    "4111111111111111 12/27 123",
		"in parentheses":         "(5555-5555-5555-4444)",
		"after a newline":        "note\n4111111111111111",
		"in non-ascii text":      "カード4111111111111111です",
		"second of two numbers":  "4111111111111112 and 5555555555554444",
		"grouped after 4 digits": "7000 4111 1111 1111 1111",
		"labelled with a dash":   "VISA-4111111111111111",
		"card word and dash":     "card-4111 1111 1111 1111",
		"network, lower case":    "amex-378282246310005",
	}
	for name, s := range cards {
		if !cardnumber.Contains(s) {
			t.Errorf("%s: Contains(%q) = false, want true", name, s)
		}
	}
}

func TestContainsLetsOtherDataThrough(t *testing.T) {
	t.Parallel()
	others := map[string]string{
		"us phone":              "415-555-0132",
		"us phone with 1":       "1-800-555-0199",
		"international phone":   "+44 20 7946 0958",
		"long e164 phone":       "+861391234567890",
		"phone with 00 prefix":  "0044 20 7946 0958 12",
		"booking reference":     "SG-7K3M9Q2",
		"uuid":                  "123e4567-e89b-12d3-a456-426614174000",
		"all-digit uuid":        "12345678-1234-1234-1234-123456789012",
		"12 digits":             "411111111111",
		"non-luhn":              "4111111111111112",
		"non-luhn spaced":       "4111 1111 1111 1112",
		"20 digit id":           "41111111111111111111",
		"30 digit id":           "411111111111111111111111111111",
		"date":                  "2026-01-15",
		"datetime":              "2026-01-15T14:30:00+09:00",
		"idempotency key":       "hold-4111111111111111",
		"key naming a card":     "visa_hold-4111111111111111",
		"key with suffix":       "4111111111111111-retry",
		"hex hash":              "a41111111111111111f",
		"word with digits":      "room4111111111111111",
		"underscore identifier": "ref_4111111111111111",
		"epoch millis":          "1712345678901",
		"provider token":        "tok_visa_4242",
		"empty":                 "",
		"price":                 "12 500 000 JPY",
		"street address":        "1-1 Marunouchi 2-chome",
	}
	for name, s := range others {
		if cardnumber.Contains(s) {
			t.Errorf("%s: Contains(%q) = true, want false", name, s)
		}
	}
}

func TestRedactHidesOnlyTheCardNumber(t *testing.T) {
	t.Parallel()
	got := cardnumber.Redact("pay with 4111 1111 1111 1111 or 5555-5555-5555-4444 (ref SG-7K3M9Q2)")
	want := "pay with [card number] or [card number] (ref SG-7K3M9Q2)"
	if got != want {
		t.Fatalf("Redact = %q, want %q", got, want)
	}
	if s := "no card here 411111111111"; cardnumber.Redact(s) != s {
		t.Fatalf("Redact changed %q", s)
	}
}

func FuzzContainsCardNumber(f *testing.F) {
	for _, s := range []string{
		"4111111111111111", "4111 1111 1111 1111", "3782 822463 10005", "+44 20 7946 0958",
		"123e4567-e89b-12d3-a456-426614174000", "1234-", "-4", "4111 1111 1111 1111 2027 4242",
		strings.Repeat("4 ", 40), strings.Repeat("4111-", 20),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		found := cardnumber.Contains(s)
		redacted := cardnumber.Redact(s)
		if found != (redacted != s) {
			t.Fatalf("Contains(%q) = %v but Redact gave %q", s, found, redacted)
		}
		if cardnumber.Contains(redacted) && !strings.Contains(s, "[card number]") {
			t.Fatalf("Redact(%q) = %q still holds a card number", s, redacted)
		}
	})
}
