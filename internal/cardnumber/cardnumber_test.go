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
		// Any other separator, repeated the same between groups.
		"dots":                      "4111.1111.1111.1111",
		"slashes":                   "4111/1111/1111/1111",
		"commas":                    "4111,1111,1111,1111",
		"tabs":                      "4111\t1111\t1111\t1111",
		"underscores":               "4111_1111_1111_1111",
		"colons":                    "4111:1111:1111:1111",
		"pipes":                     "5555|5555|5555|4444",
		"en dashes":                 "4111–1111–1111–1111",
		"em dashes":                 "4111—1111—1111—1111",
		"no-break spaces":           "4111\u00a01111\u00a01111\u00a01111",
		"two dots":                  "4111..1111..1111..1111",
		"amex dotted":               "3782.822463.10005",
		"dotted in a sentence":      "card 4111.1111.1111.1111 exp 12/27",
		"dotted with expiry":        "4111.1111.1111.1111.12.27",
		"full-width digits":         "４１１１１１１１１１１１１１１１",
		"full-width spaced":         "４１１１　１１１１　１１１１　１１１１",
		"full-width dashes":         "５５５５－５５５５－５５５５－４４４４",
		"full and half width mixed": "4111１１１１1111１１１１",
		"full-width in a sentence":  "カード番号は４１１１ １１１１ １１１１ １１１１です",
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
		// Ordinary data with the separators cards may now have.
		"iso date":                  "2027-02-03",
		"slashed date":              "2027/02/03",
		"dotted date":               "03.02.2027",
		"date and time":             "2027-02-03 12:30:45",
		"date and time with micros": "2027-02-03 12:30:45.123456",
		"iso timestamp":             "2027-02-03T12:30:45.123456+01:00",
		"iso timestamp utc":         "2027-02-03T12:30:45Z",
		"dates listed":              "2027-02-03, 2027-02-04, 2027-02-05",
		"dotted phone":              "415.555.0132",
		"phone in parentheses":      "(415) 555-0132",
		"french phone":              "+33 1.23.45.67.89",
		"dotted long phone":         "0044.20.7946.0958",
		"phone with tabs":           "020\t7946\t0958",
		"amount":                    "1,234.56",
		"large amount":              "12,345,678.90",
		"card digits as an amount":  "4,111,111,111,111,111.00",
		"european amount":           "4.111.111.111.111.111,00",
		"full-width amount":         "４,１１１,１１１,１１１,１１１,１１１",
		"years listed":              "2023, 2024, 2025, 2026",
		"dashed uuid of digits":     "41111111-1111-1111-1111-111111111111",
		"underscored uuid":          "123e4567_e89b_12d3_a456_426614174000",
		"ipv4 with port":            "192.168.100.200:8080",
		"ipv6":                      "2001:0db8:0000:0000:0000:ff00:0042:8329",
		"version":                   "1.22.3",
		"full-width date":           "２０２７年２月３日",
		"full-width phone":          "０３－１２３４－５６７８",
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
	// Spans are of the text as given, full-width digits and separators too.
	got = cardnumber.Redact("番号：４１１１－１１１１－１１１１－１１１１。or 5555.5555.5555.4444!")
	if want := "番号：[card number]。or [card number]!"; got != want {
		t.Fatalf("Redact = %q, want %q", got, want)
	}
}

func FuzzContainsCardNumber(f *testing.F) {
	for _, s := range []string{
		"4111111111111111", "4111 1111 1111 1111", "3782 822463 10005", "+44 20 7946 0958",
		"4111.1111.1111.1111", "４１１１　１１１１　１１１１　１１１１", "2027-02-03 12:30:45.123456", "1,234.56",
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
