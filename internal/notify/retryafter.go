package notify

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
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

// RetryAfters makes a River delivery worker honour its receivers'
// Retry-After: the worker's Work returns its error through Note, and its
// NextRetry returns NextRetry's time, the backoff's or, when later, the
// one the receiver asked for.
//
// The failed attempt still counts as one, so the job keeps its bounded
// number of attempts (MaxAttempts) and a Retry-After lengthens a wait to
// MaxRetryAfter at most: a receiver that answers 429 forever delays a
// delivery but cannot keep its job alive. That is why the wait is not a
// river.JobSnooze: a snooze gives the attempt back (River decrements it)
// and records no error, so such a receiver would be asked again every
// hour, for ever. But River's NextRetry sees only the job, not Work's
// error; River calls it right after Work returned the error, in the same
// process and on the same worker, so the wait is handed over here, by job
// id, and forgotten once NextRetry took it. (A job cancelled from outside
// while its receiver answered never reaches NextRetry: Note forgets such
// waits once they are past.)
//
// The zero value is ready to use; a worker holds one and is not copied.
type RetryAfters struct {
	notBefore sync.Map // job id -> time.Time
}

// Note remembers the wait err's receiver asked for (StatusError.RetryAfter),
// when River will retry the job: err is neither a cancellation nor the
// failure of its last attempt. It returns err.
func (r *RetryAfters) Note(job *rivertype.JobRow, err error) error {
	var (
		answer *StatusError
		cancel *rivertype.JobCancelError
	)
	now := time.Now()
	r.notBefore.Range(func(id, notBefore any) bool {
		if notBefore.(time.Time).Before(now) {
			r.notBefore.Delete(id)
		}
		return true
	})
	if job.Attempt < job.MaxAttempts && errors.As(err, &answer) && answer.RetryAfter > 0 && !errors.As(err, &cancel) {
		r.notBefore.Store(job.ID, now.Add(answer.RetryAfter))
	}
	return err
}

// NextRetry is when the job may run again: at, the backoff's time, or
// later when its receiver asked for more. A zero at takes River's default
// retry policy (DefaultClientRetryPolicy) when a wait was asked for, and
// stays zero, the River client's retry policy, when none was.
func (r *RetryAfters) NextRetry(job *rivertype.JobRow, at time.Time) time.Time {
	v, ok := r.notBefore.LoadAndDelete(job.ID)
	if !ok {
		return at
	}
	if at.IsZero() {
		at = (&river.DefaultClientRetryPolicy{}).NextRetry(job)
	}
	if notBefore := v.(time.Time); notBefore.After(at) {
		return notBefore
	}
	return at
}

// Pauses are the waits receivers asked for in a 429 or 503 answer's
// Retry-After (StatusError.RetryAfter), by receiver (a channel, a partner),
// so that every delivery to a receiver waits them out, not only the one it
// answered: the others are snoozed (river.JobSnooze), which spends none of
// their attempts, for they did not fail. Kept in memory, per process. The
// zero value is ready to use; a holder is not copied.
type Pauses struct {
	until sync.Map // receiver -> time.Time
}

// Note remembers the wait err asks of receiver, when it ends later than the
// one remembered.
func (p *Pauses) Note(receiver string, err error) {
	var answer *StatusError
	if !errors.As(err, &answer) || answer.RetryAfter <= 0 {
		return
	}
	until := time.Now().Add(answer.RetryAfter)
	if old, ok := p.until.Load(receiver); ok && old.(time.Time).After(until) {
		return
	}
	p.until.Store(receiver, until)
}

// Left is how long receiver still asked to be left alone; 0 when not.
func (p *Pauses) Left(receiver string) time.Duration {
	until, ok := p.until.Load(receiver)
	if !ok {
		return 0
	}
	return max(time.Until(until.(time.Time)), 0)
}
