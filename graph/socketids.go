package graph

import (
	"encoding/json"
	"strconv"
)

// A subscription socket (socketConn) gives gqlgen an id of its own for
// each subscription, a sequence number, and the client its own id back.
// gqlgen forgets a subscription by its id when the subscription's
// goroutine ends: with the client's ids, a subscribe that reused the id of
// one the client had just completed was forgotten, handle and all, when
// the completed one ended, and could then not be stopped (as was a legacy
// start with a live id, whose handle replaced the live one's). The
// client's complete goes to the subscription its id names now, which frees
// the id; the server's messages of a subscription the client completed are
// dropped (graphql-transport-ws: nothing more is sent for it), and its
// complete or error frees the id too.
//
// On graphql-transport-ws a subscribe with the id of a live subscription
// closes the socket (4409), as the protocol requires; the legacy
// graphql-ws has no such rule (its clients send their operations again on
// reconnect), and a start with a live id stops the live operation first,
// as its reference server (subscriptions-transport-ws) does.

// subscribe gives the client's id of a subscribe (or start) a new
// internal id.
func (c *socketConn) subscribe(m socketMessage) ([]byte, error) {
	if !c.legacy && !c.initialised() {
		return nil, &closeError{4401, "Unauthorized"}
	}
	if !c.legacy && m.ID == "" {
		return nil, badRequest("A subscribe needs an id")
	}
	if !c.legacy && !wellFormed(m.Payload) {
		return nil, badRequest("A subscribe's payload is an object with a query string")
	}
	c.mu.Lock()
	live, taken := c.internal[m.ID]
	if taken && !c.legacy {
		c.mu.Unlock()
		reason := "Subscriber for " + m.ID + " already exists"
		if len(reason) > 123 { // a close frame's reason is at most 123 bytes
			reason = "Subscriber already exists"
		}
		return nil, &closeError{4409, reason}
	}
	delete(c.client, live)
	c.seq++
	internal := strconv.FormatUint(c.seq, 10)
	c.internal[m.ID], c.client[internal] = internal, m.ID
	c.mu.Unlock()
	m.ID = internal
	raw, err := json.Marshal(m)
	if err != nil || !taken {
		return raw, err
	}
	c.pending = raw // a legacy start with a live id: stop that first
	return json.Marshal(socketMessage{ID: live, Type: c.stop})
}

// wellFormed reports whether payload is a subscribe's (graphql-transport-ws):
// an object with a string query, and an object of variables and of
// extensions and a string operationName when given. gqlgen answered other
// payloads with an uncoded "invalid json" error; the protocol closes the
// socket (4400), as for any message of the wrong format.
func wellFormed(payload json.RawMessage) bool {
	var p struct {
		Query         *string         `json:"query"`
		OperationName *string         `json:"operationName"`
		Variables     *map[string]any `json:"variables"`
		Extensions    *map[string]any `json:"extensions"`
	}
	return json.Unmarshal(payload, &p) == nil && p.Query != nil
}

// complete frees the client's id of a complete (or stop) and returns the
// message that stops the subscription it named; nil if none.
func (c *socketConn) complete(m socketMessage) ([]byte, error) {
	if !c.legacy && m.ID == "" {
		return nil, badRequest("A complete needs an id")
	}
	c.mu.Lock()
	internal, live := c.internal[m.ID]
	delete(c.internal, m.ID)
	delete(c.client, internal)
	c.mu.Unlock()
	if !live {
		return nil, nil // nothing to stop
	}
	m.ID = internal
	return json.Marshal(m)
}

// WriteJSON implements transport.WebsocketConn.
func (c *socketConn) WriteJSON(v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var m socketMessage
	if json.Unmarshal(raw, &m) != nil || m.ID == "" {
		return c.WebsocketConn.WriteJSON(json.RawMessage(raw)) // marshalled once
	}
	c.mu.Lock()
	id, live := c.client[m.ID]
	if live && (m.Type == "complete" || m.Type == "error") {
		delete(c.internal, id)
		delete(c.client, m.ID)
	}
	c.mu.Unlock()
	if !live {
		return nil // the client completed it
	}
	m.ID = id
	return c.WebsocketConn.WriteJSON(m)
}
