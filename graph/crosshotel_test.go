package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/catalog"
)

// Staff of hotel A reach nothing of hotel B through the room, room type and
// rate plan operations: each is refused (a room of B answers as an id of no
// room does), and hotel B's rows are as they were.
func TestStaffOfAnotherHotelTouchNothingOfIt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.newHotel(t, "A")
	b.newHotel(t, "B")
	hotelA, hotelB := hotelUUID(t, b, "A"), hotelUUID(t, b, "B")
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "test-admin"})
	cat, res := b.resolver.Catalog, b.resolver.Reservations
	rt, err := cat.CreateRoomType(admin, hotelB, catalog.RoomTypeFields{Name: "B Double", MaxAdults: 2, MaxOccupancy: 2})
	if err != nil {
		t.Fatal(err)
	}
	rooms, err := res.AddRooms(admin, cat, rt.ID, []string{"B-101"})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := cat.CreateRatePlan(admin, rt.ID, catalog.RatePlanFields{Name: "B Flexible",
		CancellationPolicy: catalog.CancellationPolicy{Refundable: true}, DepositPolicy: catalog.DepositPolicy{Kind: catalog.DepositFull}})
	if err != nil {
		t.Fatal(err)
	}
	staffA := token(t, auth.RoleStaff, hotelA)
	rtID, roomID, rpID := relay.ID(relay.KindRoomType, rt.ID), relay.ID(relay.KindRoom, rooms[0].ID), relay.ID(relay.KindRatePlan, rp.ID)

	// Rooms are the hotel's own: staff of A get what an id of no room gets.
	unknownRoom := relay.ID(relay.KindRoom, uuid.New())
	for _, c := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"node(room of B)", `query($id: ID!) { node(id: $id) { ... on Room { number } } }`, map[string]any{"id": unknownRoom}},
		{"setRoomService", `mutation($id: ID!, $v: Int!) { setRoomService(input: {roomId: $id, expectedVersion: $v, inService: false, note: "A was here", force: true}) { room { number } userErrors { code field message } } }`,
			map[string]any{"id": unknownRoom, "v": rooms[0].Version}},
		{"blockRooms", `mutation($id: ID!) { blockRooms(input: {roomIds: [$id], from: "2030-01-01", to: "2030-01-02", reason: "A was here", force: true}) { blocks { reason } userErrors { code field message } } }`,
			map[string]any{"id": unknownRoom}},
	} {
		unknown := b.do(t, staffA, c.query, c.vars)
		c.vars["id"] = roomID
		r := b.do(t, staffA, c.query, c.vars)
		if string(r.Data) != string(unknown.Data) || r.code() != unknown.code() {
			t.Errorf("staff of A, %s with a room of hotel B: %s %q, but with an id of no room: %s %q; want the same", c.name, r.Data, r.code(), unknown.Data, unknown.code())
		}
	}

	for _, c := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"updateRoomType", `mutation($id: ID!, $v: Int!) { updateRoomType(input: {id: $id, expectedVersion: $v, name: "Taken by A"}) { roomType { name } userErrors { code } } }`,
			map[string]any{"id": rtID, "v": rt.Version}},
		{"createRatePlan", `mutation($id: ID!) { createRatePlan(input: {roomTypeId: $id, name: "A's plan", cancellationPolicy: {refundable: true}, depositPolicy: {kind: FULL}}) { ratePlan { name } userErrors { code } } }`,
			map[string]any{"id": rtID}},
		{"updateRatePlan", `mutation($id: ID!, $v: Int!) { updateRatePlan(input: {id: $id, expectedVersion: $v, name: "Taken by A"}) { ratePlan { name } userErrors { code } } }`,
			map[string]any{"id": rpID, "v": rp.Version}},
		{"addRooms", `mutation($id: ID!) { addRooms(input: {roomTypeId: $id, numbers: ["A-999"]}) { rooms { number } userErrors { code } } }`,
			map[string]any{"id": rtID}},
	} {
		r := b.do(t, staffA, c.query, c.vars)
		if code := r.code(); code != "FORBIDDEN" && code != "NOT_FOUND" {
			t.Errorf("staff of A, %s on hotel B: code %q, data %s; want FORBIDDEN (or NOT_FOUND)", c.name, code, r.Data)
		}
		for _, leak := range []string{"B-101", "Taken by A", "A's plan", "A-999"} {
			if strings.Contains(string(r.Data), leak) {
				t.Errorf("staff of A, %s on hotel B: the answer carries %q: %s", c.name, leak, r.Data)
			}
		}
	}

	// Hotel B, in SQL, is as its admin left it.
	var rtName, rpName, notes string
	var roomCount, planCount int
	var inService bool
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.pool.QueryRow(ctx, `SELECT name FROM room_types WHERE id = $1`, rt.ID).Scan(&rtName))
	must(b.pool.QueryRow(ctx, `SELECT count(*) FROM rooms WHERE hotel_id = $1`, hotelB).Scan(&roomCount))
	must(b.pool.QueryRow(ctx, `SELECT count(*), string_agg(name, ',') FROM rate_plans WHERE hotel_id = $1`, hotelB).Scan(&planCount, &rpName))
	must(b.pool.QueryRow(ctx, `SELECT in_service, coalesce(service_note, '') FROM rooms WHERE id = $1`, rooms[0].ID).Scan(&inService, &notes))
	if rtName != "B Double" || roomCount != 1 || planCount != 1 || rpName != "B Flexible" || !inService {
		t.Fatalf("hotel B after staff of A tried: room type %q, %d rooms, %d rate plans (%s), room in service %v (%q); "+
			"want B Double, 1 room, 1 plan (B Flexible), in service", rtName, roomCount, planCount, rpName, inService, notes)
	}
}
