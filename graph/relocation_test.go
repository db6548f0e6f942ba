package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/email"
)

// A season of staggered three-night stays in a hotel of three rooms: one
// room is blocked for two nights, so each of those nights is one room short.
// One booking spans both nights: relocating it alone covers the block
// ("as few as cover every oversold night", shrinkTx), and every other guest
// keeps their room. The forced block must flag that one booking, not two;
// the second guest loses a confirmed room the hotel still has free.
func TestForcedBlockRelocatesNoMoreBookingsThanNeeded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, rt := b.stayFixture(t, "Europe/Lisbon", 3)
	hotelID, err := relay.Decode(relay.KindHotel, hotel)
	if err != nil {
		t.Fatal(err)
	}
	staff := token(t, auth.RoleStaff, hotelID)
	guest := token(t, auth.RoleGuest)
	start := booking.Date(time.Now()).AddDate(0, 0, 40)
	date := func(days int) string { return start.AddDate(0, 0, days).Format(time.DateOnly) }

	// Stays of three nights from days 0, 1, 2, 3 and 4, booked in that
	// order (the one from day 4 is the newest).
	refs := map[int]string{}
	for i := 0; i < 5; i++ {
		held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, guest, holdMutation, holdVars(hotel, plan, fmt.Sprint("stay-", i), start.AddDate(0, 0, i), 3))).HoldBooking
		if held.Booking == nil {
			t.Fatalf("hold %d: %+v", i, held.UserErrors)
		}
		b.confirmPaid(t, guest, held.Booking.ID, fmt.Sprint("pay-", i))
		refs[i] = held.Booking.Reference
	}
	// Nights 2 and 3 are sold out (three stays each): blocking one room
	// for them leaves each one room short. The stay from day 2 holds both.
	rooms := decode[struct {
		Hotel struct{ Rooms []struct{ ID string } }
	}](t, b.do(t, staff, `query($h: ID!) { hotel(id: $h) { rooms { id } } }`, map[string]any{"h": hotel})).Hotel.Rooms
	blocked := decode[struct {
		BlockRooms struct {
			AffectedBookings []struct{ Reference, CheckIn, CheckOut string }
			UserErrors       []userError
		}
	}](t, b.do(t, staff, `mutation($r: ID!, $from: Date!, $to: Date!) { blockRooms(input: {roomIds: [$r], from: $from, to: $to, reason: "pipes", force: true}) {
	    affectedBookings { reference checkIn checkOut } userErrors { code field message } } }`,
		map[string]any{"r": rooms[0].ID, "from": date(2), "to": date(4)})).BlockRooms
	if len(blocked.UserErrors) != 0 {
		t.Fatalf("block: %+v", blocked.UserErrors)
	}
	// What is left to sell on the blocked nights: a night with a unit free
	// had a relocated guest who could have kept their room.
	var free []int
	for _, night := range []int{2, 3} {
		var capacity, reserved int
		if err := b.pool.QueryRow(context.Background(), `SELECT capacity, reserved FROM inventory WHERE room_type_id = $1 AND night = $2`,
			rt.ID, date(night)).Scan(&capacity, &reserved); err != nil {
			t.Fatal(err)
		}
		free = append(free, capacity-reserved)
	}
	if len(blocked.AffectedBookings) != 1 || blocked.AffectedBookings[0].Reference != refs[2] {
		t.Errorf("the forced block relocated %d bookings %+v, want only %s (the stay from day 2, which holds both blocked nights); units left free on the blocked nights afterwards: %v",
			len(blocked.AffectedBookings), blocked.AffectedBookings, refs[2], free)
	}
}

// A floor is closed for works: staff block its rooms, a Double and a Suite,
// in one blockRooms. A family booked both rooms in one booking. Forced, the
// block relocates that booking once: it is listed once among the affected
// bookings, its version moves once, and the guest is told once that they
// must be moved (one RELOCATION_NEEDED message).
func TestBlockingAFloorTellsAGroupOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Guests' messages are recorded (an insert-only job client: nothing is sent).
	ch, err := email.New("127.0.0.1", 2525, "stays@staygraph.test", email.Opts{})
	if err != nil {
		t.Fatal(err)
	}
	b.resolver.Reservations.SetNotifier(notify.NewService(b.pool, notify.NewRegistry(ch), b.resolver.Reservations, notify.Opts{}))

	hotel, double, _ := b.stayFixture(t, "Europe/Lisbon", 1)
	hotelID, err := relay.Decode(relay.KindHotel, hotel)
	if err != nil {
		t.Fatal(err)
	}
	staff := token(t, auth.RoleStaff, hotelID)
	// The hotel's staff add a Suite of one room, its rate plan and rates.
	start := booking.Date(time.Now()).AddDate(0, 0, 30)
	date := func(days int) string { return start.AddDate(0, 0, days).Format(time.DateOnly) }
	_, suite := b.addSuites(t, staff, hotel, start, "201")

	// A family books the Double and the Suite together.
	guest := token(t, auth.RoleGuest)
	held := b.holdFamily(t, guest, hotel, double, suite, start)
	confirmed := b.confirmPaid(t, guest, held.ID, "pay")
	versionBefore := confirmed.Version

	// The floor: both rooms, blocked at once.
	rooms := decode[struct {
		Hotel struct{ Rooms []struct{ ID, Number string } }
	}](t, b.do(t, staff, `query($h: ID!) { hotel(id: $h) { rooms { id number } } }`, map[string]any{"h": hotel})).Hotel.Rooms
	var ids []string
	for _, r := range rooms {
		ids = append(ids, r.ID)
	}
	blocked := decode[struct {
		BlockRooms struct {
			Blocks           []struct{ ID string }
			AffectedBookings []struct{ ID, Reference, Status string }
			UserErrors       []userError
		}
	}](t, b.do(t, staff, `mutation($r: [ID!]!, $from: Date!, $to: Date!) { blockRooms(input: {roomIds: $r, from: $from, to: $to, reason: "floor 2 renovation", force: true}) {
	    blocks { id } affectedBookings { id reference status } userErrors { code field message } } }`,
		map[string]any{"r": ids, "from": date(0), "to": date(5)})).BlockRooms
	if len(blocked.UserErrors) != 0 || len(blocked.Blocks) != 2 {
		t.Fatalf("block: %+v", blocked)
	}
	if len(blocked.AffectedBookings) != 1 {
		t.Errorf("affectedBookings lists %d entries %+v, want the family's booking once", len(blocked.AffectedBookings), blocked.AffectedBookings)
	}

	bid, err := relay.Decode(relay.KindBooking, held.ID)
	if err != nil {
		t.Fatal(err)
	}
	var version int
	if err := b.pool.QueryRow(context.Background(), `SELECT version FROM bookings WHERE id = $1`, bid).Scan(&version); err != nil {
		t.Fatal(err)
	}
	var messages int
	if err := b.pool.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE booking_id = $1 AND kind = 'RELOCATION_NEEDED'`, bid).Scan(&messages); err != nil {
		t.Fatal(err)
	}
	if messages != 1 || version != versionBefore+1 {
		t.Errorf("after one forced block: %d RELOCATION_NEEDED messages to the guest and the booking's version %d → %d; want 1 message and one new version",
			messages, versionBefore, version)
	}
}

// gql runs an operation that must not fail with GraphQL errors and returns
// its data.
func (b testBundle) gql(t *testing.T, tok, query string, vars map[string]any) map[string]any {
	t.Helper()
	res := b.do(t, tok, query, vars)
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %+v", res.Errors)
	}
	var data map[string]any
	if err := json.Unmarshal(res.Data, &data); err != nil {
		t.Fatal(err)
	}
	return data
}

// addSuites gives the hotel, as its staff, a Suite room type with rooms
// numbered as given, a rate plan, and rates for ten nights from start;
// it returns the room type's and the rate plan's ids.
func (b testBundle) addSuites(t *testing.T, staff, hotel string, start time.Time, numbers ...string) (roomType, ratePlan string) {
	t.Helper()
	roomType = b.gql(t, staff, `mutation($h: ID!) { createRoomType(input: {hotelId: $h, name: "Suite", maxAdults: 2, maxChildren: 2, maxOccupancy: 4}) { roomType { id } } }`,
		map[string]any{"h": hotel})["createRoomType"].(map[string]any)["roomType"].(map[string]any)["id"].(string)
	b.gql(t, staff, `mutation($r: ID!, $n: [String!]!) { addRooms(input: {roomTypeId: $r, numbers: $n}) { rooms { id } } }`, map[string]any{"r": roomType, "n": numbers})
	ratePlan = b.gql(t, staff, `mutation($r: ID!) { createRatePlan(input: {roomTypeId: $r, name: "Suite flexible", cancellationPolicy: {refundable: true}, depositPolicy: {kind: FULL}}) { ratePlan { id } } }`,
		map[string]any{"r": roomType})["createRatePlan"].(map[string]any)["ratePlan"].(map[string]any)["id"].(string)
	b.gql(t, staff, `mutation($p: ID!, $from: Date!, $to: Date!) { setRates(input: {ratePlanId: $p, from: $from, to: $to, amount: 30000}) { nights } }`,
		map[string]any{"p": ratePlan, "from": start.Format(time.DateOnly), "to": start.AddDate(0, 0, 10).Format(time.DateOnly)})
	return roomType, ratePlan
}

// holdFamily holds, as tok, a Double (rate plan double) and a Suite (rate
// plan suite) in one booking, three nights from start.
func (b testBundle) holdFamily(t *testing.T, tok, hotel, double, suite string, start time.Time) *bookingView {
	t.Helper()
	vars := holdVars(hotel, double, "family", start, 3)
	in := vars["input"].(map[string]any)
	in["rooms"] = append(in["rooms"].([]map[string]any), map[string]any{"ratePlanId": suite, "adults": 2,
		"guests": []map[string]any{{"givenName": "Eva", "familyName": "Lima"}}})
	held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, tok, holdMutation, vars)).HoldBooking
	if held.Booking == nil {
		t.Fatalf("hold family: %+v", held.UserErrors)
	}
	return held.Booking
}

// confirmPaid confirms booking id as tok, paid through the sandbox under
// idempotency key key, and returns it confirmed.
func (b testBundle) confirmPaid(t *testing.T, tok, id, key string) *bookingView {
	t.Helper()
	c := decode[struct{ ConfirmBooking bookingPayload }](t, b.do(t, tok, `mutation($id: ID!, $k: String!) { confirmBooking(input: {idempotencyKey: $k, bookingId: $id, payment: {provider: "sandbox", token: "tok_success"}}) { booking { status version } userErrors { code field message } } }`,
		map[string]any{"id": id, "k": key})).ConfirmBooking
	if c.Booking == nil || c.Booking.Status != "CONFIRMED" {
		t.Fatalf("confirm %s: %+v", key, c)
	}
	return c.Booking
}

// staffedHotel is a hotel of stayFixture with `doubles` Doubles (rooms
// 100..), and a token of its staff.
func (b testBundle) staffedHotel(t *testing.T, doubles int) (hotel, double, staff string) {
	t.Helper()
	hotel, double, _ = b.stayFixture(t, "Europe/Lisbon", doubles)
	hotelID, err := relay.Decode(relay.KindHotel, hotel)
	if err != nil {
		t.Fatal(err)
	}
	return hotel, double, token(t, auth.RoleStaff, hotelID)
}

// blockFloor blocks rooms 100 and 201 of hotel, as staff, for three nights
// from start, forced or not, and returns the references of the bookings it
// names and its user errors.
func (b testBundle) blockFloor(t *testing.T, staff, hotel string, start time.Time, force bool) ([]string, []userError) {
	t.Helper()
	rooms := decode[struct {
		Hotel struct{ Rooms []struct{ ID, Number string } }
	}](t, b.do(t, staff, `query($h: ID!) { hotel(id: $h) { rooms { id number } } }`, map[string]any{"h": hotel})).Hotel.Rooms
	var ids []string
	for _, r := range rooms {
		if r.Number == "100" || r.Number == "201" {
			ids = append(ids, r.ID)
		}
	}
	res := decode[struct {
		BlockRooms struct {
			AffectedBookings []struct{ Reference string }
			UserErrors       []userError
		}
	}](t, b.do(t, staff, `mutation($r: [ID!]!, $from: Date!, $to: Date!, $f: Boolean) { blockRooms(input: {roomIds: $r, from: $from, to: $to, reason: "floor works", force: $f}) {
	    affectedBookings { reference } userErrors { code field message } } }`,
		map[string]any{"r": ids, "from": start.Format(time.DateOnly), "to": start.AddDate(0, 0, 3).Format(time.DateOnly), "f": force})).BlockRooms
	refs := []string{}
	for _, a := range res.AffectedBookings {
		refs = append(refs, a.Reference)
	}
	return refs, res.UserErrors
}
