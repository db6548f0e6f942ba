package cardnumber_test

import (
	"strconv"
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
		"mastercard 2221":        "2221 0000 0000 0009",
		"mir":                    "2200 0000 0000 0004",
		"uatp":                   "1000 000000 00009",
		"jcb 15 digits":          "213100000000001",
		"jcb 1800":               "180000000000002",
		"t-union":                "3100000000000000005",
		"unionpay 81":            "8100 0000 0000 0002",
		"uzcard":                 "8600000000000007",
		"troy":                   "9792000000000003",
		"humo":                   "9860000000000000",
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
		// Dots, underscores and dashes, repeated the same between groups.
		"dots":                      "4111.1111.1111.1111",
		"tabs":                      "4111\t1111\t1111\t1111",
		"underscores":               "4111_1111_1111_1111",
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
		// A mark with spaces before or after it is one separator.
		"dot and space":          "4111. 1111. 1111. 1111",
		"space and dot":          "4111 .1111 .1111 .1111",
		"spaced dots":            "4111 . 1111 . 1111 . 1111",
		"spaced en dashes":       "4111 – 1111 – 1111 – 1111",
		"underscore and space":   "4111_ 1111_ 1111_ 1111",
		"amex dot and space":     "3782. 822463. 10005",
		"dot and no-break space": "4111.\u00a01111.\u00a01111.\u00a01111",
		"dot and space in text":  "the card is 4111. 1111. 1111. 1111, exp 12/27",
		// Spaces of any kind are spaces, mixed as they come.
		"space and no-break space": "4111 1111\u00a01111 1111",
		"no-break space and space": "4111\u00a0 1111\u00a0 1111\u00a0 1111",
		"space and tab":            "4111\t1111 1111\t1111",
		"tab and full-width space": "4111\t1111　1111 1111",
		"narrow no-break spaces":   "4111\u202f1111\u202f1111\u202f1111",
		"amex with mixed spaces":   "3782\u00a0822463 10005",
		"uneven no-break spaces":   "41111\u00a011111\u00a0111111",
		// A number with an exponent is a number, not a word.
		"float exponent":         "4111111111111111e0",
		"float exponent, signed": "4111111111111111E+2",
		"float with a fraction":  "4111111111111111.0e-3",
		"exponent in a message":  `Argument "email" has invalid value 4111111111111111e0.`,
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
		// Commas, semicolons, slashes, colons and pipes separate numbers,
		// they never split one: these would pass the Luhn check as one.
		"card digits with slashes": "4111/1111/1111/1111",
		"card digits with commas":  "4111,1111,1111,1111",
		"card digits with colons":  "4111:1111:1111:1111",
		"card digits with pipes":   "5555|5555|5555|4444",
		// Spaces and dashes split card numbers, so lists of room numbers
		// that pass the Luhn check are told apart by their first digits:
		// no card number starts 2101 or 3104 (2221 to 2720 are Mastercard's).
		"rooms spaced":                "rooms 2101 2102 2103 2104",
		"rooms dashed":                "2101-2102-2103-2104",
		"rooms of the 31st floor":     "3104 3105 3106 3107",
		"16 digits starting 31":       "3104000000000009",
		"16 digits starting 1":        "1000000000000008",
		"rooms listed":                "rooms 2101,2102,2103,2104",
		"rooms listed with spaces":    "rooms 2101, 2102, 2103, 2104",
		"rooms slashed":               "2101/2102/2103/2104",
		"rooms slashed with spaces":   "2101 / 2102 / 2103 / 2104",
		"rooms with semicolons":       "2101;2102;2103;2104",
		"rooms with pipes":            "2101|2102|2103|2104",
		"rooms one a line":            "2101\n2102\n2103\n2104",
		"years slashed":               "2023/2024/2025/2026",
		"years listed without spaces": "2023,2024,2025,2026",
		"years listed, spaced":        "seasons 2023, 2024, 2025, 2026",
		"times slashed":               "2200/2215/2230/2245",
		"times with colons":           "10:30:45:12",
		"times listed":                "22:00, 22:15, 22:30, 22:45",
		"ratios":                      "2101:2102:2103:2104",
		"year range":                  "2023-2024",
		"year range with en dash":     "2023–2026",
		"year ranges listed":          "2023–2024, 2025–2026",
		"year ranges slashed":         "2023/24/25/26",
		"season":                      "winter 2023/2024, 2025/2026",
		// IBANs, phone numbers, timestamps, ids, prices, postal codes.
		"french iban":                 "FR76 3000 6000 0112 3456 7890 189",
		"french iban, no spaces":      "FR7630006000011234567890189",
		"german iban":                 "DE89 3704 0044 0532 0130 00",
		"british iban":                "GB29 NWBK 6016 1331 9268 19",
		"japanese phone":              "+81-3-1234-5678",
		"japanese phone, spaced":      "+81 3 1234 5678",
		"chinese mobile":              "+86 139 1234 5678",
		"us phone, international":     "+1 (415) 555-0132",
		"us phone, dotted":            "+1.415.555.0132",
		"french phone, spaced":        "+33 1 23 45 67 89",
		"german phone":                "+49 30 12345678",
		"uk phone with trunk zero":    "+44 (0)20 7946 0958",
		"phone with 00 and spaces":    "00 44 20 7946 0958",
		"two phones":                  "+44 20 7946 0958, +33 1 23 45 67 89",
		"iso timestamp with offset":   "2027-02-03T12:30:45+09:00",
		"iso timestamp, nanoseconds":  "2027-02-03T12:30:45.123456789Z",
		"iso timestamp with a space":  "2027-02-03 12:30:45.123456789+09:00",
		"iso week date":               "2027-W05-3",
		"random uuid":                 "3d8bfce2-5575-4090-9620-9bf01c99cc84",
		"upper-case uuid":             "3D8BFCE2-5575-4090-9620-9BF01C99CC84",
		"price with commas":           "JPY 4,111,111,111,111,111",
		"price with dots":             "EUR 1.234.567,89",
		"price with spaces":           "12 345 678,90 EUR",
		"price with apostrophes":      "CHF 1'234'567.90",
		"price with no-break spaces":  "1\u00a0234\u00a0567,89\u00a0€",
		"price with narrow spaces":    "1\u202f234\u202f567,89 €",
		"prices listed":               "2,101.00 / 2,102.00 / 2,103.00",
		"us zip+4":                    "94103-1234",
		"japanese postal code":        "〒100-0005",
		"uk postcode":                 "SW1A 1AA",
		"postal code and city":        "75008 Paris",
		"postal codes listed":         "75001, 75002, 75003, 75004",
		"address with postal code":    "1-1 Marunouchi 2-chome, Chiyoda-ku, Tokyo 100-0005",
		"dotted date and time":        "03.02.2027 12.30",
		"sentence ending in a number": "Room 2101. 2102 is next door.",
	}
	for name, s := range others {
		if cardnumber.Contains(s) {
			t.Errorf("%s: Contains(%q) = true, want false", name, s)
		}
	}
}

// Lists of room numbers are not card numbers, whatever joins them: four
// rooms in a row on floors 2 to 6 pass the Luhn check one time in five.
func TestContainsLetsRoomListsThrough(t *testing.T) {
	t.Parallel()
	for floor := 2; floor <= 6; floor++ {
		for first := floor*1000 + 101; first <= floor*1000+140; first++ {
			rooms := []string{strconv.Itoa(first), strconv.Itoa(first + 1), strconv.Itoa(first + 2), strconv.Itoa(first + 3)}
			for _, sep := range []string{",", ", ", "/", " / ", ";", "; ", ":", "|", "\n", " & ", " and "} {
				if s := "rooms " + strings.Join(rooms, sep); cardnumber.Contains(s) {
					t.Errorf("Contains(%q) = true, want false", s)
				}
			}
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
	// A separator with spaces around it is one separator; a number with an
	// exponent is one too.
	got = cardnumber.Redact("invalid value 4111111111111111e0, 4111. 1111. 1111. 1111 or 4111\u00a0 1111 1111 1111.")
	if want := "invalid value [card number]e0, [card number] or [card number]."; got != want {
		t.Fatalf("Redact = %q, want %q", got, want)
	}
	// Lists are not.
	if s := "rooms 2101,2102,2103,2104 and 2023/2024/2025/2026"; cardnumber.Redact(s) != s {
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
		"4111. 1111. 1111. 1111", "4111\u00a0 1111 1111 1111", "4111111111111111e0", "4111111111111111.0E-3x",
		"rooms 2101,2102,2103,2104", "2023/2024/2025/2026", "1e4111111111111111",
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
