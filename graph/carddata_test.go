package graph_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/internal/auth"
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
