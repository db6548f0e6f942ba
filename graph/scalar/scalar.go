// Package scalar marshals the API's custom scalars: Date (a hotel-local
// calendar date) and LocalTime (a hotel-local time of day).
package scalar

import (
	"fmt"
	"io"
	"strconv"
	"time"

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
		return time.Time{}, apperr.Invalid(fmt.Sprintf("%q is not a date YYYY-MM-DD", s))
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
