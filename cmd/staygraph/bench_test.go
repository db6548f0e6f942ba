package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	t.Parallel()
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]float64{0.5: 100, 0.99: 198, 1: 200} {
		if got := percentileMS(d, q); got != want {
			t.Errorf("q%v = %v ms, want %v", q, got, want)
		}
	}
	if got := percentileMS(nil, 0.99); got != 0 {
		t.Errorf("no samples: %v", got)
	}
}

func TestParsePgbench(t *testing.T) {
	t.Parallel()
	pg15 := "number of failed transactions: 0 (0.000%)\nlatency average = 6.260 ms\ninitial connection time = 35.1 ms\ntps = 2555.912345 (without initial connection time)\n"
	pg13 := "latency average = 7.000 ms\ntps = 2200.5 (including connections establishing)\ntps = 2290.25 (excluding connections establishing)\n"
	for out, want := range map[string][2]float64{pg15: {2555.912345, 6.26}, pg13: {2290.25, 7}} {
		tps, lat, err := parsePgbench([]byte(out))
		if err != nil || tps != want[0] || lat != want[1] {
			t.Errorf("parse %q: %v %v %v, want %v", out, tps, lat, err, want)
		}
	}
	if _, _, err := parsePgbench([]byte("connection refused")); err == nil {
		t.Error("a report without tps parsed")
	}
}

// Every answer the API can give a hold lands in exactly one outcome.
func TestPostHoldClassifiesAnswers(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"data":{"holdBooking":{"booking":{"id":"B1"},"userErrors":[]}}}`:                       outcomeOK,
		`{"data":{"holdBooking":{"booking":null,"userErrors":[{"code":"SOLD_OUT"}]}}}`:           outcomeSoldOut,
		`{"data":{"holdBooking":{"booking":null,"userErrors":[{"code":"PRICE_CHANGED"}]}}}`:      "user:PRICE_CHANGED",
		`{"data":null,"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`: outcomeInternal,
		`{"errors":[{"message":"slow down","extensions":{"code":"RATE_LIMITED"}}]}`:              "error:RATE_LIMITED",
		`<html>502 Bad Gateway</html>`:  outcomeTransport,
		`{"data":{"holdBooking":null}}`: outcomeTransport,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) }))
		if got, _ := postHold(srv.Client(), srv.URL, "tok", []byte(`{}`)); got != want {
			t.Errorf("%s: outcome %q, want %q", body, got, want)
		}
		srv.Close()
	}
}
