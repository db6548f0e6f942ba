package sms_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
	"github.com/staygraph/staygraph/internal/notify/sms"
)

func message(t *testing.T) notify.Message {
	t.Helper()
	msg, err := notify.Compose(notify.Confirmed, notify.Contact{Phone: "+33123456789", Language: "es",
		Reference: "SG-7KQ2", HotelName: "Hotel Sol"})
	if err != nil {
		t.Fatal(err)
	}
	msg.ID, msg.To = uuid.New(), "+33123456789"
	return msg
}

func TestSendPostsToTheGateway(t *testing.T) {
	t.Parallel()
	gw := notifytest.NewHTTPPeer(t)
	ch, err := sms.New(gw.URL+"/v1/messages", "tok_123", sms.Opts{Sender: "Staygraph"})
	if err != nil {
		t.Fatal(err)
	}
	msg := message(t)
	if err := ch.Send(context.Background(), msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	req := gw.Requests()[0]
	if req.Method != http.MethodPost || req.Header.Get("Authorization") != "Bearer tok_123" ||
		req.Header.Get("Idempotency-Key") != msg.ID.String() || req.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s with headers %v", req.Method, req.Header)
	}
	var body struct{ ID, To, From, Text string }
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.ID != msg.ID.String() || body.To != "+33123456789" || body.From != "Staygraph" || body.Text != msg.Short {
		t.Fatalf("body %+v, want the short text %q to +33123456789", body, msg.Short)
	}
}

// 2xx is sent, 4xx a refusal for good (but 408/429 are worth retrying),
// 5xx and timeouts are retried.
func TestGatewayAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status    int
		ok        bool
		permanent bool
	}{
		{http.StatusOK, true, false},
		{http.StatusAccepted, true, false},
		{http.StatusBadRequest, false, true},
		{http.StatusUnauthorized, false, true},
		{http.StatusTooManyRequests, false, false},
		{http.StatusRequestTimeout, false, false},
		{http.StatusInternalServerError, false, false},
		{http.StatusBadGateway, false, false},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			t.Parallel()
			gw := notifytest.NewHTTPPeer(t)
			gw.Respond(tc.status)
			ch, err := sms.New(gw.URL, "tok", sms.Opts{})
			if err != nil {
				t.Fatal(err)
			}
			err = ch.Send(context.Background(), message(t))
			if (err == nil) != tc.ok || errors.Is(err, notify.ErrPermanent) != tc.permanent {
				t.Fatalf("%d: send = %v, want ok=%v permanent=%v", tc.status, err, tc.ok, tc.permanent)
			}
		})
	}
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		gw := notifytest.NewHTTPPeer(t)
		gw.Delay(2 * time.Second)
		ch, err := sms.New(gw.URL, "tok", sms.Opts{Timeout: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := ch.Send(context.Background(), message(t)); err == nil || errors.Is(err, notify.ErrPermanent) {
			t.Fatalf("send = %v, want a temporary failure", err)
		}
	})
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	if _, err := sms.New("ftp://gateway", "tok", sms.Opts{}); err == nil {
		t.Fatal("non-HTTP gateway accepted")
	}
	if _, err := sms.New("https://gateway.example", "", sms.Opts{}); err == nil {
		t.Fatal("empty token accepted")
	}
}
