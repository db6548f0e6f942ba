package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/hub"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

// wsClient speaks graphql-transport-ws (the graphql-ws protocol).
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	ctx  context.Context
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// openSocket opens a socket to the API at serverURL speaking protocol
// (graphql-transport-ws or the legacy graphql-ws), closed with the test.
func openSocket(t *testing.T, serverURL, protocol string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	conn, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(serverURL, "http"), &websocket.DialOptions{Subprotocols: []string{protocol}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	if p := res.Header.Get("Sec-WebSocket-Protocol"); p != protocol {
		t.Fatalf("subprotocol %q, want %s", p, protocol)
	}
	return &wsClient{t: t, conn: conn, ctx: ctx}
}

// dialWS opens a socket to b and sends connection_init with payload.
func (b testBundle) dialWS(t *testing.T, payload map[string]any) *wsClient {
	t.Helper()
	c := openSocket(t, b.server.URL, "graphql-transport-ws")
	raw, _ := json.Marshal(payload)
	c.send(wsMessage{Type: "connection_init", Payload: raw})
	return c
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	raw, _ := json.Marshal(m)
	if err := c.conn.Write(c.ctx, websocket.MessageText, raw); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next message other than ping/pong, or the read error.
func (c *wsClient) read() (wsMessage, error) {
	for {
		_, raw, err := c.conn.Read(c.ctx)
		if err != nil {
			return wsMessage{}, err
		}
		var m wsMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			c.t.Fatalf("decode %s: %v", raw, err)
		}
		if m.Type == "ping" {
			c.send(wsMessage{Type: "pong"})
			continue
		}
		if m.Type == "pong" {
			continue
		}
		return m, nil
	}
}

func (c *wsClient) expect(typ string) wsMessage {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", typ, err)
	}
	if m.Type != typ {
		c.t.Fatalf("got %s %s, want %s", m.Type, m.Payload, typ)
	}
	return m
}

// refused reads the answer to a refused subscribe: an execution error
// ("next" with errors, then "complete") or an "error" message.
func (c *wsClient) refused(id string) string {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatalf("waiting for refusal: %v", err)
	}
	if m.ID != id || (m.Type != "error" && m.Type != "next") {
		c.t.Fatalf("got %s %s, want a refusal of %s", m.Type, m.Payload, id)
	}
	if m.Type == "next" {
		var r struct {
			Data   json.RawMessage
			Errors []any
		}
		if err := json.Unmarshal(m.Payload, &r); err != nil || len(r.Errors) == 0 || string(r.Data) != "null" {
			c.t.Fatalf("refusal %s", m.Payload)
		}
		if done := c.expect("complete"); done.ID != id {
			c.t.Fatalf("complete of %q", done.ID)
		}
	}
	return string(m.Payload)
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	raw, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: raw})
}

func bearer(tok string) map[string]any { return map[string]any{"Authorization": "Bearer " + tok} }

// waitSubscribers waits until the hub has n subscriptions open.
func waitSubscribers(t *testing.T, h *hub.Hub, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.Subscribers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("hub has %d subscribers, want %d", h.Subscribers(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const bookingUpdatedSub = `subscription($id: ID!) { bookingUpdated(id: $id) { id status reference } }`

func TestSubscriptionBookingUpdated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := hub.New(hub.Opts{})
	b.resolver.Live = h
	hotel, plan, _ := b.stayFixture(t, "Europe/Lisbon", 2)
	owner := token(t, auth.RoleGuest)
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, owner, holdMutation, holdVars(hotel, plan, "sub-1", checkIn, 2))).HoldBooking
	if held.Booking == nil {
		t.Fatalf("hold: %+v", held.UserErrors)
	}
	bookingID, err := relay.Decode(relay.KindBooking, held.Booking.ID)
	if err != nil {
		t.Fatal(err)
	}
	hotelID, _ := relay.Decode(relay.KindHotel, hotel)

	// Another guest may not watch it: refused like a missing booking.
	other, err := auth.Mint(secret, auth.MintOpts{Role: auth.RoleGuest, Subject: "someone-else", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	oc := b.dialWS(t, bearer(other))
	oc.expect("connection_ack")
	oc.subscribe("1", bookingUpdatedSub, map[string]any{"id": held.Booking.ID})
	if p := oc.refused("1"); !strings.Contains(p, "NOT_FOUND") {
		t.Fatalf("other guest: %s", p)
	}

	// The owner receives the booking as it is now at each event.
	c := b.dialWS(t, bearer(owner))
	c.expect("connection_ack")
	c.subscribe("1", bookingUpdatedSub, map[string]any{"id": held.Booking.ID})
	waitSubscribers(t, h, 1)
	h.Publish(hub.Event{Kind: hub.BookingUpdated, HotelID: hotelID, BookingID: uuid.New()}) // another booking: not sent
	h.Publish(hub.Event{Kind: hub.BookingUpdated, HotelID: hotelID, BookingID: bookingID})
	m := c.expect("next")
	var got struct {
		Data struct {
			BookingUpdated struct{ ID, Status, Reference string }
		}
		Errors []any
	}
	if err := json.Unmarshal(m.Payload, &got); err != nil || len(got.Errors) > 0 {
		t.Fatalf("next %s: %v", m.Payload, err)
	}
	if got.Data.BookingUpdated.ID != held.Booking.ID || got.Data.BookingUpdated.Status != "HELD" || got.Data.BookingUpdated.Reference != held.Booking.Reference {
		t.Fatalf("bookingUpdated %+v", got.Data.BookingUpdated)
	}

	// A subscriber that lags is told to resubscribe.
	h.Publish(hub.Event{Kind: hub.Lagged, Missed: 3})
	if m := c.expect("error"); !strings.Contains(string(m.Payload), "LAGGED") {
		t.Fatalf("lagged: %s", m.Payload)
	}
	waitSubscribers(t, h, 0)
}

func TestSubscriptionConnectionInitRefusesBadToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.resolver.Live = hub.New(hub.Opts{})
	c := b.dialWS(t, bearer("not-a-valid-token"))
	_, err := c.read()
	if code := websocket.CloseStatus(err); code != 4403 && code != 4401 {
		t.Fatalf("bad token: close %d (%v), want 4403 or 4401", code, err)
	}
}

func TestSubscriptionsOffWithoutLiveFeed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.dialWS(t, bearer(token(t, auth.RoleGuest)))
	c.expect("connection_ack")
	c.subscribe("1", bookingUpdatedSub, map[string]any{"id": relay.ID(relay.KindBooking, uuid.New())})
	if p := c.refused("1"); !strings.Contains(p, "--indexer") || !strings.Contains(p, "UNAVAILABLE") {
		t.Fatalf("no feed: %s", p)
	}
}

const availabilitySub = `subscription($hotel: ID!, $from: Date!, $to: Date!) {
  availabilityChanged(hotelId: $hotel, from: $from, to: $to) { hotel { id name } roomTypes { id } from to ratesChanged eventId }
}`

func TestSubscriptionAvailabilityChanged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := hub.New(hub.Opts{})
	b.resolver.Live = h
	hotel, _, rt := b.stayFixture(t, "Europe/Lisbon", 2)
	hotelID, _ := relay.Decode(relay.KindHotel, hotel)
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"})
	_, searchKey, err := b.resolver.Keys.Create(admin, "OTA", []string{auth.ScopeSearch})
	if err != nil {
		t.Fatal(err)
	}
	_, bookKey, err := b.resolver.Keys.Create(admin, "Booker", []string{auth.ScopeBook})
	if err != nil {
		t.Fatal(err)
	}
	day := booking.Date(time.Now()).AddDate(0, 0, 10)
	vars := map[string]any{"hotel": hotel, "from": day.Format(time.DateOnly), "to": day.AddDate(0, 0, 7).Format(time.DateOnly)}

	// Guests and partners without scope search or webhooks are refused.
	for name, tok := range map[string]string{"guest": token(t, auth.RoleGuest), "book-only key": bookKey, "staff of another hotel": token(t, auth.RoleStaff, uuid.New())} {
		c := b.dialWS(t, bearer(tok))
		c.expect("connection_ack")
		c.subscribe("1", availabilitySub, vars)
		if p := c.refused("1"); !strings.Contains(p, "FORBIDDEN") {
			t.Fatalf("%s: %s", name, p)
		}
	}

	// Two credentials at once are refused, saying so.
	both := b.dialWS(t, map[string]any{"Authorization": "Bearer " + searchKey, "X-API-Key": searchKey})
	var ce websocket.CloseError
	if _, err := both.read(); !errors.As(err, &ce) || ce.Code != 4403 || !strings.Contains(ce.Reason, "exactly one credential") {
		t.Fatalf("two credentials: %v, want 4403 saying to send one", err)
	}
	// A blank or non-string credential is refused, as over HTTP, not taken
	// as no credential.
	for name, payload := range map[string]map[string]any{
		"blank X-API-Key":       {"X-API-Key": "  "},
		"empty Authorization":   {"Authorization": ""},
		"Authorization object":  {"Authorization": map[string]any{"token": searchKey}},
		"X-API-Key as a number": {"x-api-key": 12345},
	} {
		c := b.dialWS(t, payload)
		if _, err := c.read(); !errors.As(err, &ce) || ce.Code != 4403 {
			t.Fatalf("%s: %v, want 4403", name, err)
		}
	}
	// A partner's key as its HTTP requests send it (X-API-Key).
	c := b.dialWS(t, map[string]any{"x-api-key": searchKey})
	c.expect("connection_ack")
	c.subscribe("a", availabilitySub, vars)
	waitSubscribers(t, h, 1)
	h.Publish(
		hub.Event{Kind: hub.AvailabilityChanged, HotelID: uuid.New(), Nights: indexer.Night(day)},                // another hotel
		hub.Event{Kind: hub.AvailabilityChanged, HotelID: hotelID, Nights: indexer.Night(day.AddDate(0, 0, 30))}, // outside the range
		hub.Event{Kind: hub.AvailabilityChanged, HotelID: hotelID, Nights: indexer.Night(day.AddDate(0, 0, 2)), Rates: true, RoomTypeIDs: []uuid.UUID{rt.ID}, CommitLSN: 42},
	)
	m := c.expect("next")
	var got struct {
		Data struct {
			AvailabilityChanged struct {
				Hotel        struct{ ID string }
				RoomTypes    []struct{ ID string }
				From, To     *string
				RatesChanged bool
				EventID      string
			}
		}
		Errors []any
	}
	if err := json.Unmarshal(m.Payload, &got); err != nil || len(got.Errors) > 0 {
		t.Fatalf("next %s: %v", m.Payload, err)
	}
	a := got.Data.AvailabilityChanged
	wantNight := day.AddDate(0, 0, 2)
	if a.Hotel.ID != hotel || len(a.RoomTypes) != 1 || a.RoomTypes[0].ID != relay.ID(relay.KindRoomType, rt.ID) || !a.RatesChanged ||
		a.From == nil || *a.From != wantNight.Format(time.DateOnly) || *a.To != wantNight.AddDate(0, 0, 1).Format(time.DateOnly) || a.EventID == "" {
		t.Fatalf("availabilityChanged %s", m.Payload)
	}
	// Only that event came through: complete ends the subscription.
	c.send(wsMessage{ID: "a", Type: "complete"})
	waitSubscribers(t, h, 0)
}

// doLive runs a subscription over a websocket as tok and returns its first
// answer as a response: the refusal, or the first event, publishing events
// to h until one comes.
func (b testBundle) doLive(t *testing.T, h *hub.Hub, tok, query string, vars map[string]any, events ...hub.Event) response {
	t.Helper()
	init := map[string]any{}
	if tok != "" {
		init = bearer(tok)
	}
	c := b.dialWS(t, init)
	var out response
	if m, err := c.read(); err != nil {
		// A socket without a credential is closed at connection_init:
		// answered as HTTP answers the anonymous, UNAUTHENTICATED.
		var ce websocket.CloseError
		if tok != "" || !errors.As(err, &ce) || ce.Code != 4403 {
			t.Fatalf("%s: connection_init: %v", query, err)
		}
		out.Errors = append(out.Errors, struct {
			Message    string         `json:"message"`
			Path       []any          `json:"path"`
			Extensions map[string]any `json:"extensions"`
		}{Message: ce.Reason, Extensions: map[string]any{"code": "UNAUTHENTICATED"}})
		return out
	} else if m.Type != "connection_ack" {
		t.Fatalf("%s: got %s %s, want connection_ack", query, m.Type, m.Payload)
	}
	c.subscribe("p", query, vars)
	got := make(chan wsMessage, 1)
	go func() {
		m, err := c.read()
		if err != nil {
			m = wsMessage{Type: "read error: " + err.Error()}
		}
		got <- m
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(10 * time.Second)
	var m wsMessage
wait:
	for {
		select {
		case m = <-got:
			break wait
		case <-tick.C:
			h.Publish(events...)
		case <-timeout:
			t.Fatalf("no answer to %s", query)
		}
	}
	switch m.Type {
	case "next":
		if err := json.Unmarshal(m.Payload, &out); err != nil {
			t.Fatalf("decode %s: %v", m.Payload, err)
		}
	case "error":
		if err := json.Unmarshal(m.Payload, &out.Errors); err != nil {
			t.Fatalf("decode %s: %v", m.Payload, err)
		}
	default:
		t.Fatalf("%s: got %s %s", query, m.Type, m.Payload)
	}
	_ = c.conn.Close(websocket.StatusNormalClosure, "")
	return out
}

// The socket serves subscriptions only: queries and mutations go over HTTP,
// where every request is rate limited and authenticated afresh.
func TestSocketServesSubscriptionsOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.resolver.Live = hub.New(hub.Opts{})
	c := b.dialWS(t, bearer(token(t, auth.RoleGuest)))
	c.expect("connection_ack")
	for id, op := range map[string]string{
		"q": `{ viewer { role } }`,
		"m": `mutation { cancelBooking(input: {idempotencyKey: "k", bookingId: "Qm9va2luZzow"}) { booking { id } } }`,
	} {
		c.subscribe(id, op, nil)
		if p := c.refused(id); !strings.Contains(p, "SUBSCRIPTIONS_ONLY") {
			t.Errorf("%s over the socket: %s, want SUBSCRIPTIONS_ONLY", op, p)
		}
	}
	// The socket still serves subscriptions.
	c.subscribe("s", bookingUpdatedSub, map[string]any{"id": relay.ID(relay.KindBooking, uuid.New())})
	if p := c.refused("s"); !strings.Contains(p, "NOT_FOUND") {
		t.Fatalf("subscription after the refusals: %s, want NOT_FOUND of an unknown booking", p)
	}
	// A message over 256 KiB closes the socket, as a body over the limit is
	// refused over HTTP.
	c.subscribe("big", bookingUpdatedSub, map[string]any{"id": strings.Repeat("x", 300<<10)})
	if _, err := c.read(); websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("a 300 KiB message: %v, want the socket closed with %d", err, websocket.StatusMessageTooBig)
	}
}

// A socket lasts as long as its credential: it closes when its API key is
// revoked and when its token expires.
func TestSocketClosesWhenItsCredentialEnds(t *testing.T) {
	t.Parallel()
	b := setup(t, graph.HandlerOpts{CredentialCheckInterval: 50 * time.Millisecond})
	b.resolver.Live = hub.New(hub.Opts{})
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"})
	created, key, err := b.resolver.Keys.Create(admin, "Partner OTA", []string{auth.ScopeSearch})
	if err != nil {
		t.Fatal(err)
	}
	partner := b.dialWS(t, bearer(key))
	partner.expect("connection_ack")
	// Signed 29 s ago, valid for 30 s more of clock-skew leeway: it
	// expires a second from now.
	past := time.Now().Add(-29 * time.Second)
	expiring, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"role": "GUEST", "sub": "ana",
		"iat": past.Unix(), "exp": past.Unix()}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	guest := b.dialWS(t, bearer(expiring))
	guest.expect("connection_ack")

	if _, err := b.resolver.Keys.Revoke(admin, created.ID); err != nil {
		t.Fatal(err)
	}
	// It closes with 4403 and a reason that says why, not with 1000
	// "terminated", a normal closure: the client knows to reconnect with a
	// fresh credential.
	for name, c := range map[string]*wsClient{"invalid api key": partner, "token expired": guest} {
		start := time.Now()
		m, err := c.read()
		var ce websocket.CloseError
		switch {
		case err == nil:
			t.Errorf("%s: got %s %s, want the socket closed", name, m.Type, m.Payload)
		case time.Since(start) > 5*time.Second:
			t.Errorf("%s: the socket closed after %v", name, time.Since(start))
		case !errors.As(err, &ce) || ce.Code != 4403 || !strings.Contains(ce.Reason, name):
			t.Errorf("%s: closed %v, want 4403 and a reason saying %q", name, err, name)
		}
	}
}

// A connection_init refused for its credential says why in the close
// reason (graphql-transport-ws has no message for it): it said
// "terminated", for an expired token as for a bad one.
func TestSocketRefusalOfAnExpiredTokenSaysWhy(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.resolver.Live = hub.New(hub.Opts{})
	past := time.Now().Add(-time.Hour)
	expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"role": "GUEST", "sub": "ana",
		"iat": past.Unix(), "exp": past.Unix()}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	c := b.dialWS(t, bearer(expired))
	_, err = c.read()
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4403 || !strings.Contains(ce.Reason, "expired") {
		t.Fatalf("connection_init with an expired token: closed %v, want 4403 and a reason saying the token expired", err)
	}
}
