package graph_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/hoteldate"
)

// The front desk's lists: the day's arrivals (confirmed and still to check
// in, or checked in; not a hold, nor a cancellation, nor tomorrow's), a
// page at a time without gaps or repeats, and the guests in the house.
// Staff of the hotel and admins read them; guests and staff of another
// hotel are FORBIDDEN.
func TestTheFrontDeskListsArrivalsAndGuestsInTheHouse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, _ := b.stayFixture(t, "Etc/UTC", 6)
	other, _, _ := b.stayFixture(t, "Europe/Lisbon", 1)
	hotelID, err := relay.Decode(relay.KindHotel, hotel)
	if err != nil {
		t.Fatal(err)
	}
	otherID, err := relay.Decode(relay.KindHotel, other)
	if err != nil {
		t.Fatal(err)
	}
	guest, staff := token(t, auth.RoleGuest), token(t, auth.RoleStaff, hotelID)
	today := hoteldate.BusinessDate(time.Now(), time.UTC)
	tomorrow := today.AddDate(0, 0, 1)
	book := func(key string, checkIn time.Time, confirm bool) bookingView {
		t.Helper()
		held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, guest, holdMutation, holdVars(hotel, plan, key, checkIn, 1))).HoldBooking
		if held.Booking == nil {
			t.Fatalf("hold %s: %+v", key, held.UserErrors)
		}
		if confirm {
			c := decode[struct{ ConfirmBooking bookingPayload }](t, b.do(t, guest, `mutation($id: ID!, $key: String!) { confirmBooking(input: {idempotencyKey: $key, bookingId: $id, payment: {provider: "sandbox", token: "tok_success"}}) { booking { status } userErrors { code field message } } }`,
				map[string]any{"id": held.Booking.ID, "key": "confirm-" + key})).ConfirmBooking
			if c.Booking == nil || c.Booking.Status != "CONFIRMED" {
				t.Fatalf("confirm %s: %+v", key, c)
			}
		}
		return *held.Booking
	}
	toCome, arrived := book("to-come", today, true), book("arrived", today, true)
	held, cancelled, nextDay := book("held", today, false), book("cancelled", today, true), book("next-day", tomorrow, true)
	if in := decode[struct{ CheckInBooking bookingPayload }](t, b.do(t, staff, `mutation($id: ID!) { checkInBooking(input: {bookingId: $id}) { booking { status } userErrors { code message } } }`,
		map[string]any{"id": arrived.ID})).CheckInBooking; in.Booking == nil || in.Booking.Status != "CHECKED_IN" {
		t.Fatalf("check-in: %+v", in)
	}
	if c := b.do(t, guest, `mutation($id: ID!) { cancelBooking(input: {idempotencyKey: "x", bookingId: $id}) { booking { status } } }`,
		map[string]any{"id": cancelled.ID}); len(c.Errors) > 0 {
		t.Fatalf("cancel: %+v", c.Errors)
	}

	const lists = `query($id: ID!, $on: Date, $first: Int, $after: String) { hotel(id: $id) {
	  arrivals(on: $on, first: $first, after: $after) { edges { node { reference status } } pageInfo { hasNextPage endCursor } }
	  inHouse { edges { node { reference status checkOut } } } } }`
	type page struct {
		Hotel struct {
			Arrivals struct {
				Edges []struct {
					Node struct{ Reference, Status string }
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
			InHouse struct {
				Edges []struct {
					Node struct{ Reference, Status, CheckOut string }
				}
			}
		}
	}
	refs := func(p page) (out []string) {
		for _, e := range p.Hotel.Arrivals.Edges {
			out = append(out, e.Node.Reference+" "+e.Node.Status)
		}
		return out
	}
	// a page of one at a time, from the hotel's today
	var got []string
	vars := map[string]any{"id": hotel, "first": 1}
	for range 4 {
		p := decode[page](t, b.do(t, staff, lists, vars))
		got = append(got, refs(p)...)
		if !p.Hotel.Arrivals.PageInfo.HasNextPage {
			break
		}
		vars["after"] = *p.Hotel.Arrivals.PageInfo.EndCursor
	}
	want := []string{toCome.Reference + " CONFIRMED", arrived.Reference + " CHECKED_IN"}
	if !slices.Equal(got, want) {
		t.Errorf("today's arrivals, a page of one at a time: %q, want %q (not the hold %s, the cancellation %s nor tomorrow's %s)",
			got, want, held.Reference, cancelled.Reference, nextDay.Reference)
	}
	p := decode[page](t, b.do(t, staff, lists, map[string]any{"id": hotel, "on": tomorrow.Format(time.DateOnly)}))
	if got := refs(p); !slices.Equal(got, []string{nextDay.Reference + " CONFIRMED"}) {
		t.Errorf("tomorrow's arrivals: %q, want %s", got, nextDay.Reference)
	}
	if in := p.Hotel.InHouse.Edges; len(in) != 1 || in[0].Node.Reference != arrived.Reference || in[0].Node.CheckOut != tomorrow.Format(time.DateOnly) {
		t.Errorf("in the house: %+v, want %s leaving %s", in, arrived.Reference, tomorrow.Format(time.DateOnly))
	}
	if p := decode[page](t, b.do(t, token(t, auth.RoleAdmin), lists, map[string]any{"id": hotel})); len(refs(p)) != 2 {
		t.Errorf("an admin's arrivals: %q", refs(p))
	}
	// A cursor of another list is refused, not read in this list's order.
	viewer := decode[struct {
		Viewer struct {
			Bookings struct{ PageInfo struct{ EndCursor string } }
		}
	}](t, b.do(t, staff, `{ viewer { bookings(first: 1) { pageInfo { endCursor } } } }`, nil)).Viewer.Bookings.PageInfo.EndCursor
	first := decode[page](t, b.do(t, staff, lists, map[string]any{"id": hotel, "first": 1})).Hotel.Arrivals.PageInfo.EndCursor
	for name, q := range map[string]string{
		"arrivals after a cursor of viewer.bookings":         `query($id: ID!, $after: String) { hotel(id: $id) { arrivals(after: $after) { edges { cursor } } } }`,
		"the guests in the house after a cursor of arrivals": `query($id: ID!, $after: String) { hotel(id: $id) { inHouse(after: $after) { edges { cursor } } } }`,
	} {
		after := viewer
		if strings.HasPrefix(name, "the guests") {
			after = *first
		}
		if res := b.do(t, staff, q, map[string]any{"id": hotel, "after": after}); res.code() != "INVALID_INPUT" {
			t.Errorf("%s: %s %+v, want INVALID_INPUT", name, res.Data, res.Errors)
		}
	}
	// Read hotel by hotel, the lists are asked for of a few hotels at once.
	// (Their items alone would let 40 hotels through.) So is the list of
	// undelivered notifications, read the same way.
	for _, list := range []string{"arrivals(first: 1) { edges { node { reference } } }", "inHouse(first: 1) { edges { node { reference } } }",
		"undeliveredNotifications(first: 1) { kind }"} {
		if res := b.do(t, token(t, auth.RoleAdmin), `{ hotels(first: 40) { edges { node { `+list+` } } } }`, nil); res.code() != "QUERY_TOO_COMPLEX" {
			t.Errorf("%s of 40 hotels at once: %s %+v, want QUERY_TOO_COMPLEX", list, res.Data, res.Errors)
		}
	}
	if res := b.do(t, token(t, auth.RoleAdmin), `{ hotels(first: 20) { edges { node { arrivals(first: 1) { edges { node { reference } } } } } } }`, nil); len(res.Errors) > 0 {
		t.Errorf("the arrivals of 20 hotels at once: %+v", res.Errors)
	}
	for name, tok := range map[string]string{"a guest": guest, "staff of another hotel": token(t, auth.RoleStaff, otherID)} {
		res := b.do(t, tok, `query($id: ID!) { hotel(id: $id) { arrivals { edges { node { reference } } } } }`, map[string]any{"id": hotel})
		if res.code() != "FORBIDDEN" {
			t.Errorf("%s reading the arrivals: %s %+v, want FORBIDDEN", name, res.Data, res.Errors)
		}
		res = b.do(t, tok, `query($id: ID!) { hotel(id: $id) { inHouse { edges { node { reference } } } } }`, map[string]any{"id": hotel})
		if res.code() != "FORBIDDEN" {
			t.Errorf("%s reading the guests in the house: %s %+v, want FORBIDDEN", name, res.Data, res.Errors)
		}
	}
}
