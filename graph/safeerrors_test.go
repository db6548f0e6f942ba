package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/server"
)

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func urlEscape(s string) string { return url.QueryEscape(s) }

func TestEveryResponseHasARequestIDAndSecurityHeaders(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})

	r := c.post(t, map[string]string{"X-Request-Id": "client-req-1"}, gql{Query: "{ nope }"})
	if r.header.Get("X-Request-Id") != "client-req-1" || r.Errors[0].Extensions["requestId"] != "client-req-1" {
		t.Fatalf("request id not echoed: %v %s", r.header, r.raw)
	}
	for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
		"X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if r.header.Get("Strict-Transport-Security") != "" || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("HSTS and CORS are off by default: %v", r.header)
	}
	ok(t, "a fine query", c.post(t, nil, gql{Query: "{ viewer { role } }"}))
}

func TestInternalErrorsSayNothingButTheRequestID(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	c.pool.Close() // every database call now fails

	r := c.post(t, nil, gql{Query: "{ hotels { totalCount } }"})
	if len(r.Errors) != 1 || r.code() != "INTERNAL" || r.Errors[0].Message != "internal error" {
		t.Fatalf("internal error: %s", r.raw)
	}
	id := r.header.Get("X-Request-Id")
	if r.Errors[0].Extensions["requestId"] != id || len(r.Errors[0].Extensions) != 2 {
		t.Fatalf("extensions must be code and requestId only: %s", r.raw)
	}
	if strings.Contains(string(r.raw), "pool") {
		t.Fatalf("the cause leaked: %s", r.raw)
	}
	// The log has the cause, under the same request id.
	var found bool
	for _, line := range strings.Split(c.logs.String(), "\n") {
		if strings.Contains(line, `"msg":"internal error"`) && strings.Contains(line, `"request_id":"`+id+`"`) && strings.Contains(line, "closed pool") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no internal error log line with request id %s: %s", id, c.logs)
	}
}

func TestLogsHoldNoTokensOrPersonalData(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	tok := token(t, auth.RoleGuest)
	email := "ana.private@example.com"
	byRef := `query($r: String!, $e: String!) { bookingByReference(reference: $r, email: $e) { id } viewer { role } }`
	vars := map[string]any{"r": "SG-7K3M9Q2", "e": email}

	ok(t, "look-up", c.post(t, map[string]string{"Authorization": "Bearer " + tok}, gql{Query: byRef, Variables: vars}))
	key := "sg_abcdefghijkl_" + strings.Repeat("A", 43)
	c.post(t, map[string]string{"X-API-Key": key}, gql{Query: byRef, Variables: vars})
	get, _ := http.NewRequest(http.MethodGet, c.url+"?query="+urlEscape(byRef)+"&variables="+urlEscape(jsonString(vars)), nil)
	get.Header.Set("Authorization", "Bearer "+tok)
	c.send(t, get)
	c.pool.Close() // and when the request fails inside
	failed := c.post(t, map[string]string{"Authorization": "Bearer " + tok}, gql{Query: byRef, Variables: vars})
	if failed.code() != "INTERNAL" {
		t.Fatalf("expected an internal error: %s", failed.raw)
	}

	logs := c.logs.String()
	if !strings.Contains(logs, `"msg":"internal error"`) || !strings.Contains(logs, `"msg":"http request"`) {
		t.Fatalf("the requests were not logged: %s", logs)
	}
	for _, secret := range []string{tok, strings.Split(tok, ".")[1], email, "ana.private", key} {
		if strings.Contains(logs, secret) {
			t.Fatalf("the log holds %q: %s", secret, logs)
		}
	}
}

// An Int given as a JSON string ("5") is INVALID_INPUT, as the GraphQL
// spec's input coercion says, in a variable, an input object and a list
// alike: the document is refused whole with HTTP 400, on the value's path.
func TestIntAsAStringIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, c := range []struct {
		query string
		vars  map[string]any
		path  string
	}{
		{`query($f: Int) { hotels(first: $f) { totalCount } }`, map[string]any{"f": "5"}, "[variable f]"},
		{`query($in: HotelSearchInput!) { searchHotels(input: $in, first: 1) { totalCount } }`,
			map[string]any{"in": map[string]any{"minStars": "3"}}, "[variable in minStars]"},
		{`query($in: HotelSearchInput!) { searchHotels(input: $in, first: 1) { totalCount } }`,
			map[string]any{"in": map[string]any{"rooms": []any{map[string]any{"adults": 2}, map[string]any{"adults": 1, "childAges": []any{4, "7"}}}}},
			"[variable in rooms 1 childAges 1]"},
		// one value given for a list is a list of one: of an Int, of an
		// input object, of a variable's own
		{`query($in: HotelSearchInput!) { searchHotels(input: $in, first: 1) { totalCount } }`,
			map[string]any{"in": map[string]any{"rooms": []any{map[string]any{"adults": 2, "childAges": "7"}}}}, "[variable in rooms 0 childAges 0]"},
		{`query($in: HotelSearchInput!) { searchHotels(input: $in, first: 1) { totalCount } }`,
			map[string]any{"in": map[string]any{"rooms": map[string]any{"adults": "2"}}}, "[variable in rooms 0 adults]"},
		{`query($ages: [Int!]) { searchHotels(input: {rooms: [{adults: 2, childAges: $ages}]}, first: 1) { totalCount } }`,
			map[string]any{"ages": "7"}, "[variable ages 0]"},
	} {
		res := b.do(t, "", c.query, c.vars)
		if res.status != http.StatusBadRequest || res.code() != "INVALID_INPUT" || !strings.Contains(res.Errors[0].Message, "not a string") ||
			fmt.Sprint(res.Errors[0].Path) != c.path || len(res.Data) > 0 && string(res.Data) != "null" {
			t.Errorf("%v: status %d data %s %+v, want 400 INVALID_INPUT at %s", c.vars, res.status, res.Data, res.Errors, c.path)
		}
	}
}

// A document of two holds whose second gives an Int as a string runs
// neither: the first hold is not made and committed before the second is
// refused.
func TestIntAsAStringRefusesTheWholeDocument(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, _ := b.stayFixture(t, "Europe/Lisbon", 2)
	tok := token(t, auth.RoleGuest)
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 3)
	first, second := holdVars(hotel, plan, "k1", checkIn, 1)["input"], holdVars(hotel, plan, "k2", checkIn, 1)["input"]
	second.(map[string]any)["expectedTotal"] = "12720"
	const twoHolds = `mutation($a: HoldBookingInput!, $b: HoldBookingInput!) {
  a: holdBooking(input: $a) { booking { reference } userErrors { code } }
  b: holdBooking(input: $b) { booking { reference } userErrors { code } }
}`
	res := b.do(t, tok, twoHolds, map[string]any{"a": first, "b": second})
	if res.status != http.StatusBadRequest || res.code() != "INVALID_INPUT" || fmt.Sprint(res.Errors[0].Path) != "[variable b expectedTotal]" {
		t.Fatalf("status %d: %s %+v, want 400 INVALID_INPUT at [variable b expectedTotal]", res.status, res.Data, res.Errors)
	}
	var bookings int
	if err := b.pool.QueryRow(context.Background(), "SELECT count(*) FROM bookings").Scan(&bookings); err != nil {
		t.Fatal(err)
	}
	if bookings != 0 {
		t.Errorf("%d bookings made by a refused document", bookings)
	}
}

// An Int variable that is not a whole number is INVALID_INPUT on the
// variable's path, with a message that says so (gqlparser's own names the
// zero it failed to read); whole numbers written 20.0, 2e1 or as text pass
// as GraphQL's coercion lets them.
func TestIntVariablesNotOfTheirType(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const q = `query($f: Int) { hotels(first: $f) { totalCount } }`
	for _, v := range []any{1.5, json.Number("999999999999999999999"), "twenty", json.Number("1.5e300")} {
		res := b.do(t, "", q, map[string]any{"f": v})
		if res.code() != "INVALID_INPUT" || res.Errors[0].Message != "is not a whole number (Int)" ||
			fmt.Sprint(res.Errors[0].Path) != "[variable f]" {
			t.Errorf("first: %v: %+v", v, res.Errors)
		}
	}
	for _, v := range []any{20, 20.0, json.Number("20.0"), json.Number("2e1"), json.Number("2000e-2")} {
		res := b.do(t, "", q, map[string]any{"f": v})
		if len(res.Errors) > 0 {
			t.Errorf("first: %v: %+v", v, res.Errors)
		}
	}
	// Whole numbers as other JSON encoders write them (Python's json.dumps
	// writes 4.0 for a float), in an input object and a list too.
	for _, v := range []string{"4.0", "4e0", "0.4e1"} {
		res := b.do(t, "", `query($in: HotelSearchInput!) { searchHotels(input: $in, first: 1) { totalCount } }`,
			map[string]any{"in": map[string]any{"minStars": json.Number(v), "rooms": []any{map[string]any{"adults": json.Number("2.0")}}}})
		if len(res.Errors) > 0 {
			t.Errorf("minStars %s in an input object: %+v", v, res.Errors)
		}
	}
}

// A reference lookup is a guess: each costs a token of the caller's rate
// limit besides the request's, so ten aliased lookups in one request are
// charged as ten.
func TestEachReferenceLookupCountsAgainstTheRateLimit(t *testing.T) {
	t.Parallel()
	rules := server.Rules{Anonymous: server.Rule{Rate: 1.0 / 60, Burst: 4}, Default: server.Rule{Rate: 1.0 / 60, Burst: 4}}
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{RateLimit: server.RateLimitOpts{Rules: &rules}})
	var q strings.Builder
	q.WriteString("query {")
	for i := range 10 {
		fmt.Fprintf(&q, ` g%d: bookingByReference(reference: "SG-2345%03d", email: "someone@example.com") { id }`, i, i)
	}
	q.WriteString(" }")
	r := c.post(t, nil, gql{Query: q.String()})
	limited := 0
	for _, e := range r.Errors {
		if e.Extensions["code"] == server.CodeRateLimited && e.Extensions["retryAfterSeconds"] != nil {
			limited++
		}
	}
	// the request took one of the 4 tokens, three lookups the rest
	if r.status != http.StatusOK || limited != 7 {
		t.Fatalf("status %d, %d lookups refused RATE_LIMITED, want 7 of 10: %s", r.status, limited, r.raw)
	}
}
