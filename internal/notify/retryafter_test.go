package notify_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
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

// A gateway's Retry-After holds back the channel, not only the message it
// answered: another SMS waits it out too, snoozed (it spends no attempt),
// and both are sent once it is over.
func TestAGatewaysRetryAfterHoldsBackItsOtherMessages(t *testing.T) {
	t.Parallel()
	gw := notifytest.NewHTTPPeer(t)
	gw.Respond(http.StatusTooManyRequests, http.StatusOK)
	gw.Header("Retry-After", "3")
	b := setup(t, notify.Opts{Backoff: shortBackoff}, smsChannel(t, gw))
	first := b.booking(t, notify.Contact{Phone: "+34600000101"})
	b.enqueue(t, first, notify.Confirmed, "sms")
	limited := gw.Await(t, 1, deliveryWait)[0]
	gw.Header("Retry-After", "")
	second := b.booking(t, notify.Contact{Phone: "+34600000102"})
	b.enqueue(t, second, notify.Confirmed, "sms")
	if n := b.await(t, second, "sending the second SMS", sent); n.Attempts != 1 {
		t.Errorf("the second SMS took %d attempts, want 1: waiting is no failure", n.Attempts)
	}
	b.await(t, first, "sending the first SMS", sent)
	reqs := gw.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests to the gateway, want 3", len(reqs))
	}
	for i, r := range reqs[1:] {
		if wait := r.At.Sub(limited.At); wait < 3*time.Second {
			t.Errorf("request %d reached the gateway %v after its 429 with Retry-After: 3", i+2, wait.Round(time.Millisecond))
		}
	}
}

// An SMS gateway that answers 429 or 503 with a Retry-After is not asked
// again before the time it gave, even when the backoff is much shorter;
// an absurd wait is cut to MaxRetryAfter, a malformed one is ignored.
func TestDeliveryWaitsForTheGatewaysRetryAfter(t *testing.T) {
	t.Parallel()
	// gateway answers status with Retry-After: retryAfter, then 200; the
	// SMS it is sent is retried after 200 ms unless it asks for longer.
	gateway := func(t *testing.T, status int, retryAfter string) (*notifytest.HTTPPeer, testBundle, uuid.UUID) {
		gw := notifytest.NewHTTPPeer(t)
		gw.Respond(status, http.StatusOK)
		gw.Header("Retry-After", retryAfter)
		b := setup(t, notify.Opts{Backoff: shortBackoff}, smsChannel(t, gw))
		id := b.booking(t, notify.Contact{Phone: "+34600000009"})
		b.enqueue(t, id, notify.Confirmed, "sms")
		return gw, b, id
	}
	// secondSend is when the gateway got the second send, which went through.
	secondSend := func(t *testing.T, gw *notifytest.HTTPPeer, b testBundle, id uuid.UUID) time.Time {
		n := b.await(t, id, "sending the SMS", sent)
		reqs := gw.Requests()
		if n.Attempts != 2 || len(reqs) != 2 {
			t.Fatalf("sent after %d attempts and %d requests, want 2", n.Attempts, len(reqs))
		}
		return reqs[1].At
	}
	t.Run("429, Retry-After in seconds", func(t *testing.T) {
		t.Parallel()
		gw, b, id := gateway(t, http.StatusTooManyRequests, "2")
		at := secondSend(t, gw, b, id)
		if wait := at.Sub(gw.Requests()[0].At); wait < 2*time.Second {
			t.Fatalf("asked again %v after a 429 with Retry-After: 2", wait)
		}
	})
	t.Run("503, Retry-After as a date", func(t *testing.T) {
		t.Parallel()
		notBefore := time.Now().Add(3 * time.Second).Truncate(time.Second)
		gw, b, id := gateway(t, http.StatusServiceUnavailable, notBefore.UTC().Format(http.TimeFormat))
		if at := secondSend(t, gw, b, id); at.Before(notBefore) {
			t.Fatalf("asked again at %v, before the %v the 503 gave", at, notBefore)
		}
	})
	t.Run("a day is cut to an hour", func(t *testing.T) {
		t.Parallel()
		_, b, id := gateway(t, http.StatusTooManyRequests, "86400")
		n := b.await(t, id, "a failed send", func(n notify.Notification) bool { return n.Attempts == 1 })
		b.awaitJobs(t, n.ID, "retryable")
		var wait time.Duration
		must(t, b.pool.QueryRow(t.Context(), `SELECT scheduled_at - attempted_at FROM river_job
			WHERE kind = 'notify.deliver' AND args->>'notification_id' = $1`, n.ID.String()).Scan(&wait))
		if wait < notify.MaxRetryAfter || wait > notify.MaxRetryAfter+time.Minute {
			t.Fatalf("the next send is %v after the failed one, want an hour (MaxRetryAfter)", wait)
		}
	})
	t.Run("a malformed Retry-After is ignored", func(t *testing.T) {
		t.Parallel()
		gw, b, id := gateway(t, http.StatusTooManyRequests, "-3600")
		secondSend(t, gw, b, id) // within deliveryWait: the backoff's 200 ms
	})
}

// A gateway asking to wait longer than FallbackWait does not hold a
// booking's news when the route has another channel: delivery moves on to
// it at once; a short wait keeps the channel.
func TestALongRetryAfterFallsBackAtOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		retryAfter string
		channel    string
		sms        int
	}{{"3600", "email", 1}, {"1", "sms", 2}} {
		t.Run("Retry-After: "+tc.retryAfter, func(t *testing.T) {
			t.Parallel()
			gw := notifytest.NewHTTPPeer(t)
			gw.Respond(http.StatusTooManyRequests, http.StatusOK)
			gw.Header("Retry-After", tc.retryAfter)
			smtpd := notifytest.NewSMTPServer(t)
			b := setup(t, notify.Opts{Backoff: shortBackoff, Fallback: map[string]string{"sms": "email"}},
				smsChannel(t, gw), emailChannel(t, smtpd))
			id := b.booking(t, notify.Contact{Email: "ana@example.com", Phone: "+34600000010"})
			b.enqueue(t, id, notify.Confirmed, "sms")
			n := b.await(t, id, "sending it", sent)
			if n.Channel != tc.channel || len(gw.Requests()) != tc.sms {
				t.Fatalf("sent by %s after %d SMS requests, want %s after %d", n.Channel, len(gw.Requests()), tc.channel, tc.sms)
			}
		})
	}
}

// A gateway that asked to be left alone for an hour is not asked by the
// next message either: it goes by the route's fallback channel at once.
func TestALongRetryAfterSendsTheNextMessageByTheFallback(t *testing.T) {
	t.Parallel()
	gw := notifytest.NewHTTPPeer(t)
	gw.Respond(http.StatusTooManyRequests)
	gw.Header("Retry-After", "3600")
	smtpd := notifytest.NewSMTPServer(t)
	b := setup(t, notify.Opts{Backoff: shortBackoff, Fallback: map[string]string{"sms": "email"}},
		smsChannel(t, gw), emailChannel(t, smtpd))
	first := b.booking(t, notify.Contact{Email: "ana@example.com", Phone: "+34600000011"})
	b.enqueue(t, first, notify.Confirmed, "sms")
	b.await(t, first, "sending the first", sent)
	second := b.booking(t, notify.Contact{Email: "rui@example.com", Phone: "+34600000012"})
	b.enqueue(t, second, notify.Confirmed, "sms")
	if n := b.await(t, second, "sending the second", sent); n.Channel != "email" || len(gw.Requests()) != 1 {
		t.Fatalf("the second sent by %s, %d SMS requests in all; want email, and the gateway asked once", n.Channel, len(gw.Requests()))
	}
}

// RetryAfters holds a wait only from a failed run to its NextRetry, and
// only when River will run the job again.
func TestRetryAftersHandsTheWaitToNextRetryOnce(t *testing.T) {
	t.Parallel()
	var r notify.RetryAfters
	job := &rivertype.JobRow{ID: 7, Attempt: 2, MaxAttempts: 5}
	answer := &notify.StatusError{Code: http.StatusTooManyRequests, RetryAfter: 30 * time.Minute}
	soon := time.Now().Add(time.Second)

	if err := r.Note(job, fmt.Errorf("sms gateway %w", answer)); !errors.Is(err, answer) {
		t.Fatalf("Note returned %v, want its error", err)
	}
	if at := r.NextRetry(job, soon); time.Until(at) < 29*time.Minute {
		t.Fatalf("next retry in %v, want the 30 minutes asked for, not the backoff's second", time.Until(at))
	}
	if at := r.NextRetry(job, soon); !at.Equal(soon) {
		t.Fatalf("the wait was applied twice: next retry %v, want the backoff's %v", at, soon)
	}
	r.Note(job, answer)
	if at := r.NextRetry(job, time.Time{}); time.Until(at) < 29*time.Minute {
		t.Fatalf("without a backoff: next retry in %v, want the 30 minutes asked for", time.Until(at))
	}
	if at := r.NextRetry(job, time.Time{}); !at.IsZero() {
		t.Fatalf("without a backoff or a wait: %v, want zero (the client's retry policy)", at)
	}
	for _, c := range []struct {
		name string
		job  *rivertype.JobRow
		err  error
	}{
		{"the last attempt failed", &rivertype.JobRow{ID: 7, Attempt: 5, MaxAttempts: 5}, answer},
		{"cancelled", job, river.JobCancel(answer)},
		{"a wait within the backoff", job, &notify.StatusError{Code: http.StatusServiceUnavailable, RetryAfter: time.Millisecond}},
	} {
		r.Note(c.job, c.err)
		if at := r.NextRetry(job, soon); !at.Equal(soon) {
			t.Errorf("%s: next retry %v, want the backoff's %v", c.name, at, soon)
		}
	}
	// A wait that never reached NextRetry (its job was cancelled from
	// outside) is forgotten by a later Note once it is past.
	stranded := &rivertype.JobRow{ID: 8, Attempt: 1, MaxAttempts: 5}
	r.Note(stranded, &notify.StatusError{Code: http.StatusTooManyRequests, RetryAfter: time.Millisecond})
	time.Sleep(5 * time.Millisecond)
	r.Note(&rivertype.JobRow{ID: 9, Attempt: 1, MaxAttempts: 5}, errors.New("no answer"))
	if at := r.NextRetry(stranded, time.Time{}); !at.IsZero() {
		t.Errorf("a past wait was kept: next retry %v, want zero", at)
	}
}
