// Package apperr is the product's vocabulary of expected failures. Services
// return *Error values with a stable Code; the GraphQL edge turns them into
// userErrors in mutation payloads or extensions.code on top-level errors.
// Anything that is not an *Error is an internal failure.
package apperr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/staygraph/staygraph/internal/money"
)

// Code is a stable, machine-readable error code shown to API clients.
type Code string

// Codes shared by every service. Services may define more.
const (
	// Unauthenticated: the call needs credentials and none (or invalid ones) came.
	Unauthenticated Code = "UNAUTHENTICATED"
	// Forbidden: the principal may not act on that object.
	Forbidden Code = "FORBIDDEN"
	// InvalidInput: a field failed validation; Field names it.
	InvalidInput Code = "INVALID_INPUT"
	// NotFound: the object does not exist (or is not visible to the caller).
	NotFound Code = "NOT_FOUND"
	// StaleVersion: expectedVersion no longer matches; reload and retry.
	StaleVersion Code = "STALE_VERSION"
	// Conflict: the change collides with existing state (e.g. a duplicate).
	Conflict Code = "CONFLICT"
)

// Error is an expected business outcome.
type Error struct {
	Code    Code
	Field   []string // input path at fault, e.g. ["input", "timeZone"]
	Message string
	// Amount is the sum the outcome is about, for a client to act on
	// without reading Message (what is left to pay, the price now); nil
	// for most codes.
	Amount *money.Money
	// DeclineCode is, for a declined payment, the provider's reason as it
	// gives it (insufficient_funds, expired_card, ...): whether to ask for
	// another card or to try again later; nil otherwise.
	DeclineCode *string
	Err         error // optional cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error with code and message.
func New(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// Invalid returns an InvalidInput error for the named input field.
func Invalid(message string, field ...string) *Error {
	return &Error{Code: InvalidInput, Field: field, Message: message}
}

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// HasCode reports whether err, or any error of a List in it, carries code.
func HasCode(err error, code Code) bool {
	all, _ := All(err)
	for _, e := range all {
		if e.Code == code {
			return true
		}
	}
	return false
}

// Quote quotes a value a caller gave, for a message that refuses it: at
// most its first 80 bytes, so that a refusal of a huge value stays small.
func Quote(s string) string {
	if len(s) > 80 {
		s = strings.ToValidUTF8(s[:80], "") + "…"
	}
	return strconv.Quote(s)
}

// List collects several validation failures so a caller sees them all at once.
type List []*Error

func (l List) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more)", l[0].Error(), len(l)-1)
}

// Err returns nil when l is empty, else l itself.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// All flattens err into its *Error parts; ok is false when err holds anything
// that is not an expected outcome.
func All(err error) (out []*Error, ok bool) {
	var l List
	if errors.As(err, &l) {
		return l, true
	}
	if e, ok := As(err); ok {
		return []*Error{e}, true
	}
	return nil, false
}
