package partnerfeed_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/indexer/partnerfeed"
)

var signingSecret = []byte("whsec_test_partner")

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"e1","type":"booking.confirmed"}`)
	now := time.Now()
	header := partnerfeed.Sign(signingSecret, now, body)
	if err := partnerfeed.Verify(signingSecret, header, body, 0); err != nil {
		t.Fatalf("a fresh, intact webhook: %v", err)
	}
	for name, tc := range map[string]struct {
		signingSecret []byte
		header        string
		body          []byte
	}{
		"a tampered body":        {signingSecret, header, []byte(`{"id":"e1","type":"booking.cancelled"}`)},
		"another signingSecret":  {[]byte("whsec_other"), header, body},
		"an old signature":       {signingSecret, partnerfeed.Sign(signingSecret, now.Add(-10*time.Minute), body), body},
		"a future signature":     {signingSecret, partnerfeed.Sign(signingSecret, now.Add(10*time.Minute), body), body},
		"a tampered timestamp":   {signingSecret, "t=" + strconv.FormatInt(now.Unix()+1, 10) + "," + v1(header), body},
		"no signature":           {signingSecret, "", body},
		"a signature without t=": {signingSecret, v1(header), body},
	} {
		if err := partnerfeed.Verify(tc.signingSecret, tc.header, tc.body, 5*time.Minute); !errors.Is(err, partnerfeed.ErrInvalidSignature) {
			t.Errorf("%s: verify = %v, want ErrInvalidSignature", name, err)
		}
	}
	// During a signingSecret rotation a header may carry several signatures.
	rotated := header + "," + v1(partnerfeed.Sign([]byte("whsec_new"), now, body))
	for _, key := range [][]byte{signingSecret, []byte("whsec_new")} {
		if err := partnerfeed.Verify(key, rotated, body, 0); err != nil {
			t.Fatalf("rotation header with signingSecret %s: %v", key, err)
		}
	}
}

// v1 is the "v1=..." part of a signature header.
func v1(header string) string {
	_, sig, _ := strings.Cut(header, ",")
	return sig
}
