package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/notify"
)

// The elements of a list under which fields wait on data loaders are
// marshalled together, so their loads are batched: the room types of a
// page of hotels are one query, not one per hotel.
func TestListElementsLoadTogether(t *testing.T) {
	t.Parallel()
	b, rec := setupTraced(t, true)
	admin := token(t, auth.RoleAdmin)
	const hotels = 5
	for i := range hotels {
		gid := b.newHotel(t, fmt.Sprintf("Batched %d", i))
		res := b.do(t, admin, `mutation($h: ID!) { createRoomType(input: {hotelId: $h, name: "Twin", maxAdults: 2, maxChildren: 0, maxOccupancy: 2}) { userErrors { code } } }`, map[string]any{"h": gid})
		if len(res.Errors) > 0 {
			t.Fatalf("create room type: %+v", res.Errors)
		}
	}
	res := b.do(t, admin, `{ hotels(first: 10) { edges { node { name roomTypes { name } } } } }`, nil)
	if len(res.Errors) > 0 {
		t.Fatalf("hotels: %+v", res.Errors)
	}
	if got := strings.Count(string(res.Data), `"Twin"`); got != hotels {
		t.Fatalf("%d room types on the page, want %d: %s", got, hotels, res.Data)
	}
	queries := runsOf(rec.Ended(), "ListRoomTypesByHotels")["ListRoomTypesByHotels"]
	// one batch; two if the machine is slow enough to split it
	if queries == 0 || queries > 2 {
		t.Fatalf("the page's room types took %d queries for %d hotels", queries, hotels)
	}
}

// A page of bookings with their money, messages and cancellation terms
// reads each of them with one query for the page, not one per booking.
func TestBookingListFieldsLoadTogether(t *testing.T) {
	t.Parallel()
	b, rec := setupTraced(t, true)
	hotel, plan, rt := b.stayFixture(t, "Asia/Tokyo", 6)
	guest := token(t, auth.RoleGuest)
	const bookings = 5
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 20)
	for i := range bookings {
		held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, guest, holdMutation, holdVars(hotel, plan, fmt.Sprint("list-", i), checkIn, 2))).HoldBooking
		if held.Booking == nil {
			t.Fatalf("hold %d: %+v", i, held.UserErrors)
		}
	}
	// a message about each, as the notifier records them
	b.resolver.Reservations.SetNotifier(notify.NewService(b.pool, notify.NewRegistry(), b.resolver.Reservations, notify.Opts{}))
	if _, err := b.pool.Exec(context.Background(), `INSERT INTO notifications (id, booking_id, kind, channels, channel)
		SELECT gen_random_uuid(), id, 'CONFIRMED', '{email}', 'email' FROM bookings`); err != nil {
		t.Fatal(err)
	}
	staff := token(t, auth.RoleStaff, rt.HotelID)
	before := len(rec.Ended())
	res := b.do(t, staff, `{ viewer { bookings(first: 10) { edges { node {
		ledger { kept { amount currency } } notifications { kind } cancellationPenalties { amount { amount } }
	} } } } }`, nil)
	if len(res.Errors) > 0 {
		t.Fatalf("bookings: %+v", res.Errors)
	}
	page := decode[struct {
		Viewer struct {
			Bookings struct {
				Edges []struct {
					Node struct {
						Ledger struct {
							Kept struct {
								Amount   int
								Currency string
							}
						}
						Notifications         []struct{ Kind string }
						CancellationPenalties []struct{ Amount struct{ Amount int } }
					}
				}
			}
		}
	}](t, res)
	if n := len(page.Viewer.Bookings.Edges); n != bookings {
		t.Fatalf("%d bookings listed, want %d", n, bookings)
	}
	for _, e := range page.Viewer.Bookings.Edges {
		// a hold: nothing kept yet, free cancellation until 48 h before
		// check-in, then its deposit (25 % of 2 × 120.00 + 6 % tax)
		n := e.Node
		if n.Ledger.Kept.Amount != 0 || n.Ledger.Kept.Currency != "EUR" || len(n.Notifications) != 1 || len(n.CancellationPenalties) != 2 ||
			n.CancellationPenalties[0].Amount.Amount != 0 || n.CancellationPenalties[1].Amount.Amount != 6360 {
			t.Fatalf("booking %+v", n)
		}
	}
	for name, n := range runsOf(rec.Ended()[before:], "Ledgers", "ListNotifications", "ListPayments", "ListBookingRooms", "GetHotels") {
		// one batch; two if the machine is slow enough to split it
		if n == 0 || n > 2 {
			t.Errorf("%s ran %d times for a page of %d bookings", name, n, bookings)
		}
	}
}

// A page of hotels with what their staff see — rooms, maintenance blocks,
// bookings to relocate — reads each with one query for the page; a hotel
// the caller does not manage is refused on its own, the others answer.
func TestHotelStaffFieldsLoadTogether(t *testing.T) {
	t.Parallel()
	b, rec := setupTraced(t, true)
	zones := []string{"Europe/Paris", "Europe/Lisbon", "Asia/Tokyo", "America/New_York"}
	hotels := len(zones)
	var managed, other uuid.UUID
	for i, zone := range zones {
		_, _, rt := b.stayFixture(t, zone, 2+i)
		switch i {
		case 0:
			managed = rt.HotelID
		case 1:
			other = rt.HotelID
		}
	}
	query := `{ hotels(first: 10) { edges { node { name rooms { number } maintenanceBlocks { id } relocations { id } } } } }`
	type page struct {
		Hotels struct {
			Edges []struct {
				Node *struct {
					Name              string
					Rooms             []struct{ Number string }
					MaintenanceBlocks []struct{ ID string }
					Relocations       []struct{ ID string }
				}
			}
		}
	}
	before := len(rec.Ended())
	res := b.do(t, token(t, auth.RoleAdmin), query, nil)
	if len(res.Errors) > 0 {
		t.Fatalf("hotels: %+v", res.Errors)
	}
	rooms := 0
	for _, e := range decode[page](t, res).Hotels.Edges {
		rooms += len(e.Node.Rooms)
	}
	if rooms != 2+3+4+5 {
		t.Fatalf("%d rooms listed, want 14", rooms)
	}
	for name, n := range runsOf(rec.Ended()[before:], "ListRoomsByHotels", "ListMaintenanceBlocks", "ListRelocations") {
		// one batch; two if the machine is slow enough to split it
		if n == 0 || n > 2 {
			t.Errorf("%s ran %d times for a page of %d hotels", name, n, hotels)
		}
	}

	// Staff of the first hotel, asking for its rooms and another's at once:
	// its own, and FORBIDDEN for the other's.
	res = b.do(t, token(t, auth.RoleStaff, managed), `query($own: ID!, $other: ID!) {
		own: node(id: $own) { ... on Hotel { rooms { number } } }
		other: node(id: $other) { ... on Hotel { rooms { number } } } }`,
		map[string]any{"own": relay.ID(relay.KindHotel, managed), "other": relay.ID(relay.KindHotel, other)})
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "FORBIDDEN" || fmt.Sprint(res.Errors[0].Path) != "[other rooms]" {
		t.Fatalf("staff of one hotel asking for another's rooms: %+v, want FORBIDDEN on other.rooms", res.Errors)
	}
	var both struct {
		Own   struct{ Rooms []struct{ Number string } }
		Other *struct{}
	}
	if err := json.Unmarshal(res.Data, &both); err != nil || len(both.Own.Rooms) != 2 || both.Other != nil {
		t.Fatalf("staff of one hotel: %s (%v), want its 2 rooms and nothing of the other", res.Data, err)
	}
}

// A document's mutations run one after the other, each answered with what
// it left: the second one's booking shows the money the second one took,
// not the ledger and payments loaded to answer the first.
func TestEachMutationOfADocumentAnswersFromFreshLoads(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, _ := b.stayFixture(t, "Europe/Lisbon", 2)
	tok := token(t, auth.RoleGuest)
	held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, tok, holdMutation, holdVars(hotel, plan, "h", booking.Date(time.Now()).AddDate(0, 0, 30), 2))).HoldBooking
	if held.Booking == nil {
		t.Fatalf("hold: %+v", held.UserErrors)
	}
	type payload struct {
		Booking *struct {
			Payments []struct{ Status string }
			Ledger   struct{ Captured struct{ Amount int } }
		}
		UserErrors []userError
	}
	res := decode[struct{ C, P payload }](t, b.do(t, tok, `mutation($id: ID!) {
		c: confirmBooking(input: {idempotencyKey: "c", bookingId: $id, payment: {provider: "sandbox", token: "tok_success"}}) {
			booking { payments { status } ledger { captured { amount } } } userErrors { code field message } }
		p: payBalance(input: {idempotencyKey: "p", bookingId: $id, payment: {provider: "sandbox", token: "tok_success"}}) {
			booking { payments { status } ledger { captured { amount } } } userErrors { code field message } }
	}`, map[string]any{"id": held.Booking.ID}))
	if res.C.Booking == nil || res.P.Booking == nil {
		t.Fatalf("confirm %+v, pay balance %+v", res.C.UserErrors, res.P.UserErrors)
	}
	deposit, total := held.Booking.DepositDue.Amount, held.Booking.Total.Amount
	if c := res.C.Booking; c.Ledger.Captured.Amount != deposit || len(c.Payments) != 1 {
		t.Errorf("confirming: %d captured in %d payments, want the deposit %d in 1", c.Ledger.Captured.Amount, len(c.Payments), deposit)
	}
	if p := res.P.Booking; p.Ledger.Captured.Amount != total || len(p.Payments) != 2 {
		t.Errorf("then paying the balance: %d captured in %d payments, want the total %d in 2", p.Ledger.Captured.Amount, len(p.Payments), total)
	}
}

// runsOf counts, for each named statement (sqlc's "-- name: X"), the
// spans that ran it; every name is in the map, 0 when it never ran.
func runsOf(spans []sdktrace.ReadOnlySpan, names ...string) map[string]int {
	runs := map[string]int{}
	for _, name := range names {
		runs[name] = 0
	}
	for _, s := range spans {
		for _, a := range s.Attributes() {
			for _, name := range names {
				if a.Key == "db.statement" && strings.Contains(a.Value.AsString(), "-- name: "+name+" ") {
					runs[name]++
				}
			}
		}
	}
	return runs
}
