package booking_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

func TestCheckOutKeepsTheNightsUsed(t *testing.T) {
	t.Parallel()
	// 2027-03-01 12:00 in Paris.
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 2})
	ctx := guest("cust-1")
	checkIn, checkOut := day("2027-03-10"), day("2027-03-12")
	held, err := b.svc.Hold(ctx, holdInput(f, "k-hold", checkIn, checkOut, 1))
	must(t, err)
	if _, err := b.svc.CheckOut(b.admin, held.ID); code(err) != booking.InvalidState {
		t.Fatalf("checking out a hold: %v, want INVALID_STATE", err)
	}
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "k-confirm", BookingID: held.ID,
		Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
	must(t, err)
	if _, err := b.svc.CheckOut(b.admin, held.ID); code(err) != booking.InvalidState {
		t.Fatalf("checking out before check-in: %v, want INVALID_STATE", err)
	}

	// On check-out day (11:00 in Paris), the guest may not check out; staff may.
	at := setupClock(b, time.Date(2027, 3, 12, 10, 0, 0, 0, time.UTC))
	if _, err := at.CheckOut(ctx, held.ID); code(err) != apperr.Forbidden {
		t.Fatalf("guest checking out: %v, want FORBIDDEN", err)
	}
	staff := auth.WithPrincipal(t.Context(), &auth.Principal{Role: auth.RoleStaff, Subject: "desk", HotelIDs: []uuid.UUID{f.hotel.ID}})
	out, err := at.CheckOut(staff, held.ID)
	must(t, err)
	if out.Status != booking.StatusCheckedOut || out.ContactEmail != "ana@example.com" {
		t.Fatalf("checked out %+v", out)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); got[0] != 1 || got[1] != 1 {
		t.Fatalf("reserved after check-out %v, want [1 1]", got)
	}
	if _, _, err := at.Cancel(ctx, booking.CancelInput{IdempotencyKey: "k-cancel", BookingID: held.ID}); code(err) != booking.InvalidState {
		t.Fatalf("cancelling a checked-out booking: %v, want INVALID_STATE", err)
	}
	if _, err := at.CheckOut(staff, held.ID); code(err) != booking.InvalidState {
		t.Fatalf("checking out twice: %v, want INVALID_STATE", err)
	}
	b.assertInventoryConsistent(t)
}

// setupClock is b's booking service with its clock standing at now.
func setupClock(b testBundle, now time.Time) *booking.Service {
	return booking.NewService(b.pool, b.catalog, nil, nil, booking.Opts{Now: func() time.Time { return now }})
}
