package graph_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/indexer/hub"
	"github.com/staygraph/staygraph/internal/auth"
)

// A subscription selects exactly one root field (the spec's "single root
// field": one response key). The same field twice under two aliases, or once
// more in an inline fragment, is a validation error too: not INTERNAL, and
// not an error in the server's log.
func TestAliasedSecondSubscriptionRootIsAValidationError(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	b := setup(t, graph.HandlerOpts{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	h := hub.New(hub.Opts{})
	b.resolver.Live = h
	hotel := b.newHotel(t, "Two Roots Hotel")
	c := b.dialWS(t, bearer(token(t, auth.RoleAdmin)))
	c.expect("connection_ack")
	for id, doc := range map[string]string{
		"aliases": `subscription($hotel: ID!) {
  a: availabilityChanged(hotelId: $hotel, from: "2031-01-01", to: "2031-01-05") { eventId }
  b: availabilityChanged(hotelId: $hotel, from: "2031-02-01", to: "2031-02-05") { eventId }
}`,
		"fragment": `subscription($hotel: ID!) {
  a: availabilityChanged(hotelId: $hotel, from: "2031-01-01", to: "2031-01-05") { eventId }
  ... on Subscription { b: availabilityChanged(hotelId: $hotel, from: "2031-02-01", to: "2031-02-05") { eventId } }
}`,
	} {
		c.subscribe(id, doc, map[string]any{"hotel": hotel})
		msg := c.refused(id)
		if strings.Contains(msg, "INTERNAL") || !strings.Contains(msg, "GRAPHQL_VALIDATION_FAILED") {
			t.Errorf("a subscription selecting two root fields (%s): %s, want a GRAPHQL_VALIDATION_FAILED error, not INTERNAL", id, msg)
		}
	}
	if n := h.Subscribers(); n != 0 {
		t.Errorf("%d subscriptions run for the invalid documents", n)
	}
	if out := logs.String(); strings.Contains(out, "level=ERROR") {
		t.Errorf("a client's invalid document was logged as a server error:\n%s", out)
	}
}

// graphql-transport-ws: "Receiving a message of a type or format which is
// not specified in this document will result in an immediate socket
// closure with the event 4400": a subscribe's payload is an object with a
// string query.
func TestSubscribeWithoutAValidPayloadClosesWith4400(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.resolver.Live = hub.New(hub.Opts{})
	for name, msg := range map[string]string{
		"no payload":           `{"type":"subscribe","id":"1"}`,
		"payload not object":   `{"type":"subscribe","id":"1","payload":"subscription { x }"}`,
		"query not a string":   `{"type":"subscribe","id":"1","payload":{"query":5}}`,
		"variables not object": fmt.Sprintf(`{"type":"subscribe","id":"1","payload":{"query":%q,"variables":[1]}}`, bookingUpdatedSub),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := b.dialWS(t, bearer(token(t, auth.RoleAdmin)))
			c.expect("connection_ack")
			if err := c.conn.Write(c.ctx, websocket.MessageText, []byte(msg)); err != nil {
				t.Fatal(err)
			}
			m, err := c.read()
			if err == nil {
				var errs []struct {
					Extensions map[string]any `json:"extensions"`
				}
				_ = json.Unmarshal(m.Payload, &errs)
				coded := len(errs) > 0 && errs[0].Extensions["code"] != nil
				t.Fatalf("%s: got %s %s (coded: %v), want the socket closed with 4400", msg, m.Type, m.Payload, coded)
			}
			if status := websocket.CloseStatus(err); status != 4400 {
				t.Fatalf("%s: closed %v, want 4400", msg, err)
			}
		})
	}
}
