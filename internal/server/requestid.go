package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/cardnumber"
)

// RequestIDHeader carries a request's id, in from a client or proxy and out
// in every response.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen bounds an id a client sends.
const maxRequestIDLen = 64

type requestIDKey struct{}

// WithRequestID returns a copy of ctx carrying the request id id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestIDs gives every request an id: the client's X-Request-Id when it is
// a sane token (at most 64 letters, digits, '-', '_', '.', ':') that holds
// no card number, a new random one otherwise. The id is put in the request
// context (see RequestID) and echoed in the response's X-Request-Id header.
func RequestIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !ValidRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(WithRequestID(r.Context(), id)))
	})
}

// ValidRequestID reports whether a request id from outside may be used as
// is: it ends up in log lines, job metadata and response headers, so it must
// not carry anything else: a card number, an API key or a token.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == ':'
		if !ok {
			return false
		}
	}
	// nor a credential: the log redaction would blank it in a message, but
	// the id is added to every line after redaction
	return !holdsCardNumber(id) && !credentialInID.MatchString(id)
}

// credentialInID finds an API key or a JWT anywhere in a request id, joined
// to other characters too (the log's patterns want a word boundary).
var credentialInID = regexp.MustCompile(apiKeyForm + `|` + jwtForm)

// holdsCardNumber reports whether a request id holds a card number. In text
// a number joined to a word is an identifier ("hold-4111…"), not a card;
// an id is nothing but an identifier, so the digits between its letters are
// read on their own too ("req-4111-1111-1111-1111", "span_4111…"), when
// they are laid out as a card number is (see cardLayout). A UUID or a hex
// id (hex digits and dashes, with at least one letter) is a number in base
// 16, never a card: its digit runs pass the Luhn check by chance.
func holdsCardNumber(id string) bool {
	if isHexID(id) {
		return false
	}
	if cardnumber.Contains(id) {
		return true
	}
	parts := strings.FieldsFunc(id, func(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' })
	for _, p := range parts {
		if digits, ok := cardLayout(strings.Trim(p, "-_.:")); ok && cardnumber.Contains(digits) {
			return true
		}
	}
	return false
}

// isHexID reports whether id is a UUID, or hex digits and dashes with at
// least one letter ("00f067aa0ba902b7", a 32-digit trace id). An id of
// digits and dashes alone is not: "4111-1111-1111-1111" is a card.
func isHexID(id string) bool {
	if _, err := uuid.Parse(id); err == nil {
		return true
	}
	letter := false
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F':
			letter = true
		case '0' <= c && c <= '9' || c == '-':
		default:
			return false
		}
	}
	return letter
}

// cardLayout returns the digits of p when p is laid out as a card number
// is: 13 to 19 digits in all, in a row or in groups split by one of "-_.:"
// laid out as cardnumber.PrintedLayout says. Other digit runs between an
// id's letters ("2-5575-4090-9620-9" of a UUID) are parts of the id.
func cardLayout(p string) (string, bool) {
	groups := strings.FieldsFunc(p, func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == ':' })
	if len(strings.Join(groups, "-")) != len(p) {
		return "", false // a separator doubled
	}
	digits := strings.Join(groups, "")
	if len(digits) < 13 || len(digits) > 19 {
		return "", false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", false
		}
	}
	lens := make([]int, len(groups))
	for i, g := range groups {
		lens[i] = len(g)
	}
	return digits, cardnumber.PrintedLayout(lens)
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
