package graph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

// A floor with the hotel's one Double and one of its two Suites is blocked
// (force). A family holds the Double and a Suite in one booking (a hold,
// not confirmed yet); another guest booked the other Suite later, and
// confirmed. The Double is one room short: the family's hold loses it and,
// a hold, is released whole once the block commits — its Suite too. The
// Suites are one room short as well, but the family's Suite covers that:
// "as few as cover every oversold night" relocates the family alone. The
// other guest must keep their confirmed Suite, which the hotel has free.
func TestGroupAcrossTypesCoversTheOtherTypeFirst(t *testing.T) {
	for _, confirmGroup := range []bool{false, true} {
		t.Run(fmt.Sprint("group confirmed=", confirmGroup), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			hotel, double, _ := b.stayFixture(t, "Europe/Lisbon", 1)
			hotelID, err := relay.Decode(relay.KindHotel, hotel)
			if err != nil {
				t.Fatal(err)
			}
			staff := token(t, auth.RoleStaff, hotelID)
			start := booking.Date(time.Now()).AddDate(0, 0, 30)
			date := func(days int) string { return start.AddDate(0, 0, days).Format(time.DateOnly) }
			suiteType, suite := b.addSuites(t, staff, hotel, start, "201", "202")

			guest := token(t, auth.RoleGuest)
			// The family: the Double and a Suite, one booking.
			family := b.holdFamily(t, guest, hotel, double, suite, start)
			if confirmGroup {
				b.confirmPaid(t, guest, family.ID, "pay-family")
			}
			// Later, another guest books the other Suite, and confirms.
			other := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, guest, holdMutation, holdVars(hotel, suite, "other", start, 3))).HoldBooking
			if other.Booking == nil {
				t.Fatalf("hold other: %+v", other.UserErrors)
			}
			b.confirmPaid(t, guest, other.Booking.ID, "pay-other")

			rooms := decode[struct {
				Hotel struct{ Rooms []struct{ ID, Number string } }
			}](t, b.do(t, staff, `query($h: ID!) { hotel(id: $h) { rooms { id number } } }`, map[string]any{"h": hotel})).Hotel.Rooms
			var ids []string
			for _, r := range rooms {
				if r.Number == "100" || r.Number == "201" {
					ids = append(ids, r.ID)
				}
			}
			block := func(force bool) (out struct {
				AffectedBookings []struct{ Reference, Status string }
				UserErrors       []userError
			}) {
				return decode[struct {
					BlockRooms struct {
						AffectedBookings []struct{ Reference, Status string }
						UserErrors       []userError
					}
				}](t, b.do(t, staff, `mutation($r: [ID!]!, $from: Date!, $to: Date!, $f: Boolean!) { blockRooms(input: {roomIds: $r, from: $from, to: $to, reason: "floor works", force: $f}) {
			    affectedBookings { reference status } userErrors { code field message } } }`,
					map[string]any{"r": ids, "from": date(0), "to": date(3), "f": force})).BlockRooms
			}
			// Without force, staff are told the family alone would move.
			if preview := block(false); len(preview.AffectedBookings) != 1 || preview.AffectedBookings[0].Reference != family.Reference ||
				len(preview.UserErrors) != 1 || preview.UserErrors[0].Code != "MAINTENANCE_CONFLICT" {
				t.Errorf("without force: %+v, want MAINTENANCE_CONFLICT naming the family (%s) alone", preview, family.Reference)
			}
			blocked := block(true)
			if len(blocked.UserErrors) != 0 {
				t.Fatalf("block: %+v", blocked.UserErrors)
			}
			suiteID, err := relay.Decode(relay.KindRoomType, suiteType)
			if err != nil {
				t.Fatal(err)
			}
			var free int
			if err := b.pool.QueryRow(context.Background(), `SELECT min(capacity - reserved) FROM inventory WHERE room_type_id = $1 AND night >= $2 AND night < $3`,
				suiteID, date(0), date(3)).Scan(&free); err != nil {
				t.Fatal(err)
			}
			var otherFlagged bool
			if err := b.pool.QueryRow(context.Background(), `SELECT relocation_required FROM bookings WHERE reference = $1`, other.Booking.Reference).Scan(&otherFlagged); err != nil {
				t.Fatal(err)
			}
			if otherFlagged || len(blocked.AffectedBookings) != 1 {
				t.Errorf("affected %+v (family %s, other guest %s): the other guest flagged for relocation = %v; Suites left free on every blocked night afterwards: %d; want only the family relocated",
					blocked.AffectedBookings, family.Reference, other.Booking.Reference, otherFlagged, free)
			}
		})
	}
}

// Staff block a floor (the hotel's one Double and one of its two Suites)
// without force first, to see who would lose their room: one guest holds
// the Double, two the Suites. blockRooms answers MAINTENANCE_CONFLICT with
// affectedBookings, "Bookings that lose (or, without force, would lose)
// their room": it must name the Double's guest and a Suite guest, as the
// forced block then relocates both.
func TestUnforcedBlockListsEveryRoomTypesConflicts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, double, _ := b.stayFixture(t, "Europe/Lisbon", 1)
	hotelID, err := relay.Decode(relay.KindHotel, hotel)
	if err != nil {
		t.Fatal(err)
	}
	staff := token(t, auth.RoleStaff, hotelID)
	start := booking.Date(time.Now()).AddDate(0, 0, 30)
	date := func(days int) string { return start.AddDate(0, 0, days).Format(time.DateOnly) }
	_, suite := b.addSuites(t, staff, hotel, start, "201", "202")
	guest := token(t, auth.RoleGuest)
	for i, plan := range []string{double, suite, suite} {
		h := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, guest, holdMutation, holdVars(hotel, plan, fmt.Sprint("g", i), start, 3))).HoldBooking
		if h.Booking == nil {
			t.Fatalf("hold %d: %+v", i, h.UserErrors)
		}
	}
	rooms := decode[struct {
		Hotel struct{ Rooms []struct{ ID, Number string } }
	}](t, b.do(t, staff, `query($h: ID!) { hotel(id: $h) { rooms { id number } } }`, map[string]any{"h": hotel})).Hotel.Rooms
	var ids []string
	for _, r := range rooms {
		if r.Number == "100" || r.Number == "201" {
			ids = append(ids, r.ID)
		}
	}
	type result struct {
		BlockRooms struct {
			AffectedBookings []struct{ Reference string }
			UserErrors       []userError
		}
	}
	const m = `mutation($r: [ID!]!, $from: Date!, $to: Date!, $f: Boolean) { blockRooms(input: {roomIds: $r, from: $from, to: $to, reason: "floor works", force: $f}) {
	    affectedBookings { reference } userErrors { code field message } } }`
	preview := decode[result](t, b.do(t, staff, m, map[string]any{"r": ids, "from": date(0), "to": date(3), "f": false})).BlockRooms
	forced := decode[result](t, b.do(t, staff, m, map[string]any{"r": ids, "from": date(0), "to": date(3), "f": true})).BlockRooms
	if len(preview.AffectedBookings) != len(forced.AffectedBookings) {
		t.Errorf("without force: %+v %+v; forced, the same block relocated %+v", preview.AffectedBookings, preview.UserErrors, forced.AffectedBookings)
	}
}
