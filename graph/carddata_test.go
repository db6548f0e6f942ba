package graph_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/cardnumber"
	"github.com/staygraph/staygraph/internal/server"
)

func TestCardNumbersAreRefused(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	byRef := `query($r: String!, $e: String!) { bookingByReference(reference: $r, email: $e) { id } }`
	guest := map[string]string{"Authorization": "Bearer " + token(t, auth.RoleGuest)}
	cards := []string{"4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005"}

	r := c.post(t, nil, gql{Query: byRef, Variables: map[string]any{"r": cards[0], "e": "ana@example.com"}})
	refused(t, "card in a variable", r, http.StatusBadRequest, graph.CodeCardDataRefused)
	if !strings.Contains(r.Errors[0].Message, "token") || strings.Join(strings.Fields(strings.Trim(strings.ReplaceAll(
		jsonString(r.Errors[0].Extensions["field"]), `"`, ""), "[]")), "") != "variables,r" {
		t.Fatalf("refusal: %s", r.raw)
	}

	// Deep in an input object, as a provider token would be.
	hold := `mutation($input: ConfirmBookingInput!) { confirmBooking(input: $input) { userErrors { code } } }`
	refused(t, "card as the payment token", c.post(t, guest, gql{Query: hold, Variables: map[string]any{"input": map[string]any{
		"idempotencyKey": "k-1", "bookingId": "Qm9va2luZzox", "payment": map[string]any{"provider": "sandbox", "token": cards[1]},
	}}}), http.StatusBadRequest, graph.CodeCardDataRefused)

	// Written inline in the operation, or in a list.
	inline := `{ bookingByReference(reference: "` + cards[2] + `", email: "ana@example.com") { id } }`
	refused(t, "card inline", c.post(t, nil, gql{Query: inline}), http.StatusBadRequest, graph.CodeCardDataRefused)
	refused(t, "card in a list variable", c.post(t, nil, gql{Query: byRef, Variables: map[string]any{
		"r": "SG-7K3M9Q2", "e": "ana@example.com", "unused": []any{"x", map[string]any{"pan": cards[0]}}}}),
		http.StatusBadRequest, graph.CodeCardDataRefused)
	// GET carries variables in the URL: refused the same way.
	get, _ := http.NewRequest(http.MethodGet, c.url+"?query="+urlEscape(byRef)+"&variables="+urlEscape(`{"r":"4111111111111111","e":"a@b.c"}`), nil)
	refused(t, "card in GET variables", c.send(t, get), http.StatusBadRequest, graph.CodeCardDataRefused)

	// Look-alikes pass.
	for _, v := range []string{"+44 20 7946 0958", "SG-7K3M9Q2", "123e4567-e89b-12d3-a456-426614174000", "411111111111", "4111111111111112"} {
		r := c.post(t, nil, gql{Query: byRef, Variables: map[string]any{"r": v, "e": "ana@example.com"}})
		if r.code() == graph.CodeCardDataRefused {
			t.Errorf("%q refused as a card number", v)
		}
	}

	logs := c.logs.String()
	for _, card := range append(cards, "4111111111111111") {
		if strings.Contains(logs, card) {
			t.Fatalf("a card number reached the logs: %s", logs)
		}
	}
}

// A card number given inline to an argument of another type fails
// validation, whose message quotes the value: it is refused before the
// operation is parsed, over POST and GET alike, and no answer or log line
// repeats it.
var requestIDs = regexp.MustCompile(`"requestId":"[^"]*"`)

func TestCardNumbersInArgumentsOfTheWrongTypeAreRefused(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	queries := map[string]string{
		"string for an Int":              `{ hotels(first: "4111 1111 1111 1111") { totalCount } }`,
		"Int for a String":               `{ bookingByReference(reference: "x", email: 4111111111111111) { id } }`,
		"Float for a String":             `{ bookingByReference(reference: "x", email: 4111111111111111.0) { id } }`,
		"enum position":                  `{ hotels(first: 5, after: 5555555555554444) { totalCount } }`,
		"unquoted groups":                `{ hotels(first: 4111 1111 1111 1111) { totalCount } }`,
		"dotted in a block string":       `{ bookingByReference(reference: """4111.1111.1111.1111""", email: 1) { id } }`,
		"escaped in a string":            `{ hotels(first: "\u0034111111111111111") { totalCount } }`,
		"in a comment":                   "{ hotels(first: 5) { totalCount } } # card 4111 1111 1111 1111",
		"in a list":                      `{ hotels(first: [20, "4111-1111-1111-1111"]) { totalCount } }`,
		"in an unknown field's argument": `{ nope(pan: "378282246310005") }`,
		"Float with an exponent":         `{ bookingByReference(reference: "x", email: 4111111111111111e0) { id } }`,
		"Float with a signed exponent":   `{ hotels(first: [1, -4111111111111111.5E+2]) { totalCount } }`,
		"card as the exponent":           `{ hotels(first: 1e4111111111111111) { totalCount } }`,
		"dots and spaces in a comment":   "{ hotels(first: 5) { totalCount } } # 4111. 1111. 1111. 1111",
		"mixed spaces in a string":       "{ hotels(first: \"4111\u00a0 1111 1111 1111\") { totalCount } }",
	}
	for name, q := range queries {
		post := c.post(t, nil, gql{Query: q})
		refused(t, name+" (POST)", post, http.StatusBadRequest, graph.CodeCardDataRefused)
		get, _ := http.NewRequest(http.MethodGet, c.url+"?query="+urlEscape(q), nil)
		r := c.send(t, get)
		refused(t, name+" (GET)", r, http.StatusBadRequest, graph.CodeCardDataRefused)
		for _, raw := range [][]byte{post.raw, r.raw} {
			// The request's random id may hold any four digits.
			s := requestIDs.ReplaceAllString(string(raw), `"requestId":"<id>"`)
			if strings.Contains(s, "1111") || strings.Contains(s, "5555") || strings.Contains(s, "3782") {
				t.Errorf("%s: the answer repeats the number: %s", name, s)
			}
		}
	}
	// Numbers that are not cards still get the validation error they earn.
	r := c.post(t, nil, gql{Query: `{ hotels(first: "2027-02-03 12:30") { totalCount } }`})
	if r.code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(r.Errors[0].Message, "2027-02-03 12:30") {
		t.Fatalf("a date for an Int: %s", r.raw)
	}
	ok(t, "numbers of a query", c.post(t, nil, gql{Query: `{ hotels(first: 20) { totalCount } }`}))
	// Any form of the numbers sent (timestamps and request ids may hold any
	// four digits, so not "4111" alone).
	if logs := c.logs.String(); cardnumber.Contains(logs) || strings.Contains(logs, "4111111111111111") ||
		strings.Contains(logs, "1111 1111") || strings.Contains(logs, "5555555555554444") || strings.Contains(logs, "378282246310005") {
		t.Fatalf("a card number reached the logs: %s", logs)
	}
}

// Lists of rooms and years are not card numbers, in an operation's text or
// its variables, though their digits pass the Luhn check.
func TestListsInOperationsAreNotCardNumbers(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	ok(t, "a comment", c.post(t, nil, gql{Query: "{ hotels(first: 20) { totalCount } } # rooms 2101/2102/2103/2104"}))
	ok(t, "a comment before the operation", c.post(t, nil, gql{Query: "# years 2023,2024,2025,2026\n{ hotels(first: 20) { totalCount } }"}))
	r := c.post(t, nil, gql{Query: `{ hotels(first: [2023,2024,2025,2026]) { totalCount } }`})
	if r.code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(r.Errors[0].Message, "2023,2024,2025,2026") {
		t.Fatalf("a list for an Int: %s", r.raw)
	}
	byRef := `query($r: String!, $e: String!) { bookingByReference(reference: $r, email: $e) { id } }`
	for _, v := range []string{"rooms 2101,2102,2103,2104", "2101/2102/2103/2104", "2101;2102;2103;2104", "2023/2024/2025/2026",
		"2023,2024,2025,2026", "2200/2215/2230/2245", "rooms 2101, 2102, 2103, 2104", "10:30:45:12"} {
		if r := c.post(t, nil, gql{Query: byRef, Variables: map[string]any{"r": v, "e": "ana@example.com"}}); r.code() == graph.CodeCardDataRefused {
			t.Errorf("%q refused as a card number", v)
		}
	}
}

// Whatever error gqlgen or a resolver makes, its message does not repeat a
// card number.
func TestErrorMessagesNeverRepeatACardNumber(t *testing.T) {
	t.Parallel()
	present := graph.ErrorPresenter(slog.New(slog.NewTextHandler(io.Discard, nil)))
	err := present(context.Background(), &gqlerror.Error{Message: `Argument "first" has invalid value "4111.1111.1111.1111".`,
		Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}})
	if err.Message != `Argument "first" has invalid value "[card number]".` || err.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("presented %q %v", err.Message, err.Extensions)
	}
	err = present(context.Background(), &gqlerror.Error{Message: `Argument "email" has invalid value 4111111111111111e0.`})
	if err.Message != `Argument "email" has invalid value [card number]e0.` {
		t.Fatalf("presented %q", err.Message)
	}
}
