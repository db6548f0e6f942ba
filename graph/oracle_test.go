package graph_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/indexer/hub"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

// oracleView is what a caller can observe of an answer: the data and each
// error's code, message and path (not the request id).
func oracleView(r response) string {
	type e struct {
		Code, Message string
		Path          []any
	}
	var errs []e
	for _, x := range r.Errors {
		c, _ := x.Extensions["code"].(string)
		errs = append(errs, e{c, x.Message, x.Path})
	}
	raw, _ := json.Marshal(struct {
		Status int
		Data   json.RawMessage
		Errors []e
	}{r.status, r.Data, errs})
	return string(raw)
}

// Every probe that names a private object of the seeded hotel by id answers
// a caller without access exactly as it answers an id of no object of that
// kind: an id tells nobody whether it exists.
func TestPrivateIdsAreNoExistenceOracle(t *testing.T) {
	t.Parallel()
	b := setup(t, graph.HandlerOpts{MaxComplexity: 1 << 20, MaxDepth: 50, MaxAliases: 100, MaxRootFields: 50})
	live := hub.New(hub.Opts{})
	b.resolver.Live = live
	f := seedPrivacy(t, b)
	var notification uuid.UUID
	if err := b.pool.QueryRow(context.Background(), `SELECT id FROM notifications WHERE booking_id = $1`, f.booking).Scan(&notification); err != nil {
		t.Fatal(err)
	}
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "oracle-admin"})
	_, noScope, err := b.resolver.Keys.Create(admin, "No scope", []string{auth.ScopeSearch})
	if err != nil {
		t.Fatal(err)
	}
	_, reader, err := b.resolver.Keys.Create(admin, "Reader", []string{auth.ScopeReadBookings})
	if err != nil {
		t.Fatal(err)
	}
	callers := []struct{ name, token string }{
		{"anonymous", ""},
		{"another guest", token(t, auth.RoleGuest)},
		{"staff of another hotel", token(t, auth.RoleStaff, uuid.New())},
		{"partner without scope", noScope},
		{"another partner (read:bookings)", reader},
	}
	randomOf := map[string]string{
		f.gid(relay.KindRoom, f.room):                  relay.ID(relay.KindRoom, uuid.New()),
		f.gid(relay.KindBooking, f.booking):            relay.ID(relay.KindBooking, uuid.New()),
		f.gid(relay.KindRefund, f.refund):              relay.ID(relay.KindRefund, uuid.New()),
		f.gid(relay.KindPayment, f.payment):            relay.ID(relay.KindPayment, uuid.New()),
		f.gid(relay.KindMaintenanceBlock, f.block):     relay.ID(relay.KindMaintenanceBlock, uuid.New()),
		f.gid(relay.KindAPIKey, f.apiKey):              relay.ID(relay.KindAPIKey, uuid.New()),
		relay.ID(relay.KindNotification, notification): relay.ID(relay.KindNotification, uuid.New()),
	}
	do := func(tok string, p privacyProbe, vars map[string]any) response {
		if strings.HasPrefix(strings.TrimSpace(p.query), "subscription") {
			return b.doLive(t, live, tok, p.query, vars,
				hub.Event{Kind: hub.BookingUpdated, HotelID: f.hotel, BookingID: f.booking})
		}
		return b.do(t, tok, p.query, vars)
	}
	probes := append([]privacyProbe{}, privacyProbes...)
	// retryNotification with the booking's real notification, and with a
	// notification of the booking the caller cannot see.
	probes = append(probes, privacyProbe{name: "retryNotification/real notification",
		query: `mutation($b: ID!, $n: ID!) { retryNotification(input: {bookingId: $b, notificationId: $n}) { notification { kind } userErrors { code field message } } }`,
		vars: func(f privacyFixture) map[string]any {
			return map[string]any{"b": f.gid(relay.KindBooking, f.booking), "n": relay.ID(relay.KindNotification, notification)}
		}})
	for _, p := range probes {
		p.query = strings.ReplaceAll(p.query, "userErrors { code }", "userErrors { code field message }")
		vars := p.vars(f)
		swapped, named := map[string]any{}, false
		for k, v := range vars {
			s, _ := v.(string)
			if r, ok := randomOf[s]; ok {
				swapped[k], named = r, true
			} else {
				swapped[k] = v
			}
		}
		if !named {
			continue
		}
		for _, c := range callers {
			unknown := oracleView(do(c.token, p, swapped))
			known := oracleView(do(c.token, p, vars))
			if known != unknown {
				t.Errorf("%s as %s: an existing object answers\n   %s\nbut an id of no object\n   %s", p.name, c.name, known, unknown)
			}
		}
	}
}

// Staff of a hotel with objects of their own, mixing in ids of another
// hotel's objects, learn nothing either; and their own rooms still work.
func TestStaffMixingIdsOfAnotherHotelLearnNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := hub.New(hub.Opts{})
	b.resolver.Live = live
	f := seedPrivacy(t, b) // hotel B: its room, booking, notification
	var notifB uuid.UUID
	if err := b.pool.QueryRow(context.Background(), `SELECT id FROM notifications WHERE booking_id = $1`, f.booking).Scan(&notifB); err != nil {
		t.Fatal(err)
	}
	guest := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleGuest, Subject: "guest-of-a"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	h, _, rooms, rp := londonHotel(t, b, "Hotel A", "2 Strand", "A-1", "A-2")
	today := booking.Date(time.Now())
	held, err := b.resolver.Reservations.Hold(guest, booking.HoldInput{IdempotencyKey: "a-hold", HotelID: h.ID, CheckIn: today.AddDate(0, 0, 20), CheckOut: today.AddDate(0, 0, 21),
		Rooms: []booking.RoomRequest{{RatePlanID: rp.ID, Party: booking.Party{Adults: 1, ChildAges: []int{}},
			Guests: []booking.GuestName{{GivenName: "Ann", FamilyName: "A"}}}},
		Contact: booking.Contact{Email: "ann@example.org"}})
	must(err)
	_, err = b.pool.Exec(context.Background(), `INSERT INTO notifications (id, booking_id, kind, channels, channel, status, attempts, last_error)
		VALUES ($1, $2, 'HELD', '{email}', 'email', 'DEAD', 5, 'x')`, uuid.New(), held.ID)
	must(err)

	staffA := token(t, auth.RoleStaff, h.ID)
	bookingA := relay.ID(relay.KindBooking, held.ID)
	roomA, roomA2 := relay.ID(relay.KindRoom, rooms[0].ID), relay.ID(relay.KindRoom, rooms[1].ID)
	from, to := today.AddDate(0, 0, 40).Format(time.DateOnly), today.AddDate(0, 0, 41).Format(time.DateOnly)
	for _, c := range []struct {
		name, query   string
		known, random map[string]any
	}{
		{"retryNotification(own booking, notification of B)",
			`mutation($b: ID!, $n: ID!) { retryNotification(input: {bookingId: $b, notificationId: $n}) { notification { kind } userErrors { code field message } } }`,
			map[string]any{"b": bookingA, "n": relay.ID(relay.KindNotification, notifB)},
			map[string]any{"b": bookingA, "n": relay.ID(relay.KindNotification, uuid.New())}},
		{"blockRooms([own room, room of B])",
			`mutation($r: [ID!]!, $from: Date!, $to: Date!) { blockRooms(input: {roomIds: $r, from: $from, to: $to, reason: "x"}) { blocks { reason } userErrors { code field message } } }`,
			map[string]any{"r": []string{roomA, relay.ID(relay.KindRoom, f.room)}, "from": from, "to": to},
			map[string]any{"r": []string{roomA, relay.ID(relay.KindRoom, uuid.New())}, "from": from, "to": to}},
	} {
		unknown := oracleView(b.do(t, staffA, c.query, c.random))
		known := oracleView(b.do(t, staffA, c.query, c.known))
		if known != unknown {
			t.Errorf("staff of A, %s: %s; with an id of no object: %s", c.name, known, unknown)
		}
	}

	// Their own rooms still answer: node, setRoomService, blockRooms, and a
	// block's room.
	r := b.do(t, staffA, `query($id: ID!) { node(id: $id) { ... on Room { number } } }`, map[string]any{"id": roomA})
	if !strings.Contains(string(r.Data), "A-1") {
		t.Errorf("staff of A reading their room: %s %v", r.Data, r.Errors)
	}
	r = b.do(t, staffA, `mutation($id: ID!) { setRoomService(input: {roomId: $id, expectedVersion: 1, inService: false, note: "leak"}) { room { number inService } userErrors { code message } } }`,
		map[string]any{"id": roomA2})
	if !strings.Contains(string(r.Data), `"inService":false`) {
		t.Errorf("staff of A taking their room out of service: %s %v", r.Data, r.Errors)
	}
	r = b.do(t, staffA, `mutation($r: [ID!]!, $from: Date!, $to: Date!) { blockRooms(input: {roomIds: $r, from: $from, to: $to, reason: "paint"}) { blocks { reason room { number } } userErrors { code message } } }`,
		map[string]any{"r": []string{roomA}, "from": from, "to": to})
	if !strings.Contains(string(r.Data), `"number":"A-1"`) {
		t.Errorf("staff of A blocking their room: %s %v", r.Data, r.Errors)
	}
	r = b.do(t, staffA, `query($h: ID!) { hotel(id: $h) { maintenanceBlocks { reason room { number } } } }`, map[string]any{"h": relay.ID(relay.KindHotel, h.ID)})
	if !strings.Contains(string(r.Data), `"number":"A-1"`) || len(r.Errors) > 0 {
		t.Errorf("staff of A listing their blocks: %s %v", r.Data, r.Errors)
	}
	r = b.do(t, token(t, auth.RoleAdmin), `query($h: ID!) { hotel(id: $h) { maintenanceBlocks { reason room { number } } } }`, map[string]any{"h": relay.ID(relay.KindHotel, f.hotel)})
	if !strings.Contains(string(r.Data), `"number":"RM-PRIV-7"`) || len(r.Errors) > 0 {
		t.Errorf("admin listing B's blocks: %s %v", r.Data, r.Errors)
	}
}
