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
	// During a rotation a post is signed by the new secret and the previous
	// ones: a partner verifies with whichever it holds, and no other.
	rotated := partnerfeed.Sign([]byte("whsec_new"), now, body, signingSecret)
	if strings.Count(rotated, "v1=") != 2 {
		t.Fatalf("rotation header %q, want two signatures", rotated)
	}
	for _, key := range [][]byte{signingSecret, []byte("whsec_new")} {
		if err := partnerfeed.Verify(key, rotated, body, 0); err != nil {
			t.Fatalf("rotation header with signingSecret %s: %v", key, err)
		}
	}
	if err := partnerfeed.Verify([]byte("whsec_other"), rotated, body, 0); !errors.Is(err, partnerfeed.ErrInvalidSignature) {
		t.Fatalf("rotation header with a third secret: %v", err)
	}
}

// v1 is the "v1=..." part of a signature header.
func v1(header string) string {
	_, sig, _ := strings.Cut(header, ",")
	return sig
}
