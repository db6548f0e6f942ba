package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// liveServer is 'staygraph serve --indexer' on a test database.
type liveServer struct {
	addr   string
	secret []byte
	pool   *pgxpool.Pool
}

// startLiveServer runs runServe with its in-process change stream on a
// slot of the test's own until the test ends, and waits until it streams.
func startLiveServer(t *testing.T) liveServer {
	t.Helper()
	pgtest.SkipWithoutLogical(t)
	pool, url := pgtest.NewDBURL(t)
	slot := "sg_test_" + randomHex(6)
	// Runs after the server stopped and before the database is dropped
	// (which a logical slot would prevent).
	t.Cleanup(func() { pgtest.DropReplicationSlot(t, pool, slot) })

	s := liveServer{secret: []byte(randomHex(16)), pool: pool}
	admin := s.token(t, auth.RoleAdmin)
	s.addr = serveOnFreeAddr(t, func(addr string) []string {
		return []string{"--database-url", url, "--addr", addr, "--indexer", "--indexer-slot", slot,
			"--jwt-secret", string(s.secret), "--rate-limits", "off", "--log-level", "error",
			"--pii-keys", pii.FormatKeys([]pii.Key{{ID: "k1", Secret: pii.GenerateKey()}}),
			"--pii-index-key", base64.StdEncoding.EncodeToString(pii.GenerateKey())}
	}, func(addr string) bool {
		cs, err := liveServer{addr: addr}.changeStream(admin)
		return err == nil && cs != nil && cs.State == "STREAMING"
	})
	return s
}

func (s liveServer) token(t *testing.T, role auth.Role) string {
	t.Helper()
	tok, err := auth.Mint(s.secret, auth.MintOpts{Role: role, Subject: "live-" + string(role), TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type gqlError struct {
	Message    string
	Extensions struct{ Code string }
}

// post runs one GraphQL operation over HTTP and decodes its data into out.
func (s liveServer) post(tok, query string, vars map[string]any, out any) ([]gqlError, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []gqlError
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("decode answer (HTTP %d): %w", res.StatusCode, err)
	}
	if out != nil && len(r.Data) > 0 {
		if err := json.Unmarshal(r.Data, out); err != nil {
			return nil, err
		}
	}
	return r.Errors, nil
}

type streamState struct {
	State           string
	ReplicationSlot struct {
		Exists, Active   bool
		RetainedWalBytes float64
	}
	Consumers []struct {
		Name, AppliedLsn string
		Events           float64
		LastAppliedAt    *time.Time
		LastLagMs        float64
	}
}

const changeStreamQuery = `{ changeStream { state replicationSlot { exists active retainedWalBytes }
	consumers { name appliedLsn events lastAppliedAt lastLagMs } } }`

func (s liveServer) changeStream(tok string) (*streamState, error) {
	var out struct{ ChangeStream *streamState }
	errs, err := s.post(tok, changeStreamQuery, nil, &out)
	if err == nil && len(errs) > 0 {
		err = fmt.Errorf("%s: %s", errs[0].Extensions.Code, errs[0].Message)
	}
	return out.ChangeStream, err
}

// liveSocket is a graphql-ws (graphql-transport-ws) client. One goroutine
// reads the connection for the socket's whole life: a read that gave up
// waiting would close it.
type liveSocket struct {
	t        *testing.T
	conn     *websocket.Conn
	received chan []byte
	failed   chan error
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (s liveServer) dial(t *testing.T, tok string) *liveSocket {
	t.Helper()
	conn, _, err := websocket.Dial(t.Context(), "ws://"+s.addr+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	c := &liveSocket{t: t, conn: conn, received: make(chan []byte, 64), failed: make(chan error, 1)}
	go func() {
		for {
			_, raw, err := conn.Read(context.Background())
			if err != nil {
				c.failed <- err
				return
			}
			select {
			case c.received <- raw:
			case <-t.Context().Done():
				return
			}
		}
	}()
	payload, _ := json.Marshal(map[string]any{"Authorization": "Bearer " + tok})
	c.send(wsMessage{Type: "connection_init", Payload: payload})
	if m := c.read(10 * time.Second); m.Type != "connection_ack" {
		t.Fatalf("got %s %s, want connection_ack", m.Type, m.Payload)
	}
	return c
}

func (c *liveSocket) send(m wsMessage) {
	c.t.Helper()
	raw, _ := json.Marshal(m)
	if err := c.conn.Write(c.t.Context(), websocket.MessageText, raw); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next message other than ping and pong, or one of type
// "timeout" when none comes within wait.
func (c *liveSocket) read(wait time.Duration) wsMessage {
	c.t.Helper()
	timeout := time.After(wait)
	for {
		var raw []byte
		select {
		case raw = <-c.received:
		case err := <-c.failed:
			c.t.Fatalf("read: %v", err)
		case <-timeout:
			return wsMessage{Type: "timeout"}
		}
		var m wsMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			c.t.Fatalf("decode %s: %v", raw, err)
		}
		switch m.Type {
		case "ping":
			c.send(wsMessage{Type: "pong"})
		case "pong":
		default:
			return m
		}
	}
}

// change is one availabilityChanged payload.
type change struct {
	From, To     *string
	RatesChanged bool
	EventID      string
	RoomTypes    []struct{ ID string }
}

// next returns the next availabilityChanged event, or nil when none comes
// within wait.
func (c *liveSocket) next(wait time.Duration) *change {
	c.t.Helper()
	m := c.read(wait)
	if m.Type == "timeout" {
		return nil
	}
	var p struct {
		Data   struct{ AvailabilityChanged change }
		Errors []gqlError
	}
	if err := json.Unmarshal(m.Payload, &p); m.Type != "next" || err != nil || len(p.Errors) > 0 {
		c.t.Fatalf("got %s %s, want an availabilityChanged event", m.Type, m.Payload)
	}
	return &p.Data.AvailabilityChanged
}

// covers says the event concerns the night d (YYYY-MM-DD).
func (ch *change) covers(d string) bool {
	return ch.From == nil || (*ch.From <= d && d < *ch.To)
}

func (ch *change) nights() string {
	if ch.From == nil || ch.To == nil {
		return "every night"
	}
	return *ch.From + ".." + *ch.To
}

// The promise, end to end through 'serve --indexer': a hold
// committed over HTTP reaches a graphql-ws subscriber of
// availabilityChanged within a second, with its nights and room type; a
// rolled-back reservation reaches nobody; and the admin query changeStream
// shows the stream moving.
func TestLiveAvailabilityEndToEnd(t *testing.T) {
	t.Parallel()
	s := startLiveServer(t)
	ctx := context.Background()
	admin := auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleAdmin, Subject: "live-admin"})
	cat := catalog.NewService(s.pool)
	h, err := cat.CreateHotel(admin, catalog.HotelFields{Name: "Live Inn", TimeZone: "Europe/London",
		Location: catalog.GeoPoint{Lat: 51.5, Lon: -0.12}, Address: catalog.Address{Line1: "1 Strand", City: "London", CountryCode: "GB"},
		Currency: "GBP", StarRating: 3, CheckInTime: catalog.DefaultCheckIn, CheckOutTime: catalog.DefaultCheckOut})
	checkErr(t, err)
	rt, err := cat.CreateRoomType(admin, h.ID, catalog.RoomTypeFields{Name: "Double", MaxAdults: 2, MaxOccupancy: 2})
	checkErr(t, err)
	_, err = booking.NewService(s.pool, cat, nil, nil, booking.Opts{}).AddRooms(admin, cat, rt.ID, []string{"1", "2", "3"})
	checkErr(t, err)
	plan, err := cat.CreateRatePlan(admin, rt.ID, catalog.RatePlanFields{Name: "Flexible",
		CancellationPolicy: catalog.CancellationPolicy{Refundable: true}, DepositPolicy: catalog.DepositPolicy{Kind: catalog.DepositFull}})
	checkErr(t, err)
	today := booking.Date(time.Now())
	_, _, err = cat.SetRates(admin, plan.ID, today, today.AddDate(0, 0, 90), 9000)
	checkErr(t, err)
	night := func(days int) time.Time { return today.AddDate(0, 0, days) }
	date := func(days int) string { return night(days).Format(time.DateOnly) }
	// A committed change of the room type's units on one night: an event
	// for that night alone. It returns a WAL position its commit is at or
	// past (read inside its transaction).
	mark := func(days int) pglogrepl.LSN {
		t.Helper()
		tx, err := s.pool.Begin(ctx)
		checkErr(t, err)
		defer func() { _ = tx.Rollback(ctx) }() // a no-op after Commit
		_, err = tx.Exec(ctx, `INSERT INTO inventory (room_type_id, night, capacity, hotel_id) SELECT id, $2::date, 3, hotel_id FROM room_types WHERE id = $1
			ON CONFLICT (room_type_id, night) DO UPDATE SET version = inventory.version + 1`, rt.ID, night(days))
		checkErr(t, err)
		var at string
		checkErr(t, tx.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&at))
		checkErr(t, tx.Commit(ctx))
		return lsn(t, at)
	}

	adminToken := s.token(t, auth.RoleAdmin)
	ws := s.dial(t, adminToken)
	ws.send(wsMessage{ID: "1", Type: "subscribe", Payload: mustJSON(t, map[string]any{
		"query": `subscription($h: ID!, $from: Date!, $to: Date!) { availabilityChanged(hotelId: $h, from: $from, to: $to) {
			from to ratesChanged eventId roomTypes { id } } }`,
		"variables": map[string]any{"h": relay.ID(relay.KindHotel, h.ID), "from": date(0), "to": date(60)}})})
	// graphql-ws does not acknowledge a subscription: commit changes of
	// nights 50, 51, ... until one's event arrives, so the subscription is
	// live. The change stream may still be delivering the set-up's changes
	// (a subscription receives what the stream applies after it starts):
	// wait for the event of the last warm-up change itself, at or past its
	// position in the WAL, so that nothing earlier is left to share the
	// hold's batch.
	for warm := 50; ; warm++ {
		if warm == 58 {
			t.Fatal("the subscription received no event of 8 committed changes")
		}
		at := mark(warm)
		ch := ws.next(time.Second)
		if ch == nil {
			continue
		}
		for lsn(t, strings.TrimPrefix(ch.EventID, "availability_changed:")) < at {
			if ch = ws.next(5 * time.Second); ch == nil {
				t.Fatalf("no event for the warm-up change of %s", date(warm))
			}
		}
		break
	}

	before, err := s.changeStream(adminToken)
	checkErr(t, err)
	hub := consumer(t, before, "hub")

	// A hold over HTTP: nights 10 and 11.
	var held struct {
		HoldBooking struct {
			Booking    *struct{ ID string }
			UserErrors []struct{ Code, Message string }
		}
	}
	guest := s.token(t, auth.RoleGuest)
	start := time.Now()
	errs, err := s.post(guest, `mutation($in: HoldBookingInput!) { holdBooking(input: $in) { booking { id } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": "live-hold", "hotelId": relay.ID(relay.KindHotel, h.ID),
			"checkIn": date(10), "checkOut": date(12),
			"rooms":   []map[string]any{{"ratePlanId": relay.ID(relay.KindRatePlan, plan.ID), "adults": 2, "guests": []map[string]any{{"givenName": "Ada", "familyName": "Lovelace"}}}},
			"contact": map[string]any{"email": "ada@example.org"}}}, &held)
	if err != nil || len(errs) > 0 || held.HoldBooking.Booking == nil {
		t.Fatalf("hold: %v %+v %+v", err, errs, held)
	}
	committed := time.Now()
	got := ws.next(5 * time.Second)
	if got == nil {
		t.Fatal("no event for the hold within 5s")
	}
	// The commit happened between start and the answer: time since start
	// bounds commit → received from above.
	elapsed := time.Since(start)
	t.Logf("hold requested → event received: %v (the request took %v)", elapsed.Round(time.Millisecond), committed.Sub(start).Round(time.Millisecond))
	if elapsed > time.Second {
		t.Errorf("the hold's event came %v after the request, want within 1s of the commit", elapsed)
	}
	if got.nights() != date(10)+".."+date(12) || got.RatesChanged ||
		!slices.ContainsFunc(got.RoomTypes, func(r struct{ ID string }) bool { return r.ID == relay.ID(relay.KindRoomType, rt.ID) }) {
		t.Errorf("the hold's event is %+v, want units of room type %s on nights %s..%s", got, rt.ID, date(10), date(12))
	}
	var reserved []int
	rows, err := s.pool.Query(ctx, "SELECT reserved FROM inventory WHERE room_type_id = $1 AND night IN ($2, $3) ORDER BY night", rt.ID, night(10), night(11))
	checkErr(t, err)
	for rows.Next() {
		var n int
		checkErr(t, rows.Scan(&n))
		reserved = append(reserved, n)
	}
	checkErr(t, rows.Err())
	if !slices.Equal(reserved, []int{1, 1}) {
		t.Errorf("units reserved on the hold's nights: %v, want [1 1]", reserved)
	}

	// The admin query shows the stream moving: the hub applied the hold.
	after, err := s.changeStream(adminToken)
	checkErr(t, err)
	hubAfter := consumer(t, after, "hub")
	if lsn(t, hubAfter.AppliedLsn) <= lsn(t, hub.AppliedLsn) || hubAfter.Events <= hub.Events || hubAfter.LastAppliedAt == nil ||
		hubAfter.LastAppliedAt.Before(start.Add(-time.Second)) {
		t.Errorf("changeStream did not move with the hold: before %+v, after %+v", hub, hubAfter)
	}
	if !after.ReplicationSlot.Exists || !after.ReplicationSlot.Active {
		t.Errorf("replication slot %+v", after.ReplicationSlot)
	}
	if _, err := s.changeStream(guest); err == nil || err.Error()[:9] != "FORBIDDEN" {
		t.Errorf("changeStream as a guest: %v, want FORBIDDEN", err)
	}

	// A reservation of night 20 rolled back, then a change of night 30
	// committed: the change of night 30 is the only event; events come in
	// commit order, so nothing of the rollback can follow it.
	tx, err := s.pool.Begin(ctx)
	checkErr(t, err)
	_, err = tx.Exec(ctx, `INSERT INTO inventory (room_type_id, night, capacity, reserved, hotel_id) SELECT id, $2::date, 3, 0, hotel_id FROM room_types WHERE id = $1
		ON CONFLICT (room_type_id, night) DO NOTHING`, rt.ID, night(20))
	checkErr(t, err)
	tag, err := tx.Exec(ctx, "UPDATE inventory SET reserved = reserved + 2, version = version + 1 WHERE room_type_id = $1 AND night = $2", rt.ID, night(20))
	checkErr(t, err)
	if tag.RowsAffected() != 1 {
		t.Fatalf("the rolled-back reservation updated %d rows", tag.RowsAffected())
	}
	checkErr(t, tx.Rollback(ctx))
	mark(30)
	for {
		ch := ws.next(5 * time.Second)
		if ch == nil {
			t.Fatal("no event for the change committed after the rollback within 5s")
		}
		if ch.covers(date(20)) {
			t.Errorf("the rolled-back reservation of %s reached the subscriber: event %s for %s", date(20), ch.EventID, ch.nights())
		}
		if ch.covers(date(30)) {
			break
		}
		t.Errorf("an unexpected event before the committed change: %s for %s", ch.EventID, ch.nights())
	}
	if ch := ws.next(300 * time.Millisecond); ch != nil {
		t.Errorf("an event after the last commit: %s for %s", ch.EventID, ch.nights())
	}

	// The guest who holds the booking watches it with bookingUpdated: the
	// cancellation committed over HTTP reaches the socket from the change
	// stream, with the booking as it is now.
	mine := s.dial(t, guest)
	mine.send(wsMessage{ID: "b", Type: "subscribe", Payload: mustJSON(t, map[string]any{
		"query":     `subscription($id: ID!) { bookingUpdated(id: $id) { id status } }`,
		"variables": map[string]any{"id": held.HoldBooking.Booking.ID}})})
	bookingID, err := relay.Decode(relay.KindBooking, held.HoldBooking.Booking.ID)
	checkErr(t, err)
	type bookingEvent struct{ ID, Status string }
	nextBooking := func(wait time.Duration) *bookingEvent {
		t.Helper()
		m := mine.read(wait)
		if m.Type == "timeout" {
			return nil
		}
		var p struct {
			Data   struct{ BookingUpdated bookingEvent }
			Errors []gqlError
		}
		if err := json.Unmarshal(m.Payload, &p); m.Type != "next" || err != nil || len(p.Errors) > 0 {
			t.Fatalf("got %s %s, want a bookingUpdated event", m.Type, m.Payload)
		}
		return &p.Data.BookingUpdated
	}
	// As above, the subscription is live once a committed change of the
	// booking's row reaches it.
	for touch := 0; ; touch++ {
		if touch == 8 {
			t.Fatal("the booking's subscription received no event of 8 committed changes")
		}
		_, err := s.pool.Exec(ctx, "UPDATE bookings SET updated_at = now() WHERE id = $1", bookingID)
		checkErr(t, err)
		if ev := nextBooking(time.Second); ev != nil {
			if ev.ID != held.HoldBooking.Booking.ID || ev.Status != "HELD" {
				t.Fatalf("bookingUpdated before the cancellation: %+v", ev)
			}
			break
		}
	}
	for nextBooking(300*time.Millisecond) != nil {
		// the events of later touches, before the cancellation
	}
	var cancelled struct {
		CancelBooking struct {
			Booking    *struct{ Status string }
			UserErrors []struct{ Code, Message string }
		}
	}
	errs, err = s.post(guest, `mutation($in: CancelBookingInput!) { cancelBooking(input: $in) { booking { status } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": "live-cancel", "bookingId": held.HoldBooking.Booking.ID}}, &cancelled)
	if err != nil || len(errs) > 0 || cancelled.CancelBooking.Booking == nil {
		t.Fatalf("cancel: %v %+v %+v", err, errs, cancelled)
	}
	ev := nextBooking(5 * time.Second)
	if ev == nil || ev.ID != held.HoldBooking.Booking.ID || ev.Status != "CANCELLED" {
		t.Fatalf("bookingUpdated after the cancellation: %+v, want the booking CANCELLED within 5s", ev)
	}
}

type consumerState = struct {
	Name, AppliedLsn string
	Events           float64
	LastAppliedAt    *time.Time
	LastLagMs        float64
}

func consumer(t *testing.T, st *streamState, name string) consumerState {
	t.Helper()
	if st == nil {
		t.Fatal("changeStream is null on a server that runs the change stream")
	}
	for _, c := range st.Consumers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no consumer %q in %+v", name, st.Consumers)
	return consumerState{}
}

func lsn(t *testing.T, s string) pglogrepl.LSN {
	t.Helper()
	l, err := pglogrepl.ParseLSN(s)
	checkErr(t, err)
	return l
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(v)
	checkErr(t, err)
	return raw
}
