package graph_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

const endMaintenanceMutation = `mutation($input: EndMaintenanceInput!) {
  endMaintenance(input: $input) { block { id version from to reason room { number } } userErrors { code field message } }
}`

type blockView struct {
	ID      string
	Version int
	From    string
	To      string
	Reason  string
	Room    struct{ Number string }
}

type endPayload struct {
	Block      *blockView
	UserErrors []userError
}

// Staff end a block over the API: its id and version come with the block,
// the freed nights sell again in search and quotes at once, and the audit
// trail names the block by the same id. A guest is FORBIDDEN, another
// hotel's staff find no such block, an id of another kind is INVALID_INPUT,
// and a block not started yet is removed.
func TestEndMaintenanceOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, _ := b.stayFixture(t, "Europe/Lisbon", 2)
	hotelID, err := relay.Decode(relay.KindHotel, hotel)
	if err != nil {
		t.Fatal(err)
	}
	staff := token(t, auth.RoleStaff, hotelID)
	rooms := decode[struct {
		Hotel struct{ Rooms []struct{ ID, Number string } }
	}](t, b.do(t, staff, `query($h: ID!) { hotel(id: $h) { rooms { id number } } }`, map[string]any{"h": hotel})).Hotel.Rooms
	start := booking.Date(time.Now()).AddDate(0, 0, 40)
	date := func(days int) string { return start.AddDate(0, 0, days).Format(time.DateOnly) }
	blocked := decode[struct {
		BlockRooms struct {
			Blocks     []blockView
			UserErrors []userError
		}
	}](t, b.do(t, staff, `mutation($r: ID!, $from: Date!, $to: Date!) { blockRooms(input: {roomIds: [$r], from: $from, to: $to, reason: "new floor"}) {
	    blocks { id version from to reason room { number } } userErrors { code field message } } }`,
		map[string]any{"r": rooms[0].ID, "from": date(0), "to": date(5)})).BlockRooms
	if len(blocked.Blocks) != 1 || blocked.Blocks[0].Version != 1 || blocked.Blocks[0].Room.Number != rooms[0].Number {
		t.Fatalf("blockRooms: %+v", blocked)
	}
	block := blocked.Blocks[0]
	if _, err := relay.Decode(relay.KindMaintenanceBlock, block.ID); err != nil {
		t.Fatalf("block id %q: %v", block.ID, err)
	}

	unitsLeft := func(from, to int) (search, quote int) {
		t.Helper()
		found := decode[struct {
			SearchHotels struct {
				Edges []struct {
					Node struct{ RoomTypes []struct{ UnitsLeft int } }
				}
			}
		}](t, b.do(t, "", `query($in: HotelSearchInput!) { searchHotels(input: $in, first: 5) { edges { node { roomTypes { unitsLeft } } } } }`,
			map[string]any{"in": map[string]any{"checkIn": date(from), "checkOut": date(to), "rooms": []map[string]any{{"adults": 2}}}})).SearchHotels.Edges
		if len(found) != 1 || len(found[0].Node.RoomTypes) != 1 {
			t.Fatalf("search %d..%d: %+v", from, to, found)
		}
		quoted := decode[struct {
			Quote struct {
				Quote struct{ Rooms []struct{ UnitsLeft int } }
			}
		}](t, b.do(t, "", `query($in: QuoteInput!) { quote(input: $in) { quote { rooms { unitsLeft } } userErrors { code message } } }`,
			map[string]any{"in": map[string]any{"hotelId": hotel, "checkIn": date(from), "checkOut": date(to),
				"rooms": []map[string]any{{"ratePlanId": plan, "adults": 2}}}})).Quote.Quote.Rooms
		return found[0].Node.RoomTypes[0].UnitsLeft, quoted[0].UnitsLeft
	}
	if s, q := unitsLeft(2, 4); s != 1 || q != 1 {
		t.Fatalf("units left during the block: search %d, quote %d; want 1", s, q)
	}

	end := func(tok, id string, version int, from string) (endPayload, response) {
		in := map[string]any{"blockId": id, "expectedVersion": version}
		if from != "" {
			in["from"] = from
		}
		res := b.do(t, tok, endMaintenanceMutation, map[string]any{"input": in})
		if len(res.Errors) > 0 {
			return endPayload{}, res
		}
		return decode[struct{ EndMaintenance endPayload }](t, res).EndMaintenance, res
	}
	if _, res := end(token(t, auth.RoleGuest), block.ID, 1, date(2)); res.code() != "FORBIDDEN" {
		t.Errorf("a guest ending the block: %s %+v, want FORBIDDEN", res.Data, res.Errors)
	}
	for who, c := range map[string]struct{ tok, id, code, field string }{
		"another hotel's staff": {token(t, auth.RoleStaff, uuid.New()), block.ID, "NOT_FOUND", "input.blockId"},
		"a room's id":           {staff, rooms[0].ID, "INVALID_INPUT", "input.blockId"},
	} {
		got, res := end(c.tok, c.id, 1, date(2))
		if len(got.UserErrors) != 1 || got.UserErrors[0].Code != c.code || strings.Join(got.UserErrors[0].Field, ".") != c.field || got.Block != nil {
			t.Errorf("%s: %+v %+v, want %s on %s", who, got, res.Errors, c.code, c.field)
		}
	}
	if got, _ := end(staff, block.ID, 2, date(2)); len(got.UserErrors) != 1 || got.UserErrors[0].Code != "STALE_VERSION" {
		t.Errorf("a version ahead of the block's: %+v, want STALE_VERSION", got)
	}
	if s, q := unitsLeft(2, 4); s != 1 || q != 1 {
		t.Fatalf("units left after the refusals: search %d, quote %d; want 1", s, q)
	}

	// The new floor is laid two days early.
	got, _ := end(staff, block.ID, 1, date(2))
	if len(got.UserErrors) != 0 || got.Block == nil || got.Block.ID != block.ID || got.Block.Version != 2 ||
		got.Block.From != date(0) || got.Block.To != date(2) || got.Block.Reason != "new floor" {
		t.Fatalf("ending the block: %+v", got)
	}
	if s, q := unitsLeft(2, 4); s != 2 || q != 2 {
		t.Fatalf("units left on the freed nights: search %d, quote %d; want 2", s, q)
	}
	if s, q := unitsLeft(1, 3); s != 1 || q != 1 {
		t.Fatalf("units left across a kept night: search %d, quote %d; want 1", s, q)
	}
	listed := decode[struct {
		Hotel struct{ MaintenanceBlocks []blockView }
	}](t, b.do(t, staff, `query($h: ID!) { hotel(id: $h) { maintenanceBlocks { id version from to } } }`, map[string]any{"h": hotel})).Hotel.MaintenanceBlocks
	if len(listed) != 1 || listed[0].ID != block.ID || listed[0].Version != 2 || listed[0].To != date(2) {
		t.Fatalf("the hotel's blocks %+v", listed)
	}
	trail := decode[auditPage](t, b.do(t, token(t, auth.RoleAdmin), auditLogQuery, map[string]any{"entityId": block.ID})).AuditLog.Edges
	if len(trail) != 2 || trail[0].Node.Action != "UPDATE" || trail[0].Node.Entity != "MAINTENANCE_BLOCK" ||
		trail[0].Node.EntityID != block.ID || trail[0].Node.Actor != "STAFF:user-STAFF" || trail[1].Node.Action != "INSERT" {
		t.Fatalf("the block's audit trail %+v", trail)
	}

	// It had not started: ending it from today removes it.
	if got, _ := end(staff, block.ID, 2, ""); len(got.UserErrors) != 0 || got.Block != nil {
		t.Fatalf("removing the block: %+v", got)
	}
	if s, q := unitsLeft(0, 2); s != 2 || q != 2 {
		t.Fatalf("units left on the removed block's nights: search %d, quote %d; want 2", s, q)
	}
	if got, _ := end(staff, block.ID, 2, ""); len(got.UserErrors) != 1 || got.UserErrors[0].Code != "NOT_FOUND" {
		t.Fatalf("ending a removed block: %+v, want NOT_FOUND", got)
	}
}
