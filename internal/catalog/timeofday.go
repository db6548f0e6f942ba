package catalog

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// TimeOfDay is a hotel-local wall-clock time in minutes after midnight.
type TimeOfDay int

// ParseTimeOfDay parses "HH:MM" (24-hour clock).
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("time of day %q is not HH:MM", s)
	}
	return TimeOfDay(t.Hour()*60 + t.Minute()), nil
}

// Hour is the hour part.
func (t TimeOfDay) Hour() int { return int(t) / 60 }

// Minute is the minute part.
func (t TimeOfDay) Minute() int { return int(t) % 60 }

func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute()) }

// On returns the instant at this local time on the given local date in loc.
// In a DST gap the instant moves forward as Go's time.Date does.
func (t TimeOfDay) On(date time.Time, loc *time.Location) time.Time {
	return time.Date(date.Year(), date.Month(), date.Day(), t.Hour(), t.Minute(), 0, 0, loc)
}

func (t TimeOfDay) pg() pgtype.Time {
	return pgtype.Time{Microseconds: int64(t) * 60_000_000, Valid: true}
}

func timeOfDayFromPG(p pgtype.Time) TimeOfDay {
	return TimeOfDay(p.Microseconds / 60_000_000)
}
