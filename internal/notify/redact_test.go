package notify

import (
	"errors"
	"testing"
)

// A peer that echoes the guest's number writes it its own way: masked
// however it is written; other numbers stay.
func TestRedactMasksTheNumberHoweverItIsWritten(t *testing.T) {
	c := Contact{Email: "ana@example.com", Phone: "+33 6 12 34 56 78"}
	for msg, want := range map[string]string{
		"sms: 400: The 'To' number +33612345678 is not a mobile number": "sms: 400: The 'To' number [redacted] is not a mobile number",
		"unknown subscriber 06 12 34 56 78":                             "unknown subscriber [redacted]",
		"to=0033-6-12-34-56-78 refused":                                 "to=[redacted] refused",
		"550 no such user ANA@example.com":                              "550 no such user [redacted]",
		"sms: 503 after 12 s, retry in 3000 ms":                         "sms: 503 after 12 s, retry in 3000 ms",
	} {
		if got := redact(errors.New(msg), c); got != want {
			t.Errorf("redact(%q) = %q, want %q", msg, got, want)
		}
	}
}
