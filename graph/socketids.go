package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// errDuplicateID ends a socket whose client reused a live subscription's id.
var errDuplicateID = errors.New("subscription id already in use")

// uniqueSubscriptionIDs accepts subscription sockets that close (4409) when
// their client subscribes with the id of a subscription still running, as
// graphql-transport-ws requires. gqlgen would replace the first
// subscription's handle: it went on running with no id to stop it. Sockets
// of the legacy graphql-ws protocol, which has no such rule, are left as
// gqlgen serves them.
type uniqueSubscriptionIDs struct {
	transport.CoderWebsocketImplementation
}

// Accept implements transport.WebsocketImplementation.
func (u uniqueSubscriptionIDs) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := u.CoderWebsocketImplementation.Accept(w, r, opts)
	if err != nil || conn.Subprotocol() != "graphql-transport-ws" {
		return conn, err // the legacy graphql-ws has no such rule
	}
	return &idsConn{WebsocketConn: conn, live: map[string]bool{}}, nil
}

// idsConn tracks the ids of a socket's live subscriptions: a subscribe
// takes its id, and a complete from either side, or the server's error
// that ends it, frees it. (The server's complete of a subscription the
// client completed may come after the client subscribed again with its
// id, and free it early: a duplicate then goes through, as without this.)
type idsConn struct {
	transport.WebsocketConn
	mu   sync.Mutex
	live map[string]bool
}

// envelope is what idsConn reads of a message.
type envelope struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// NextReader implements transport.WebsocketConn.
func (c *idsConn) NextReader() (int, io.Reader, error) {
	kind, r, err := c.WebsocketConn.NextReader()
	if err != nil {
		return kind, r, err
	}
	raw, err := io.ReadAll(r) // within the socket's read limit
	if err != nil {
		return kind, nil, err
	}
	var m envelope
	if json.Unmarshal(raw, &m) == nil && m.ID != "" {
		c.mu.Lock()
		taken := false
		switch m.Type {
		case "subscribe":
			taken = c.live[m.ID]
			c.live[m.ID] = true
		case "complete":
			delete(c.live, m.ID)
		}
		c.mu.Unlock()
		if taken {
			reason := "Subscriber for " + m.ID + " already exists"
			if len(reason) > 123 { // a close frame's reason is at most 123 bytes
				reason = "Subscriber already exists"
			}
			_ = c.WebsocketConn.WriteClose(4409, reason)
			return kind, nil, errDuplicateID
		}
	}
	return kind, bytes.NewReader(raw), nil
}

// WriteJSON implements transport.WebsocketConn.
func (c *idsConn) WriteJSON(v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var m envelope
	if json.Unmarshal(raw, &m) == nil && m.ID != "" && (m.Type == "complete" || m.Type == "error") {
		c.mu.Lock()
		delete(c.live, m.ID)
		c.mu.Unlock()
	}
	return c.WebsocketConn.WriteJSON(json.RawMessage(raw)) // marshalled once
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
