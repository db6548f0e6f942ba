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
			hotel, double, staff := b.staffedHotel(t, 1)
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

			// Without force, staff are told the family alone would move.
			if refs, errs := b.blockFloor(t, staff, hotel, start, false); len(refs) != 1 || refs[0] != family.Reference ||
				len(errs) != 1 || errs[0].Code != "MAINTENANCE_CONFLICT" {
				t.Errorf("without force: %v %+v, want MAINTENANCE_CONFLICT naming the family (%s) alone", refs, errs, family.Reference)
			}
			affected, errs := b.blockFloor(t, staff, hotel, start, true)
			if len(errs) != 0 {
				t.Fatalf("block: %+v", errs)
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
			if otherFlagged || len(affected) != 1 {
				t.Errorf("affected %v (family %s, other guest %s): the other guest flagged for relocation = %v; Suites left free on every blocked night afterwards: %d; want only the family relocated",
					affected, family.Reference, other.Booking.Reference, otherFlagged, free)
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
	hotel, double, staff := b.staffedHotel(t, 1)
	start := booking.Date(time.Now()).AddDate(0, 0, 30)
	_, suite := b.addSuites(t, staff, hotel, start, "201", "202")
	guest := token(t, auth.RoleGuest)
	for i, plan := range []string{double, suite, suite} {
		h := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, guest, holdMutation, holdVars(hotel, plan, fmt.Sprint("g", i), start, 3))).HoldBooking
		if h.Booking == nil {
			t.Fatalf("hold %d: %+v", i, h.UserErrors)
		}
	}
	preview, perrs := b.blockFloor(t, staff, hotel, start, false)
	forced, _ := b.blockFloor(t, staff, hotel, start, true)
	if len(preview) != len(forced) {
		t.Errorf("without force: %v %+v; forced, the same block relocated %v", preview, perrs, forced)
	}
}
