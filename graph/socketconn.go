package graph

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/server"
)

// socketTransport is gqlgen's websocket transport that opens sockets for
// the pages that may open them, and puts, in the context of each socket's
// upgrade request, a socketSlot for its connection.
type socketTransport struct {
	transport.Websocket
	// origins are the origins, besides the API's own, whose pages may
	// open sockets.
	origins server.Origins
}

// Do implements graphql.Transport. An upgrade request from a page that
// may not open a socket is refused 403 FORBIDDEN, as the handler's other
// refusals are answered (coder/websocket answered plain text, then gqlgen
// an uncoded GraphQL error).
func (t socketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if status, msg := badHandshake(w, r); status != 0 {
		// coder/websocket would answer in plain text, then gqlgen an
		// uncoded error after it
		server.WriteError(w, r, status, CodeBadRequest, msg, nil)
		return
	}
	if !t.originAllowed(r) {
		server.WriteError(w, r, http.StatusForbidden, string(apperr.Forbidden),
			"pages of this origin may not open subscription sockets (see --cors-origins)", nil)
		return
	}
	t.Websocket.Do(w, r.WithContext(context.WithValue(r.Context(), socketSlotKey{}, &socketSlot{})), exec)
}

// badHandshake is the status and message of a WebSocket handshake that
// coder/websocket's Accept would refuse (RFC 6455, section 4.2.1), with the
// headers the refusal names set on w; 0 for a sound one. oneOperation let
// only GETs naming websocket in Upgrade through.
func badHandshake(w http.ResponseWriter, r *http.Request) (int, string) {
	hasToken := func(header, token string) bool {
		for _, v := range r.Header.Values(header) {
			for t := range strings.SplitSeq(v, ",") {
				if strings.EqualFold(strings.TrimSpace(t), token) {
					return true
				}
			}
		}
		return false
	}
	switch keys := r.Header.Values("Sec-WebSocket-Key"); {
	case !r.ProtoAtLeast(1, 1):
		return http.StatusUpgradeRequired, "a WebSocket handshake needs HTTP/1.1"
	case !hasToken("Connection", "upgrade"):
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		return http.StatusUpgradeRequired, "a WebSocket handshake names Upgrade in its Connection header (a proxy may have dropped it)"
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		w.Header().Set("Sec-WebSocket-Version", "13")
		return http.StatusBadRequest, "only WebSocket version 13 is served (Sec-WebSocket-Version)"
	case len(keys) != 1:
		return http.StatusBadRequest, "a WebSocket handshake has one Sec-WebSocket-Key"
	default:
		if key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keys[0])); err != nil || len(key) != 16 {
			return http.StatusBadRequest, "Sec-WebSocket-Key is not 16 bytes in base64"
		}
	}
	return 0, ""
}

// originAllowed reports whether the page that asks for a socket, if any (a
// client that is no browser sends no Origin), may open it: a page of the
// API's own host or of an origin t.origins allows, as it may call the API
// over HTTP (server.CORS). coder/websocket's own check, which allows the
// API's host only unless given patterns of its own syntax, is off
// (socketConns).
func (t socketTransport) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || t.origins.Allow(origin) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// socketSlot is where socketConns.Accept puts a socket's connection, for
// the socket's InitFunc, which gets the context of its upgrade request, to
// close it with a code and reason of its own.
type socketSlot struct {
	mu   sync.Mutex
	conn *socketConn
}

type socketSlotKey struct{}

// closeSocket closes the socket of ctx, if any, with code and reason (cut
// to the 123 bytes a close frame holds). gqlgen closes a socket whose
// context ends with 1000 "terminated", a normal closure.
func closeSocket(ctx context.Context, code int, reason string) {
	slot, _ := ctx.Value(socketSlotKey{}).(*socketSlot)
	if slot == nil {
		return
	}
	slot.mu.Lock()
	c := slot.conn
	slot.mu.Unlock()
	if c != nil {
		_ = c.WriteClose(code, closeReason(reason))
	}
}

// closeReason is reason cut to the 123 bytes a close frame holds.
func closeReason(reason string) string {
	if len(reason) <= 123 {
		return reason
	}
	cut := 123
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut]
}

// socketConns accepts subscription sockets that keep the rules of their
// protocol where gqlgen does not (socketConn). socketTransport.Do checked
// the request's origin.
type socketConns struct {
	transport.CoderWebsocketImplementation
	// initTimeout is how long a socket may take to send connection_init.
	initTimeout time.Duration
}

// Accept implements transport.WebsocketImplementation.
func (s socketConns) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := s.CoderWebsocketImplementation.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	c := &socketConn{WebsocketConn: conn, internal: map[string]string{}, client: map[string]string{},
		start: "subscribe", stop: "complete"}
	if conn.Subprotocol() != "graphql-transport-ws" { // gqlgen serves graphql-ws then
		c.legacy, c.start, c.stop = true, "start", "stop"
	}
	c.initTimer = time.AfterFunc(s.initTimeout, func() { c.initTimedOut() })
	if slot, _ := r.Context().Value(socketSlotKey{}).(*socketSlot); slot != nil {
		slot.mu.Lock()
		slot.conn = c
		slot.mu.Unlock()
	}
	return c, nil
}

// socketConn is a subscription socket as gqlgen sees it. It gives gqlgen
// ids of its own (socketids.go), and closes the socket with the close code
// graphql-transport-ws gives each violation of the protocol, where gqlgen
// closes with 1002 (which graphql-ws clients take as fatal: they stop
// reconnecting), closes with 1000 as if nothing was wrong, or never
// answers:
//
//   - 4400: a message that is not JSON or of no type a client sends, a
//     subscribe or complete without an id, a connection_init whose payload
//     is not an object or null;
//   - 4401: a subscribe before connection_init;
//   - 4408: no connection_init within the init timeout;
//   - 4409: a subscribe with the id of a live subscription;
//   - 4429: a second connection_init.
//
// A ping before connection_init is answered. On the legacy graphql-ws
// protocol, which names no close codes, only the init timeout (4408) and a
// connection_init payload that is not an object (4400) close the socket
// here; gqlgen answers its other violations.
type socketConn struct {
	transport.WebsocketConn
	legacy      bool   // graphql-ws
	start, stop string // the message types that start and stop a subscription
	initTimer   *time.Timer
	mu          sync.Mutex
	initSeen    bool // connection_init came
	closing     bool // a close frame was written
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

// closeError ends a socket with a close code and reason.
type closeError struct {
	code   int
	reason string // at most 123 bytes, as a close frame holds
}

func (e *closeError) Error() string { return fmt.Sprintf("socket closed (%d): %s", e.code, e.reason) }

// badRequest is graphql-transport-ws's close for a message it does not
// allow.
func badRequest(reason string) error { return &closeError{4400, reason} }

// NextReader implements transport.WebsocketConn: it hands gqlgen the next
// message that is for it, or closes the socket.
func (c *socketConn) NextReader() (int, io.Reader, error) {
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
		raw, err = c.receive(raw)
		if ce, ok := err.(*closeError); ok {
			_ = c.WriteClose(ce.code, ce.reason)
		}
		if err != nil || raw != nil {
			return kind, bytes.NewReader(raw), err
		}
	}
}

// receive checks raw, a message read from the client, and returns what
// gqlgen is to read of it; nil for nothing.
func (c *socketConn) receive(raw []byte) ([]byte, error) {
	var m socketMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		if c.legacy {
			return raw, nil // gqlgen's to refuse
		}
		return nil, badRequest("Invalid message received")
	}
	switch {
	case m.Type == "connection_init":
		return raw, c.connectionInit(m.Payload)
	case m.Type == c.start:
		return c.subscribe(m)
	case m.Type == c.stop:
		return c.complete(m)
	case c.legacy:
		return raw, nil
	case m.Type == "ping" || m.Type == "pong":
		if c.initialised() {
			return raw, nil
		}
		// gqlgen, waiting for connection_init, would close the socket.
		if m.Type == "ping" {
			return nil, c.WebsocketConn.WriteJSON(socketMessage{Type: "pong", Payload: m.Payload})
		}
		return nil, nil
	}
	return nil, badRequest("Invalid message type")
}

// connectionInit checks a connection_init: the first one, with a payload
// that is an object or null.
func (c *socketConn) connectionInit(payload json.RawMessage) error {
	c.initTimer.Stop()
	c.mu.Lock()
	again := c.initSeen
	c.initSeen = true
	c.mu.Unlock()
	switch {
	case again && !c.legacy:
		return &closeError{4429, "Too many initialisation requests"}
	case len(payload) > 0 && payload[0] != '{' && string(payload) != "null":
		return badRequest("The connection_init payload must be an object or null")
	}
	return nil
}

// initialised reports whether connection_init came.
func (c *socketConn) initialised() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.initSeen
}

// initTimedOut closes a socket that sent no connection_init (a socket
// closed since is left as it is).
func (c *socketConn) initTimedOut() {
	if !c.initialised() {
		_ = c.WriteClose(4408, "Connection initialisation timeout")
	}
}

// WriteClose implements transport.WebsocketConn: the first close frame
// written says why the socket closes, later ones are not written (gqlgen
// closes with 1000 or 1002 after a close of socketConn's).
func (c *socketConn) WriteClose(code int, reason string) error {
	c.mu.Lock()
	closing := c.closing
	c.closing = true
	c.mu.Unlock()
	if closing {
		return nil
	}
	return c.WebsocketConn.WriteClose(code, reason)
}

// SetReadLimit keeps the socket's read limit (transport.WebsocketReadLimiter).
func (c *socketConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

// SetReadDeadline keeps the ping's deadline (transport.WebsocketReadDeadliner).
func (c *socketConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
