package notify_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/notify"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 6, 20, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"2", 2 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"3600", time.Hour},
		{"3601", notify.MaxRetryAfter},   // an absurd wait is capped
		{"864000", notify.MaxRetryAfter}, // ten days
		{"99999999999999999999999", notify.MaxRetryAfter}, // more than any clock holds
		{"Sun, 20 Jun 2027 10:00:30 GMT", 30 * time.Second},
		{"Sunday, 20-Jun-27 10:01:00 GMT", time.Minute}, // RFC 850, obsolete but allowed
		{"Sun Jun 20 10:02:00 2027", 2 * time.Minute},   // asctime, likewise
		{"Mon, 20 Jun 2039 10:00:00 GMT", notify.MaxRetryAfter},
		{"Sun, 20 Jun 2027 09:59:00 GMT", 0}, // passed: no wait
		{"-5", 0},
		{"+5", 0},
		{"1.5", 0},
		{"5s", 0},
		{"soon", 0},
		{"2027-06-20T10:00:30Z", 0}, // not an HTTP-date
	} {
		if got := notify.ParseRetryAfter(c.value, now); got != c.want {
			t.Errorf("Retry-After %q: %v, want %v", c.value, got, c.want)
		}
	}
}

// The wait a receiver asks for is read from its 429 and 503 answers, the
// answers that mean "later"; the same header on another answer is not.
func TestPostReadsRetryAfter(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status     int
		retryAfter string
		want       time.Duration
	}{
		{http.StatusTooManyRequests, "7", 7 * time.Second},
		{http.StatusServiceUnavailable, "90", 90 * time.Second},
		{http.StatusServiceUnavailable, time.Now().Add(time.Hour + time.Minute).UTC().Format(http.TimeFormat), notify.MaxRetryAfter},
		{http.StatusTooManyRequests, "tomorrow", 0},
		{http.StatusTooManyRequests, "", 0},
		{http.StatusInternalServerError, "7", 0},
	} {
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if c.retryAfter != "" {
				w.Header().Set("Retry-After", c.retryAfter)
			}
			w.WriteHeader(c.status)
		}))
		req, err := http.NewRequest(http.MethodPost, receiver.URL, strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		err = notify.Post(notify.NewClient(5*time.Second), req)
		receiver.Close()
		var answer *notify.StatusError
		if !errors.As(err, &answer) || answer.Code != c.status || answer.RetryAfter != c.want {
			t.Errorf("%d with Retry-After %q: %#v, want the answer with a wait of %v", c.status, c.retryAfter, err, c.want)
		}
	}
}
