package graph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

// groupFloor: a hotel with `doubles` Doubles (100..) and `suites` Suites
// (201..); the family holds a Double and a Suite in one booking, then the
// other guest holds a room of plan otherPlan ("double" or "suite"). Both
// confirm. Returns a block mutation runner over rooms 100 and 201.
func groupFloor(t *testing.T, doubles, suites int, otherPlan string) (run func(force bool) ([]string, []userError), family, other string, flagged func(ref string) bool) {
	b := setup(t)
	hotel, double, staff := b.staffedHotel(t, doubles)
	var nums []string
	for i := 0; i < suites; i++ {
		nums = append(nums, fmt.Sprint(201+i))
	}
	start := booking.Date(time.Now()).AddDate(0, 0, 30)
	_, suite := b.addSuites(t, staff, hotel, start, nums...)
	guest := token(t, auth.RoleGuest)
	fam := b.holdFamily(t, guest, hotel, double, suite, start)
	b.confirmPaid(t, guest, fam.ID, "pay-family")
	plan := suite
	if otherPlan == "double" {
		plan = double
	}
	oth := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, guest, holdMutation, holdVars(hotel, plan, "other", start, 3))).HoldBooking
	if oth.Booking == nil {
		t.Fatalf("hold other: %+v", oth.UserErrors)
	}
	b.confirmPaid(t, guest, oth.Booking.ID, "pay-other")
	run = func(force bool) ([]string, []userError) { return b.blockFloor(t, staff, hotel, start, force) }
	flagged = func(ref string) bool {
		var f bool
		if err := b.pool.QueryRow(context.Background(), `SELECT relocation_required FROM bookings WHERE reference = $1`, ref).Scan(&f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	b7count = func(t *testing.T) int {
		var n int
		if err := b.pool.QueryRow(context.Background(), `SELECT count(*) FROM maintenance_blocks`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	return run, fam.Reference, oth.Booking.Reference, flagged
}

// The scenario of TestGroupAcrossTypesCoversTheOtherTypeFirst (one Double,
// two Suites, the family holds the Double and a Suite, the other guest a
// Suite), previewed without force first: the forced block relocates the
// family alone, so the preview must not name the other guest.
var b7count func(t *testing.T) int

func TestUnforcedPreviewOfAGroupAcrossTypes(t *testing.T) {
	run, family, other, _ := groupFloor(t, 1, 2, "suite")
	preview, perrs := run(false)
	if n := b7count(t); n != 0 {
		t.Fatalf("%d maintenance blocks after a refused block", n)
	}
	forced, ferrs := run(true)
	if len(ferrs) != 0 {
		t.Fatalf("forced: %+v", ferrs)
	}
	if len(preview) != len(forced) {
		t.Errorf("without force the block lists %v (%+v); forced, it relocates %v (family %s, other %s)", preview, perrs, forced, family, other)
	}
}

// The mirror of TestGroupAcrossTypesCoversTheOtherTypeFirst: two Doubles,
// one Suite; the family holds a Double and the Suite, the other guest the
// other Double. The Suite is one room short (only the family can give it
// back) and so are the Doubles: relocating the family covers both; the
// other guest keeps their Double, which the hotel has free.
func TestForcedGroupAcrossTypesWhateverTheTypeOrder(t *testing.T) {
	run, family, other, flagged := groupFloor(t, 2, 1, "double")
	forced, errs := run(true)
	if len(errs) != 0 {
		t.Fatalf("forced: %+v", errs)
	}
	if flagged(other) || len(forced) != 1 {
		t.Errorf("forced block relocated %v (family %s, other %s); other flagged = %v; want the family alone", forced, family, other, flagged(other))
	}
}
