package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
)

// errDuplicateID ends a socket whose client reused a live subscription's id.
var errDuplicateID = errors.New("subscription id already in use")

// uniqueSubscriptionIDs accepts subscription sockets that give gqlgen ids
// of their own (idsConn). On graphql-transport-ws a subscribe with the id
// of a subscription still running closes the socket (4409), as the
// protocol requires; the legacy graphql-ws has no such rule (its clients
// send their operations again on reconnect), and a start with a live id
// stops the live operation first, as its reference server
// (subscriptions-transport-ws) does.
type uniqueSubscriptionIDs struct {
	transport.CoderWebsocketImplementation
}

// Accept implements transport.WebsocketImplementation.
func (u uniqueSubscriptionIDs) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := u.CoderWebsocketImplementation.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	c := &idsConn{WebsocketConn: conn, internal: map[string]string{}, client: map[string]string{},
		start: "subscribe", stop: "complete"}
	if conn.Subprotocol() != "graphql-transport-ws" { // gqlgen serves graphql-ws then
		c.legacy, c.start, c.stop = true, "start", "stop"
	}
	return c, nil
}

// idsConn gives gqlgen an id of its own for each subscription, a sequence
// number, and the client its own id back. gqlgen forgets a subscription by
// its id when the subscription's goroutine ends: with the client's ids, a
// subscribe that reused the id of one the client had just completed was
// forgotten, handle and all, when the completed one ended, and could then
// not be stopped (as was a legacy start with a live id, whose handle
// replaced the live one's). The client's complete goes to the subscription
// its id names now, which frees the id; the server's messages of a
// subscription the client completed are dropped (graphql-transport-ws:
// nothing more is sent for it), and its complete or error frees the id too.
type idsConn struct {
	transport.WebsocketConn
	legacy      bool   // graphql-ws
	start, stop string // the message types that start and stop a subscription
	mu          sync.Mutex
	seq         uint64
	internal    map[string]string // a live subscription's client id -> gqlgen's id
	client      map[string]string // gqlgen's id of a live subscription -> the client's
	pending     []byte            // a message for gqlgen before the next one read
}

// socketMessage is a message of the socket as gqlgen reads and writes it.
type socketMessage struct {
	Payload json.RawMessage `json:"payload,omitempty"`
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
}

// NextReader implements transport.WebsocketConn.
func (c *idsConn) NextReader() (int, io.Reader, error) {
	if raw := c.pending; raw != nil {
		c.pending = nil
		return int(websocket.MessageText), bytes.NewReader(raw), nil
	}
	for {
		kind, r, err := c.WebsocketConn.NextReader()
		if err != nil {
			return kind, r, err
		}
		raw, err := io.ReadAll(r) // within the socket's read limit
		if err != nil {
			return kind, nil, err
		}
		var m socketMessage
		if json.Unmarshal(raw, &m) != nil || (m.Type != c.start && m.Type != c.stop) {
			return kind, bytes.NewReader(raw), nil // gqlgen's to answer
		}
		var live string
		if m.Type == c.start {
			if m.ID, live, err = c.subscribe(m.ID); err != nil {
				return kind, nil, err
			}
		} else if m.ID = c.complete(m.ID); m.ID == "" {
			continue // no live subscription has that id: nothing to stop
		}
		if raw, err = json.Marshal(m); err != nil {
			return kind, nil, err
		}
		if live != "" { // a legacy start with a live id: stop that first
			c.pending = raw
			raw, err = json.Marshal(socketMessage{ID: live, Type: c.stop})
		}
		return kind, bytes.NewReader(raw), err
	}
}

// subscribe gives the client's id a new internal id. If a live
// subscription has it, it closes the socket (4409), or on graphql-ws
// returns the live one's internal id, to stop.
func (c *idsConn) subscribe(id string) (internal, live string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	live, taken := c.internal[id]
	if taken && !c.legacy {
		reason := "Subscriber for " + id + " already exists"
		if len(reason) > 123 { // a close frame's reason is at most 123 bytes
			reason = "Subscriber already exists"
		}
		_ = c.WebsocketConn.WriteClose(4409, reason)
		return "", "", errDuplicateID
	}
	delete(c.client, live)
	c.seq++
	internal = strconv.FormatUint(c.seq, 10)
	c.internal[id], c.client[internal] = internal, id
	return internal, live, nil
}

// complete frees the client's id and returns the internal id of the
// subscription it named; "" if none.
func (c *idsConn) complete(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	internal := c.internal[id]
	delete(c.internal, id)
	delete(c.client, internal)
	return internal
}

// WriteJSON implements transport.WebsocketConn.
func (c *idsConn) WriteJSON(v any) error {
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

// SetReadLimit keeps the socket's read limit (transport.WebsocketReadLimiter).
func (c *idsConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

// SetReadDeadline keeps the ping's deadline (transport.WebsocketReadDeadliner).
func (c *idsConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
