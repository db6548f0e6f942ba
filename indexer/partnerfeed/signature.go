package partnerfeed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a webhook's signature.
const SignatureHeader = "Staygraph-Signature"

// DefaultTolerance is how old (or how far in the future) a signature's
// timestamp may be when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// ErrInvalidSignature is returned by Verify for a webhook that must be rejected.
var ErrInvalidSignature = errors.New("invalid webhook signature")

// Sign returns the SignatureHeader value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">", with one v1 for
// each of secret and previous (the secrets a rotation replaces, which the
// partner may still verify with).
func Sign(secret []byte, t time.Time, body []byte, previous ...[]byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	header := "t=" + ts + ",v1=" + mac(secret, ts, body)
	for _, old := range previous {
		header += ",v1=" + mac(old, ts, body)
	}
	return header
}

func mac(secret []byte, ts string, body []byte) string {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks a received webhook: header is its SignatureHeader, body the
// raw request body (before any JSON decoding), secret the one shared with
// staygraph. A signature older or newer than tolerance (DefaultTolerance
// when ≤ 0) is rejected, so a captured request cannot be replayed later.
// Several v1 values (during a secret rotation) pass if any one matches.
// Every failure wraps ErrInvalidSignature.
func Verify(secret []byte, header string, body []byte, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs []string
	for _, field := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return fmt.Errorf("%w: no t= and v1= in %s", ErrInvalidSignature, SignatureHeader)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp", ErrInvalidSignature)
	}
	if age := time.Since(time.Unix(unix, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: timestamp outside the tolerance of %s", ErrInvalidSignature, tolerance)
	}
	want := mac(secret, ts, body)
	for _, sig := range sigs {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("%w: no signature matches", ErrInvalidSignature)
}
