// Package scalar marshals the API's custom scalars — Date (a hotel-local
// calendar date), LocalTime (a hotel-local time of day), DateTime (an
// instant) — and reads the built-in Int, Float and String strictly: numbers
// only (no strings), finite, whole for Int; no control characters or
// bidirectional overrides.
package scalar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/catalog"
)

// DateLayout is the wire format of Date.
const DateLayout = "2006-01-02"

// MarshalDate writes a date (a time at UTC midnight) as YYYY-MM-DD.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.Format(DateLayout)))
	})
}

// UnmarshalDate reads YYYY-MM-DD into a time at UTC midnight.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, apperr.Invalid("Date must be a string YYYY-MM-DD")
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, apperr.Invalid(fmt.Sprintf("%s is not a date YYYY-MM-DD", apperr.Quote(s)))
	}
	return t, nil
}

// MarshalLocalTime writes a time of day as HH:MM.
func MarshalLocalTime(t catalog.TimeOfDay) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.String()))
	})
}

// UnmarshalLocalTime reads HH:MM.
func UnmarshalLocalTime(v any) (catalog.TimeOfDay, error) {
	s, ok := v.(string)
	if !ok {
		return 0, apperr.Invalid("LocalTime must be a string HH:MM")
	}
	t, err := catalog.ParseTimeOfDay(s)
	if err != nil {
		return 0, apperr.Invalid(err.Error())
	}
	return t, nil
}

// MarshalDateTime writes an instant in RFC 3339, as gqlgen's Time does.
// An instant placed in a hotel's zone keeps its offset; any other (one read
// from the database comes in the server's zone) is written in UTC, so an
// answer does not depend on the zone the server runs in.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.MarshalTime(utcUnlessPlaced(t, time.Local))
}

// utcUnlessPlaced is t in UTC when it is in local, the server's zone.
func utcUnlessPlaced(t time.Time, local *time.Location) time.Time {
	if t.Location() == local {
		return t.UTC()
	}
	return t
}

// UnmarshalDateTime reads an RFC 3339 instant; it needs an offset (Z or
// ±hh:mm), since a time without one names no instant.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, apperr.Invalid("DateTime must be a string such as 2027-06-20T23:30:00+02:00")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, apperr.Invalid(fmt.Sprintf("%s is not a date-time with an offset (RFC 3339), such as 2027-06-20T23:30:00+02:00", apperr.Quote(s)))
	}
	return t, nil
}

// MarshalFloat writes a number as gqlgen's Float does.
func MarshalFloat(f float64) graphql.ContextMarshaler {
	return graphql.MarshalFloatContext(f)
}

// UnmarshalFloat reads a finite JSON or GraphQL number. Unlike gqlgen's
// Float it refuses strings ("NaN" among them), as the GraphQL spec does.
func UnmarshalFloat(_ context.Context, v any) (float64, error) {
	var f float64
	switch v := v.(type) {
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	case float64:
		f = v
	case json.Number:
		var err error
		if f, err = v.Float64(); err != nil {
			return 0, apperr.Invalid(fmt.Sprintf("%s is not a number", v))
		}
	default:
		return 0, apperr.Invalid(fmt.Sprintf("Float must be a number, not %s", describe(v)))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, apperr.Invalid("Float must be a finite number")
	}
	return f, nil
}

// MarshalString writes a string as gqlgen's String does.
func MarshalString(s string) graphql.Marshaler {
	return graphql.MarshalString(s)
}

// UnmarshalString reads a string as gqlgen's String does, and refuses
// control characters other than tab, line feed and carriage return
// (U+0000–U+001F, U+007F–U+009F: the NUL no stored text may hold, terminal
// escapes that would reach a log reader's or a guest's screen) and the
// bidirectional embeddings, overrides and isolates (U+202A–U+202E,
// U+2066–U+2069), which make text read otherwise than it is written.
// Right-to-left text and its marks (U+200E, U+200F) are text.
func UnmarshalString(v any) (string, error) {
	s, err := graphql.UnmarshalString(v)
	if err != nil {
		return "", apperr.Invalid(err.Error())
	}
	if !utf8.ValidString(s) {
		// JSON decoding mends bytes that are not UTF-8; a GET's document,
		// read from the URL, does not
		return "", apperr.Invalid("text must be UTF-8")
	}
	if strings.ContainsFunc(s, refusedRune) {
		return "", apperr.Invalid("text must not contain control characters (other than tab, line feed and carriage return) or bidirectional embeddings, overrides and isolates")
	}
	return s, nil
}

func refusedRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20, 0x7f <= r && r <= 0x9f:
		return true
	}
	return 0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069
}

// describe names the JSON kind of v for an error message.
func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

// MarshalInt writes an int as gqlgen's Int does.
func MarshalInt(i int) graphql.Marshaler { return graphql.MarshalInt(i) }

// UnmarshalInt reads a whole JSON or GraphQL number (wholeInt).
func UnmarshalInt(v any) (int, error) {
	n, err := wholeInt(v, math.MinInt, math.MaxInt)
	return int(n), err
}

// MarshalInt64 writes an int64 as gqlgen's Int does.
func MarshalInt64(i int64) graphql.Marshaler { return graphql.MarshalInt64(i) }

// UnmarshalInt64 reads a whole JSON or GraphQL number (wholeInt).
func UnmarshalInt64(v any) (int64, error) { return wholeInt(v, math.MinInt64, math.MaxInt64) }

// MarshalInt32 writes an int32 as gqlgen's Int does.
func MarshalInt32(i int32) graphql.Marshaler { return graphql.MarshalInt32(i) }

// UnmarshalInt32 reads a whole JSON or GraphQL number (wholeInt).
func UnmarshalInt32(v any) (int32, error) {
	n, err := wholeInt(v, math.MinInt32, math.MaxInt32)
	return int32(n), err
}

// wholeInt reads an Int between min and max. Unlike gqlgen's Int it refuses
// strings ("5"), as the GraphQL spec does, and tells a number too large
// from one that is not whole. The request's variables reach it with their
// whole numbers already read as integers (2.0 and 2e1 too).
func wholeInt(v any, min, max int64) (int64, error) {
	var n int64
	switch v := v.(type) {
	case nil:
		return 0, nil
	case int:
		n = int64(v)
	case int32:
		n = int64(v)
	case int64:
		n = v
	case json.Number:
		var err error
		if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			f, ferr := v.Float64()
			switch {
			case ferr == nil && f == math.Trunc(f), errors.Is(err, strconv.ErrRange):
				return 0, apperr.Invalid(fmt.Sprintf("%s is too large for an Int", v))
			default:
				return 0, apperr.Invalid(fmt.Sprintf("%s is not a whole number", v))
			}
		}
	default:
		return 0, apperr.Invalid(fmt.Sprintf("Int must be a whole number, not %s", describe(v)))
	}
	if n < min || n > max {
		return 0, apperr.Invalid(fmt.Sprintf("%d is too large for an Int", n))
	}
	return n, nil
}
