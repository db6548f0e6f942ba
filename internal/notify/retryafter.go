package notify

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps the wait a receiver's Retry-After can ask for. A
// longer one (a day, a year) is read as an hour, so a broken or hostile
// receiver cannot park a delivery for days: it is asked again an hour
// later, and may then ask for another hour, within the job's attempts.
const MaxRetryAfter = time.Hour

// ParseRetryAfter reads the value of a Retry-After header (RFC 9110
// §10.2.3): delay-seconds, or an HTTP-date, which is taken relative to
// now. It returns the wait, at most MaxRetryAfter, or 0 for an empty or
// malformed value, a negative or fractional number, or a date that has
// passed.
func ParseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if strings.Trim(value, "0123456789") == "" { // delay-seconds = 1*DIGIT
		seconds, err := strconv.ParseUint(value, 10, 64)
		if err != nil || seconds > uint64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter // longer, or more digits than a uint64 holds
		}
		return time.Duration(seconds) * time.Second
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0
	}
	return min(max(at.Sub(now), 0), MaxRetryAfter)
}
