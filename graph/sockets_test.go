package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/indexer/hub"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/server"
)

// An idle subscription socket is pinged every KeepAlivePingInterval: what
// keeps it open through proxies with an idle timeout, and finds clients
// that vanished. On graphql-transport-ws no ping used to come.
func TestIdleSocketIsPinged(t *testing.T) {
	t.Parallel()
	b, h, vars := watching(t, "Idle Hotel")
	c := b.dialWS(t, bearer(token(t, auth.RoleAdmin)))
	c.expect("connection_ack")
	c.subscribe("1", availabilitySub, vars)
	waitSubscribers(t, h, 1)

	wait := graph.KeepAlivePingInterval + 3*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		_, raw, err := c.conn.Read(ctx)
		if err != nil {
			t.Fatalf("no ping within %v of an idle graphql-transport-ws socket (KeepAlivePingInterval %v): %v",
				wait, graph.KeepAlivePingInterval, err)
		}
		var m wsMessage
		_ = json.Unmarshal(raw, &m)
		if m.Type == "ping" {
			return
		}
		t.Logf("got %s", raw)
	}
}

// An internal failure while a subscription makes an event's payload ends
// the subscription with INTERNAL, "internal error" and the request id, and
// its cause is logged with the same id, as for queries and mutations (it
// used to be logged nowhere).
func TestSubscriptionInternalErrorIsLogged(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	b := setup(t, graph.HandlerOpts{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	h := hub.New(hub.Opts{})
	b.resolver.Live = h
	hotel, plan, _ := b.stayFixture(t, "Europe/Lisbon", 2)
	owner := token(t, auth.RoleGuest)
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, owner, holdMutation, holdVars(hotel, plan, "sub-err", checkIn, 2))).HoldBooking
	if held.Booking == nil {
		t.Fatalf("hold: %+v", held.UserErrors)
	}
	bookingID, _ := relay.Decode(relay.KindBooking, held.Booking.ID)
	hotelID, _ := relay.Decode(relay.KindHotel, hotel)

	c := b.dialWS(t, bearer(owner))
	c.expect("connection_ack")
	c.subscribe("1", bookingUpdatedSub, map[string]any{"id": held.Booking.ID})
	waitSubscribers(t, h, 1)

	// The database fails the next read of the booking.
	if _, err := b.pool.Exec(context.Background(), `ALTER TABLE bookings RENAME TO bookings_unavailable`); err != nil {
		t.Fatal(err)
	}
	h.Publish(hub.Event{Kind: hub.BookingUpdated, HotelID: hotelID, BookingID: bookingID})
	m := c.expect("error")
	t.Logf("client got: %s", m.Payload)
	if !strings.Contains(string(m.Payload), "INTERNAL") {
		t.Fatalf("error %s, want INTERNAL", m.Payload)
	}
	time.Sleep(200 * time.Millisecond)
	if !strings.Contains(string(m.Payload), `"message":"internal error"`) {
		t.Fatalf("error %s, want the presenter's internal error", m.Payload)
	}
	if out := logs.String(); !strings.Contains(out, "bookings") || !strings.Contains(out, "internal error") {
		t.Fatalf("the subscription ended INTERNAL but the server logged no cause; log:\n%s", out)
	}
}

// A caller holds at most MaxSubscriptionsPerCaller live subscriptions, on
// all its sockets: one socket used to open as many as it sent messages,
// each with its goroutines and a buffer of events.
func TestSubscriptionsPerCallerAreBounded(t *testing.T) {
	t.Parallel()
	b, h, vars := watching(t, "Busy Hotel")
	admin := bearer(token(t, auth.RoleAdmin))
	first, second := b.dialWS(t, admin), b.dialWS(t, admin)
	first.expect("connection_ack")
	second.expect("connection_ack")
	for i := range graph.MaxSubscriptionsPerCaller {
		c := first
		if i%2 == 1 {
			c = second
		}
		c.subscribe(fmt.Sprint(i), availabilitySub, vars)
	}
	waitSubscribers(t, h, graph.MaxSubscriptionsPerCaller)
	first.subscribe("over", availabilitySub, vars)
	if msg := first.refused("over"); !strings.Contains(msg, string(graph.CodeTooManySubscriptions)) {
		t.Fatalf("subscription %d: %s, want %s", graph.MaxSubscriptionsPerCaller+1, msg, graph.CodeTooManySubscriptions)
	}
	// Another caller is not affected, and a completed subscription frees
	// its slot.
	another, err := auth.Mint(secret, auth.MintOpts{Role: auth.RoleAdmin, Subject: "another-admin", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other := b.dialWS(t, bearer(another))
	other.expect("connection_ack")
	other.subscribe("1", availabilitySub, vars)
	waitSubscribers(t, h, graph.MaxSubscriptionsPerCaller+1)
	first.send(wsMessage{ID: "0", Type: "complete"})
	waitSubscribers(t, h, graph.MaxSubscriptionsPerCaller)
	first.subscribe("again", availabilitySub, vars)
	waitSubscribers(t, h, graph.MaxSubscriptionsPerCaller+1)
}

// Each operation on the socket costs its caller a token of its rate limit,
// as a request does, before it is read: a caller refused over HTTP used to
// open 200 subscriptions on one socket.
func TestSocketOperationsCountAgainstTheRateLimit(t *testing.T) {
	t.Parallel()
	rules := server.Rules{Anonymous: server.Rule{Rate: 1.0 / 60, Burst: 2}, Default: server.Rule{Rate: 1.0 / 60, Burst: 2}}
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{RateLimit: server.RateLimitOpts{Rules: &rules}})
	h := hub.New(hub.Opts{})
	c.resolver.Live = h

	admin := map[string]string{"Authorization": "Bearer " + token(t, auth.RoleAdmin)}
	created := c.post(t, admin, gql{Query: createHotel, Variables: map[string]any{"input": hotelInput("Socket Inn")}})
	ok(t, "create hotel", created)
	var out struct{ CreateHotel hotelPayload }
	if err := json.Unmarshal(created.Data, &out); err != nil || out.CreateHotel.Hotel == nil {
		t.Fatalf("create hotel: %s", created.raw)
	}
	hotel := out.CreateHotel.Hotel.ID
	ok(t, "admin's second request", c.post(t, admin, gql{Query: "{ viewer { role } }"}))
	refused(t, "admin's third request over HTTP", c.post(t, admin, gql{Query: "{ viewer { role } }"}), http.StatusTooManyRequests, server.CodeRateLimited)

	// One socket: one (anonymous) request.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.url, "http"), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.CloseNow()
	ws := &wsClient{t: t, conn: conn, ctx: ctx}
	raw, _ := json.Marshal(bearer(token(t, auth.RoleAdmin)))
	ws.send(wsMessage{Type: "connection_init", Payload: raw})
	ws.expect("connection_ack")

	day := booking.Date(time.Now()).AddDate(0, 0, 10)
	vars := map[string]any{"hotel": hotel, "from": day.Format(time.DateOnly), "to": day.AddDate(0, 0, 7).Format(time.DateOnly)}
	for i := range 20 {
		ws.subscribe(fmt.Sprint(i), availabilitySub, vars)
		msg := ws.refused(fmt.Sprint(i))
		if !strings.Contains(msg, server.CodeRateLimited) || !strings.Contains(msg, "retryAfterSeconds") {
			t.Fatalf("subscription %d of a caller over its limit: %s, want %s", i, msg, server.CodeRateLimited)
		}
		// No complete follows the error (graphql-transport-ws): the next
		// refusal would read it.
	}
	if got := h.Subscribers(); got != 0 {
		t.Fatalf("a caller over its rate limit holds %d subscriptions", got)
	}
	// Any operation is charged before it is read: a query (which the
	// socket refuses) or a document that fails validation was parsed and
	// validated for free.
	for i, q := range []string{"{ viewer { role } }", "{ nosuchfield }"} {
		id := fmt.Sprint("other-", i)
		ws.subscribe(id, q, nil)
		if msg := ws.refused(id); !strings.Contains(msg, server.CodeRateLimited) {
			t.Fatalf("%s on the socket of a caller over its limit: %s, want %s", q, msg, server.CodeRateLimited)
		}
	}
}

// Each violation of graphql-transport-ws closes the socket with the
// protocol's close code, which clients act on (graphql-ws retries after
// 4408, not after 4400): gqlgen closed with 1002, which graphql-ws clients
// take as fatal, or with 1000 as if nothing was wrong, and left a socket
// whose connection_init payload was not an object open with no answer. A
// socket that sends no connection_init is closed, not kept open for ever.
func TestSocketCloseCodesFollowTheProtocol(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.resolver.Live = hub.New(hub.Opts{})
	admin := token(t, auth.RoleAdmin)
	init, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": bearer(admin)})
	sub, _ := json.Marshal(map[string]any{"type": "subscribe", "id": "1",
		"payload": map[string]any{"query": bookingUpdatedSub, "variables": map[string]any{"id": "Qm9va2luZzow"}}})
	cases := []struct {
		name     string
		protocol string
		messages []string
		want     websocket.StatusCode
	}{
		{"no connection_init within 10 s", "graphql-transport-ws", nil, 4408},
		{"subscribe before connection_init", "graphql-transport-ws", []string{string(sub)}, 4401},
		{"a second connection_init", "graphql-transport-ws", []string{string(init), string(init)}, 4429},
		{"a message of no known type", "graphql-transport-ws", []string{string(init), `{"type":"start","id":"1"}`}, 4400},
		{"a message that is not JSON", "graphql-transport-ws", []string{string(init), `subscribe`}, 4400},
		{"a subscribe without an id", "graphql-transport-ws", []string{string(init), strings.Replace(string(sub), `"id":"1",`, "", 1)}, 4400},
		{"a connection_init payload that is a string", "graphql-transport-ws", []string{`{"type":"connection_init","payload":"Bearer x"}`}, 4400},
		{"a connection_init payload that is a list", "graphql-transport-ws", []string{`{"type":"connection_init","payload":["Authorization"]}`}, 4400},
		{"graphql-ws: no connection_init within 10 s", "graphql-ws", nil, 4408},
		{"graphql-ws: a connection_init payload that is a string", "graphql-ws", []string{`{"type":"connection_init","payload":"Bearer x"}`}, 4400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(b.server.URL, "http"), &websocket.DialOptions{Subprotocols: []string{tc.protocol}})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseNow()
			start := time.Now()
			for _, m := range tc.messages {
				if err := conn.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
					t.Fatal(err)
				}
			}
			for {
				_, raw, err := conn.Read(ctx)
				if err == nil {
					t.Logf("got %s", raw) // connection_ack, ka
					continue
				}
				if got := websocket.CloseStatus(err); got != tc.want {
					t.Errorf("%s: closed with %d after %v (%v), want %d", tc.name, got, time.Since(start).Round(time.Millisecond), err, tc.want)
				}
				return
			}
		})
	}
}

// A ping before connection_init is answered (graphql-transport-ws allows
// it at any time), and the socket then goes on as usual; gqlgen took it
// for a connection_init of the wrong type and closed the socket (1002).
func TestSocketPingBeforeConnectionInitIsAnswered(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.resolver.Live = hub.New(hub.Opts{})
	c := openSocket(t, b.server.URL, "graphql-transport-ws")
	c.send(wsMessage{Type: "ping"})
	_, raw, err := c.conn.Read(c.ctx)
	if err != nil || !strings.Contains(string(raw), `"pong"`) {
		t.Fatalf("a ping before connection_init: %s (%v), want a pong", raw, err)
	}
	tok, _ := json.Marshal(bearer(token(t, auth.RoleAdmin)))
	c.send(wsMessage{Type: "connection_init", Payload: tok})
	c.expect("connection_ack")
}

// A subscription POSTed over HTTP is refused: gqlgen's POST transport used
// to hold the request open until the first event.
func TestSubscriptionOverPOSTIsRefused(t *testing.T) {
	t.Parallel()
	b, h, vars := watching(t, "Long Poll Inn")
	body, _ := json.Marshal(map[string]any{"query": availabilitySub, "variables": vars})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, b.server.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token(t, auth.RoleAdmin))
	type answer struct {
		res *http.Response
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		done <- answer{res, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-time.After(2 * time.Second):
		t.Fatalf("POSTed subscription: no answer after 2 s; meanwhile it holds %d live hub subscription(s)", h.Subscribers())
	}
	if a.err != nil {
		t.Fatal(a.err)
	}
	res := a.res
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var out response
	_ = json.Unmarshal(raw, &out)
	if out.code() == "" {
		t.Fatalf("POSTed subscription: %d %s, want a refusal", res.StatusCode, raw)
	}
}

// An offer to upgrade to another protocol than WebSocket (h2c, sent by curl
// --http2 and by proxies passing Upgrade on) is ignored: the request is
// served. It used to be answered 426.
func TestUpgradeOfferOtherThanWebSocketIsIgnored(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	h2c := map[string]string{"Connection": "Upgrade, HTTP2-Settings", "Upgrade": "h2c", "HTTP2-Settings": "AAMAAABkAARAAAAAAAIAAAAA"}

	post, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader([]byte(`{"query":"{ viewer { role } }"}`)))
	post.Header.Set("Content-Type", "application/json")
	get, _ := http.NewRequest(http.MethodGet, c.url+"?query="+url.QueryEscape("{ viewer { role } }"), nil)
	for name, req := range map[string]*http.Request{"POST": post, "GET": get} {
		for k, v := range h2c {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var body struct {
			Data   json.RawMessage `json:"data"`
			Errors []any           `json:"errors"`
		}
		if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &body) != nil || len(body.Errors) > 0 || string(body.Data) != `{"viewer":{"role":null}}` {
			t.Errorf("%s { viewer { role } } with Upgrade: h2c: %d %q, want 200 and the data", name, res.StatusCode, raw)
		}
	}
}

// A page on an origin that --cors-origins allows (or any, with "*") may
// open a subscription socket, as it may call the API over HTTP: it was
// refused 403 by coder/websocket's same-origin check, so subscriptions
// worked only from pages of the API's own host. Another origin is refused
// 403 FORBIDDEN with a GraphQL error, as the API's other refusals are (it
// got plain text followed by an uncoded error).
func TestSocketOpensFromAllowedCORSOrigins(t *testing.T) {
	t.Parallel()
	dial := func(ctx context.Context, url, origin string) (*websocket.Conn, *http.Response, error) {
		h := http.Header{}
		h.Set("Origin", origin)
		return websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http"),
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: h})
	}
	for _, origins := range [][]string{{"https://app.example.com"}, {"*"}} {
		c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{CORSOrigins: origins})
		c.resolver.Live = hub.New(hub.Opts{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()

		post := c.post(t, map[string]string{"Origin": "https://app.example.com"}, gql{Query: "{ viewer { role } }"})
		ok(t, "POST from the allowed origin", post)
		conn, res, err := dial(ctx, c.url, "https://app.example.com")
		if err != nil {
			var body []byte
			if res != nil {
				body, _ = io.ReadAll(res.Body)
			}
			t.Errorf("--cors-origins %v: subscription socket from https://app.example.com: %v %q, want it opened", origins, err, body)
			continue
		}
		ws := &wsClient{t: t, conn: conn, ctx: ctx}
		raw, _ := json.Marshal(bearer(token(t, auth.RoleGuest)))
		ws.send(wsMessage{Type: "connection_init", Payload: raw})
		ws.expect("connection_ack")
		conn.CloseNow()
	}

	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{CORSOrigins: []string{"https://app.example.com"}})
	c.resolver.Live = hub.New(hub.Opts{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if conn, _, err := dial(ctx, c.url, strings.TrimSuffix(c.url, "/graphql")); err != nil {
		t.Errorf("a socket from a page of the API's own host: %v", err)
	} else {
		conn.CloseNow()
	}
	conn, res, err := dial(ctx, c.url, "https://evil.example.com")
	if err == nil {
		conn.CloseNow()
		t.Fatal("a socket from https://evil.example.com, not in --cors-origins: opened")
	}
	r := reply{status: res.StatusCode, header: res.Header}
	r.raw, _ = io.ReadAll(res.Body)
	if err := json.Unmarshal(r.raw, &r); err != nil {
		t.Fatalf("a socket from https://evil.example.com: HTTP %d %q, want a GraphQL error", r.status, r.raw)
	}
	refused(t, "a socket from https://evil.example.com", r, http.StatusForbidden, "FORBIDDEN")
}

// A subscribe with the id of a subscription still running closes the
// socket (4409), as graphql-transport-ws requires: gqlgen replaced the
// first subscription's handle, which then ran on with no id to stop it. An
// id is free again once its subscription completed.
func TestDuplicateSubscriptionIDClosesTheSocket(t *testing.T) {
	t.Parallel()
	b, h, vars := watching(t, "Dup Hotel")
	c := b.dialWS(t, bearer(token(t, auth.RoleAdmin)))
	c.expect("connection_ack")
	c.subscribe("1", availabilitySub, vars)
	waitSubscribers(t, h, 1)
	c.send(wsMessage{ID: "1", Type: "complete"})
	waitSubscribers(t, h, 0)
	c.subscribe("1", availabilitySub, vars) // free again
	waitSubscribers(t, h, 1)
	c.subscribe("1", availabilitySub, vars)
	var err error
	for err == nil { // the server's complete of the first may come first
		_, _, err = c.conn.Read(c.ctx)
	}
	if status := websocket.CloseStatus(err); status != 4409 {
		t.Fatalf("a second subscribe with id 1: %v (close status %d), want the socket closed with 4409", err, status)
	}
	waitSubscribers(t, h, 0)

	// An id too long to name in a close frame (123 bytes at most).
	long := strings.Repeat("x", 100)
	c = b.dialWS(t, bearer(token(t, auth.RoleAdmin)))
	c.expect("connection_ack")
	c.subscribe(long, availabilitySub, vars)
	waitSubscribers(t, h, 1)
	c.subscribe(long, availabilitySub, vars)
	for err = nil; err == nil; {
		_, _, err = c.conn.Read(c.ctx)
	}
	if status := websocket.CloseStatus(err); status != 4409 {
		t.Fatalf("a second subscribe with a 100-byte id: %v (close status %d), want 4409", err, status)
	}
}

// An id is free again once the client completed its subscription, and a
// subscription with the reused id can be stopped too: gqlgen forgot the
// second subscription's handle when the first one ended after it was
// subscribed, and it ran on, unstoppable, holding one of the caller's
// slots until the socket closed.
func TestCompletedSubscriptionIDCanBeReusedAtOnce(t *testing.T) {
	t.Parallel()
	b, h, vars := watching(t, "Reuse Hotel")
	c := b.dialWS(t, bearer(token(t, auth.RoleAdmin)))
	c.expect("connection_ack")
	go func() { // drain next / complete messages
		for {
			if _, _, err := c.conn.Read(c.ctx); err != nil {
				return
			}
		}
	}()
	for round := range 50 {
		c.subscribe("1", availabilitySub, vars)
		waitSubscribers(t, h, 1)
		c.send(wsMessage{ID: "1", Type: "complete"})
		c.subscribe("1", availabilitySub, vars) // the id was completed: free to reuse
		time.Sleep(100 * time.Millisecond)
		waitSubscribers(t, h, 1)
		c.send(wsMessage{ID: "1", Type: "complete"})
		deadline := time.Now().Add(2 * time.Second)
		for h.Subscribers() != 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := h.Subscribers(); n != 0 {
			t.Fatalf("round %d: the client completed id 1 (twice), yet %d subscription(s) still run on the socket", round, n)
		}
	}
}

// The legacy graphql-ws protocol has no rule against a start with a live
// id (its clients send their operations again on reconnect): the socket
// stays open.
func TestLegacyProtocolKeepsTheSocketOnARepeatedID(t *testing.T) {
	t.Parallel()
	c, _ := legacyRepeatedStart(t, "Legacy Hotel", "1")
	wait, stop := context.WithTimeout(c.ctx, 500*time.Millisecond)
	defer stop()
	for {
		if _, _, err := c.conn.Read(wait); err != nil {
			if status := websocket.CloseStatus(err); status != -1 {
				t.Fatalf("the legacy socket closed (status %d) on a repeated start: %v", status, err)
			}
			return // still open
		}
	}
}

// On the legacy graphql-ws protocol a start with the id of a running
// operation stops that one first, as subscriptions-transport-ws does: the
// first used to run on with no handle to stop it, sending data under an id
// the client had stopped until the socket closed.
func TestLegacyRepeatedStartStopsTheLiveOperation(t *testing.T) {
	t.Parallel()
	c, h := legacyRepeatedStart(t, "Legacy Stop Hotel", "7")
	time.Sleep(300 * time.Millisecond)
	if n := h.Subscribers(); n != 1 {
		t.Fatalf("after start 7, start 7: %d subscriptions run on the socket, want 1", n)
	}
	c.send(wsMessage{ID: "7", Type: "stop"})
	deadline := time.Now().Add(2 * time.Second)
	for h.Subscribers() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := h.Subscribers(); n != 0 {
		t.Fatalf("after start 7, start 7, stop 7: %d subscription(s) still run on the socket, want 0", n)
	}
}

// legacyRepeatedStart opens a legacy graphql-ws socket as an admin and
// starts a subscription to a hotel's availability twice under one id, the
// second once the first runs.
func legacyRepeatedStart(t *testing.T, hotelName, id string) (*wsClient, *hub.Hub) {
	t.Helper()
	b, h, vars := watching(t, hotelName)
	c := openSocket(t, b.server.URL, "graphql-ws")
	raw, _ := json.Marshal(bearer(token(t, auth.RoleAdmin)))
	c.send(wsMessage{Type: "connection_init", Payload: raw})
	c.expect("connection_ack")
	start, _ := json.Marshal(map[string]any{"query": availabilitySub, "variables": vars})
	c.send(wsMessage{ID: id, Type: "start", Payload: start})
	waitSubscribers(t, h, 1)
	c.send(wsMessage{ID: id, Type: "start", Payload: start})
	return c, h
}

// watching is the API with live updates on, a hotel, and the variables of
// an availabilityChanged subscription to it.
func watching(t *testing.T, hotelName string) (testBundle, *hub.Hub, map[string]any) {
	t.Helper()
	b := setup(t)
	h := hub.New(hub.Opts{})
	b.resolver.Live = h
	hotel := b.newHotel(t, hotelName)
	return b, h, map[string]any{"hotel": hotel, "from": "2031-01-01", "to": "2031-01-05"}
}

// A WebSocket handshake the socket cannot accept (no Connection: Upgrade,
// as a proxy that drops hop-by-hop headers sends it; no or a bad
// Sec-WebSocket-Key; another version) is refused as the API's other
// refusals are: one GraphQL error with a code and the request id, as JSON,
// not plain text with an uncoded error after it.
func TestABadHandshakeIsACodedRefusal(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	key := "dGhlIHNhbXBsZSBub25jZQ=="
	for name, c2 := range map[string]struct {
		header map[string]string
		status int
	}{
		"no Connection: Upgrade": {map[string]string{"Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": key}, http.StatusUpgradeRequired},
		"no Sec-WebSocket-Key":   {map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}, http.StatusBadRequest},
		"a short key":            {map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "c2hvcnQ="}, http.StatusBadRequest},
		"version 12":             {map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "12", "Sec-WebSocket-Key": key}, http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(http.MethodGet, c.url, nil)
		for k, v := range c2.header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		r := reply{status: res.StatusCode, header: res.Header, raw: raw}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatalf("%s: HTTP %d %q is not JSON", name, res.StatusCode, raw)
		}
		refused(t, name, r, c2.status, "BAD_REQUEST")
	}
	if strings.Contains(c.logs.String(), "superfluous") {
		t.Errorf("the refusals were written twice: %s", c.logs.String())
	}
}

// A socket without a credential is closed at connection_init (every
// subscription needs one: it could only hold a connection open), and a
// caller holds at most graph.MaxSocketsPerCaller open sockets on a server:
// the next is closed 4429 (graphql-ws clients do not retry it) until one of
// them closes.
func TestSocketsNeedACredentialAndAreBoundedPerCaller(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.resolver.Live = hub.New(hub.Opts{})
	anonymous := b.dialWS(t, nil)
	var ce websocket.CloseError
	if _, err := anonymous.read(); !errors.As(err, &ce) || ce.Code != 4403 || !strings.Contains(ce.Reason, "need a credential") {
		t.Fatalf("a socket without a credential: %v, want 4403 saying it needs one", err)
	}

	tok := token(t, auth.RoleGuest)
	open := make([]*wsClient, graph.MaxSocketsPerCaller)
	for i := range open {
		open[i] = b.dialWS(t, bearer(tok))
		open[i].expect("connection_ack")
	}
	extra := b.dialWS(t, bearer(tok))
	if _, err := extra.read(); !errors.As(err, &ce) || ce.Code != 4429 || !strings.Contains(ce.Reason, "too many sockets") {
		t.Fatalf("socket %d of one caller: %v, want 4429", graph.MaxSocketsPerCaller+1, err)
	}
	// Another caller is not held back, and a closed socket frees its slot.
	otherTok, err := auth.Mint(secret, auth.MintOpts{Role: auth.RoleGuest, Subject: "someone-else", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other := b.dialWS(t, bearer(otherTok))
	other.expect("connection_ack")
	// A caller at its limit that closes a socket and opens another at once
	// (a token refreshed, a page reloaded) is let in, every time: the slot
	// of the socket it closed is freed by another goroutine, which the new
	// socket's connection_init waits for (briefly).
	for round := range 30 {
		i := round % len(open)
		_ = open[i].conn.Close(websocket.StatusNormalClosure, "")
		open[i] = b.dialWS(t, bearer(tok))
		if m, err := open[i].read(); err != nil || m.Type != "connection_ack" {
			t.Fatalf("round %d: a socket right after one of the caller's closed: %v %v, want it opened", round, m, err)
		}
	}
}
