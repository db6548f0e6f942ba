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
)

// errDuplicateID ends a socket whose client reused a live subscription's id.
var errDuplicateID = errors.New("subscription id already in use")

// uniqueSubscriptionIDs accepts subscription sockets that close (4409) when
// their client subscribes with the id of a subscription still running, as
// graphql-transport-ws requires, and that give gqlgen ids of their own
// (idsConn). Sockets of the legacy graphql-ws protocol, which has no such
// rule, are left as gqlgen serves them.
type uniqueSubscriptionIDs struct {
	transport.CoderWebsocketImplementation
}

// Accept implements transport.WebsocketImplementation.
func (u uniqueSubscriptionIDs) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := u.CoderWebsocketImplementation.Accept(w, r, opts)
	if err != nil || conn.Subprotocol() != "graphql-transport-ws" {
		return conn, err // the legacy graphql-ws has no such rule
	}
	return &idsConn{WebsocketConn: conn, internal: map[string]string{}, client: map[string]string{}}, nil
}

// idsConn gives gqlgen an id of its own for each subscription, a sequence
// number, and the client its own id back. gqlgen forgets a subscription by
// its id when the subscription's goroutine ends: with the client's ids, a
// subscribe that reused the id of one the client had just completed was
// forgotten, handle and all, when the completed one ended, and could then
// not be stopped. The client's complete goes to the subscription its id
// names now, which frees the id; the server's messages of a subscription
// the client completed are dropped (graphql-transport-ws: nothing more is
// sent for it), and its complete or error frees the id too.
type idsConn struct {
	transport.WebsocketConn
	mu       sync.Mutex
	seq      uint64
	internal map[string]string // a live subscription's client id -> gqlgen's id
	client   map[string]string // gqlgen's id of a live subscription -> the client's
}

// socketMessage is a message of the socket as gqlgen reads and writes it.
type socketMessage struct {
	Payload json.RawMessage `json:"payload,omitempty"`
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
}

// NextReader implements transport.WebsocketConn.
func (c *idsConn) NextReader() (int, io.Reader, error) {
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
		if json.Unmarshal(raw, &m) != nil || (m.Type != "subscribe" && m.Type != "complete") {
			return kind, bytes.NewReader(raw), nil // gqlgen's to answer
		}
		if m.Type == "subscribe" {
			if m.ID, err = c.subscribe(m.ID); err != nil {
				return kind, nil, err
			}
		} else if m.ID = c.complete(m.ID); m.ID == "" {
			continue // no live subscription has that id: nothing to stop
		}
		raw, err = json.Marshal(m)
		if err != nil {
			return kind, nil, err
		}
		return kind, bytes.NewReader(raw), nil
	}
}

// subscribe gives the client's id a new internal id, or closes the socket
// (4409) if a live subscription has it.
func (c *idsConn) subscribe(id string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, taken := c.internal[id]; taken {
		reason := "Subscriber for " + id + " already exists"
		if len(reason) > 123 { // a close frame's reason is at most 123 bytes
			reason = "Subscriber already exists"
		}
		_ = c.WebsocketConn.WriteClose(4409, reason)
		return "", errDuplicateID
	}
	c.seq++
	internal := strconv.FormatUint(c.seq, 10)
	c.internal[id], c.client[internal] = internal, id
	return internal, nil
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
