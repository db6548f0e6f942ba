package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
	"github.com/staygraph/staygraph/internal/notify/webhook"
)

var secret = []byte("whsec_test_partner")

func message(t *testing.T, to string) notify.Message {
	t.Helper()
	msg, err := notify.Compose(notify.Cancelled, notify.Contact{Reference: "SG-7KQ2", HotelName: "Hotel Sol"})
	if err != nil {
		t.Fatal(err)
	}
	msg.ID, msg.BookingID, msg.To, msg.CreatedAt = uuid.New(), uuid.New(), to, time.Unix(1767225600, 0)
	return msg
}

// What a partner receives verifies with the shared secret, names the event
// so it can be deduplicated, and says what happened.
func TestSendSignsTheEvent(t *testing.T) {
	t.Parallel()
	partner := notifytest.NewHTTPPeer(t)
	ch, err := webhook.New(secret, webhook.Opts{})
	if err != nil {
		t.Fatal(err)
	}
	msg := message(t, partner.URL+"/hooks")
	if err := ch.Send(context.Background(), msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	req := partner.Requests()[0]
	if err := webhook.Verify(secret, req.Header.Get(webhook.SignatureHeader), req.Body, time.Minute); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if req.Header.Get("Idempotency-Key") != msg.ID.String() {
		t.Fatalf("Idempotency-Key %q, want %s", req.Header.Get("Idempotency-Key"), msg.ID)
	}
	var ev webhook.Event
	if err := json.Unmarshal(req.Body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != msg.ID || ev.Type != "booking.cancelled" || ev.Created != 1767225600 || ev.Data.BookingID != msg.BookingID ||
		ev.Data.Reference != "SG-7KQ2" || ev.Data.Kind != notify.Cancelled || ev.Data.Summary != msg.Subject {
		t.Fatalf("event %+v", ev)
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"e1","type":"booking.confirmed"}`)
	now := time.Now()
	header := webhook.Sign(secret, now, body)
	if err := webhook.Verify(secret, header, body, 0); err != nil {
		t.Fatalf("a fresh, intact webhook: %v", err)
	}
	for name, tc := range map[string]struct {
		secret []byte
		header string
		body   []byte
	}{
		"a tampered body":        {secret, header, []byte(`{"id":"e1","type":"booking.cancelled"}`)},
		"another secret":         {[]byte("whsec_other"), header, body},
		"an old signature":       {secret, webhook.Sign(secret, now.Add(-10*time.Minute), body), body},
		"a future signature":     {secret, webhook.Sign(secret, now.Add(10*time.Minute), body), body},
		"a tampered timestamp":   {secret, "t=" + strconv.FormatInt(now.Unix()+1, 10) + "," + v1(header), body},
		"no signature":           {secret, "", body},
		"a signature without t=": {secret, v1(header), body},
	} {
		if err := webhook.Verify(tc.secret, tc.header, tc.body, 5*time.Minute); !errors.Is(err, webhook.ErrInvalidSignature) {
			t.Errorf("%s: verify = %v, want ErrInvalidSignature", name, err)
		}
	}
	// During a secret rotation a header may carry several signatures.
	rotated := header + "," + v1(webhook.Sign([]byte("whsec_new"), now, body))
	for _, key := range [][]byte{secret, []byte("whsec_new")} {
		if err := webhook.Verify(key, rotated, body, 0); err != nil {
			t.Fatalf("rotation header with secret %s: %v", key, err)
		}
	}
}

// v1 is the "v1=..." part of a signature header.
func v1(header string) string {
	_, sig, _ := strings.Cut(header, ",")
	return sig
}

func TestPartnerAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status    int
		ok        bool
		permanent bool
	}{
		{http.StatusNoContent, true, false},
		{http.StatusGone, false, true},
		{http.StatusTooManyRequests, false, false},
		{http.StatusServiceUnavailable, false, false},
	} {
		partner := notifytest.NewHTTPPeer(t)
		partner.Respond(tc.status)
		ch, err := webhook.New(secret, webhook.Opts{})
		if err != nil {
			t.Fatal(err)
		}
		err = ch.Send(context.Background(), message(t, partner.URL))
		if (err == nil) != tc.ok || errors.Is(err, notify.ErrPermanent) != tc.permanent {
			t.Errorf("%d: send = %v, want ok=%v permanent=%v", tc.status, err, tc.ok, tc.permanent)
		}
	}
	ch, _ := webhook.New(secret, webhook.Opts{})
	if err := ch.Send(context.Background(), message(t, "mailto:partner@example.com")); !errors.Is(err, notify.ErrPermanent) {
		t.Fatalf("non-HTTP endpoint: %v, want a permanent failure", err)
	}
}

// Partners with their own secrets get webhooks signed with theirs.
func TestSecretPerPartner(t *testing.T) {
	t.Parallel()
	partner := notifytest.NewHTTPPeer(t)
	own := []byte("whsec_partner_own")
	ch, err := webhook.New(nil, webhook.Opts{SecretFor: func(_ context.Context, endpoint string) ([]byte, error) {
		if endpoint == partner.URL {
			return own, nil
		}
		return nil, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(context.Background(), message(t, partner.URL)); err != nil {
		t.Fatal(err)
	}
	req := partner.Requests()[0]
	if err := webhook.Verify(own, req.Header.Get(webhook.SignatureHeader), req.Body, 0); err != nil {
		t.Fatalf("verify with the partner's own secret: %v", err)
	}
	if err := ch.Send(context.Background(), message(t, "https://unknown.example/hooks")); !errors.Is(err, notify.ErrPermanent) {
		t.Fatalf("endpoint without a secret: %v, want a permanent failure", err)
	}
}
