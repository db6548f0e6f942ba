package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
)

// postAs sends one GraphQL request with the given headers and returns
// the response body.
func postAs(t *testing.T, addr string, headers map[string]string, query string, vars map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	checkErr(t, err)
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return string(out)
}

// holdAs holds two nights for a named guest with request id reqID and
// returns the booking's global id.
func holdAs(t *testing.T, s mailingServer, reqID, key, email string) string {
	t.Helper()
	tok, err := auth.Mint(s.secret, auth.MintOpts{Role: auth.RoleGuest, Subject: "zelda", TTL: time.Hour})
	checkErr(t, err)
	date := func(days int) string { return booking.Date(time.Now()).AddDate(0, 0, days).Format(time.DateOnly) }
	out := postAs(t, s.addr, map[string]string{"Authorization": "Bearer " + tok, "X-Request-Id": reqID},
		`mutation($in: HoldBookingInput!) { holdBooking(input: $in) { booking { id } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": key, "hotelId": relay.ID(relay.KindHotel, s.hotel),
			"checkIn": date(5), "checkOut": date(7),
			"rooms": []map[string]any{{"ratePlanId": relay.ID(relay.KindRatePlan, s.plan), "adults": 2,
				"guests": []map[string]any{{"givenName": "Zelda", "familyName": "Quixote"}}}},
			"contact": map[string]any{"email": email, "phone": "+44 7700 900123"}}})
	var res struct {
		Data struct {
			HoldBooking struct{ Booking *struct{ ID string } }
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Data.HoldBooking.Booking == nil {
		t.Fatalf("hold: %s", out)
	}
	return res.Data.HoldBooking.Booking.ID
}

// logLines are the JSON log lines in out whose msg contains msg.
func logLines(t *testing.T, out, msg string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(out, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			if s, _ := m["msg"].(string); strings.Contains(s, msg) {
				lines = append(lines, m)
			}
		}
	}
	return lines
}

// A job enqueued by a request logs with its request id when it runs, and
// so does its failure: River's own line about it is logged outside the
// job's context. (Not parallel: it captures os.Stderr.)
func TestFailingJobLogsCarryTheRequestID(t *testing.T) {
	logs := captureStderr(t)
	smtpd := notifytest.NewSMTPServer(t)
	smtpd.RejectRecipients(450, "4.2.1 mailbox busy, try later") // a temporary refusal: the job retries
	s := startMailingServer(t, "--smtp-addr", smtpd.Addr(), "--log-format", "json")
	const reqID = "hold-req-7f3a"
	holdAs(t, s, reqID, "job-log-hold", "zelda.quixote@example.com")
	var failed []map[string]any
	for deadline := time.Now().Add(20 * time.Second); len(failed) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		failed = logLines(t, logs(), "job failed")
	}
	if len(failed) == 0 {
		t.Fatalf("no job failure logged:\n%s", logs())
	}
	for _, l := range failed {
		if l["request_id"] != reqID || l["job_kind"] != "notify.deliver" || !strings.Contains(fmt.Sprint(l["err"]), "450") {
			t.Errorf("the failing delivery job's line: %v, want request_id %q (the hold that enqueued it), its kind and error", l, reqID)
		}
	}
}

// fakeStripe answers every request as Stripe answers a PaymentIntent it
// refuses (HTTP 400, invalid_request_error), with the payment method the
// guest entered in the checkout form in the error object, as Stripe does.
func fakeStripe(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_fake")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"payment_intent_unexpected_state",
"message":"This PaymentIntent's payment_method could not be used.",
"payment_method":{"id":"pm_1Zq","object":"payment_method","type":"card",
"billing_details":{"email":"zelda.quixote@example.com","name":"Zelda Quixote","phone":"+447700900123"},
"card":{"brand":"visa","last4":"4242","exp_month":12,"exp_year":2030}}}}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Logs are structured (--log-format json), carry a request id, and never
// contain credentials or personal data. A charge Stripe refuses, with the
// guest's payment method in its error, puts no line of the Stripe SDK's own
// on stderr.
// (Not parallel: it captures os.Stderr.)
func TestStripeRefusalLeavesNoRawLogLine(t *testing.T) {
	logs := captureStderr(t)
	s := startMailingServer(t, "--log-format", "json", "--stripe-secret-key", "sk_test_review", "--stripe-api-url", fakeStripe(t))
	const reqID = "confirm-req-51c2"
	gid := holdAs(t, s, "hold-req-51c2", "stripe-hold", "guest@example.net")
	tok, err := auth.Mint(s.secret, auth.MintOpts{Role: auth.RoleGuest, Subject: "zelda", TTL: time.Hour})
	checkErr(t, err)
	out := postAs(t, s.addr, map[string]string{"Authorization": "Bearer " + tok, "X-Request-Id": reqID},
		`mutation($in: ConfirmBookingInput!) { confirmBooking(input: $in) { booking { status } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": "stripe-confirm", "bookingId": gid,
			"payment": map[string]any{"provider": "stripe", "token": "pm_1Zq"}}})
	if !strings.Contains(out, "PAYMENT_DECLINED") {
		t.Fatalf("confirm: %s", out)
	}
	text := logs()
	for _, pii := range []string{"zelda.quixote@example.com", "Zelda Quixote", "+447700900123"} {
		if strings.Contains(text, pii) {
			t.Errorf("the log holds the guest's %q", pii)
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if l == "" {
			continue
		}
		if !json.Valid([]byte(l)) {
			t.Errorf("a log line is not JSON (--log-format json) and carries no request_id:\n%s", l)
		}
	}
}

// The refund alert the README gives watches staygraph_jobs of kind
// booking.refund: a guest email the mail server refuses for good (a
// mistyped address: 550) cancels a delivery job, and shows under its kind.
func TestJobsMetricTellsRefundsFromNotifications(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	smtpd.RejectRecipients(550, "5.1.1 no such user")
	s := startMailingServer(t, "--smtp-addr", smtpd.Addr())
	gid := holdAs(t, s, "hold-req-550", "bounce-hold", "zelda.quixotte@example.com")
	id, err := relay.Decode(relay.KindBooking, gid, "id")
	checkErr(t, err)
	if status, _ := s.notification(t, id); status != "DEAD" {
		t.Fatalf("notification %s, want DEAD", status)
	}
	var cancelled int
	for deadline := time.Now().Add(10 * time.Second); cancelled == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		checkErr(t, s.pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE state = 'cancelled'`).Scan(&cancelled))
	}
	res, err := http.Get("http://" + s.addr + "/metrics")
	checkErr(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	text := string(body)
	if !strings.Contains(text, `staygraph_jobs{kind="notify.deliver",state="cancelled"} 1`) ||
		strings.Contains(text, `staygraph_jobs{kind="booking.refund"`) {
		t.Errorf("a bounced email's job, no refund: %s", grepLines(text, "staygraph_jobs"))
	}
}

// staygraph_http_requests_total counts HTTP responses by status class, the
// CORS preflights a browser app sends before its API calls (answered 204
// by the middleware) too.
func TestHTTPMetricCountsPreflights(t *testing.T) {
	t.Parallel()
	smtpd := notifytest.NewSMTPServer(t)
	s := startMailingServer(t, "--smtp-addr", smtpd.Addr(), "--cors-origins", "https://app.example.com")
	scrape := func() string {
		res, err := http.Get("http://" + s.addr + "/metrics")
		checkErr(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return regexp.MustCompile(`(?m)^staygraph_http_requests_total\{class="2xx"\} .*$`).FindString(string(body))
	}
	before := scrape()
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest(http.MethodOptions, "http://"+s.addr+"/graphql", nil)
		req.Header.Set("Origin", "https://app.example.com")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		res, err := http.DefaultClient.Do(req)
		checkErr(t, err)
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			t.Fatalf("preflight: %d", res.StatusCode)
		}
	}
	after := scrape()
	// The scrape between them is one 2xx response itself.
	var b, a int
	_, _ = fmt.Sscanf(strings.TrimPrefix(before, `staygraph_http_requests_total{class="2xx"} `), "%d", &b)
	_, _ = fmt.Sscanf(strings.TrimPrefix(after, `staygraph_http_requests_total{class="2xx"} `), "%d", &a)
	if a-b != 1+3 {
		t.Errorf("three 204 preflights and one scrape answered, yet 2xx went from %d to %d", b, a)
	}
}
