package booking_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

func partner(subject string, scopes ...string) context.Context {
	return auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RolePartner, Subject: subject, Scopes: scopes})
}

func bookingIDs(bs []booking.Booking) []uuid.UUID {
	ids := make([]uuid.UUID, len(bs))
	for i, x := range bs {
		ids[i] = x.ID
	}
	return ids
}

// A booking is visible to its owner, the hotel's staff and admins. Everyone
// else is told it does not exist, so guessed ids reveal nothing.
func TestWhoMayReadAndChangeABooking(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{})
	other := b.fixture(t, fixtureOpts{zone: "Europe/Berlin"})
	alice, bob := guest("alice"), guest("bob")
	held, err := b.svc.Hold(alice, holdInput(f, "h", day("2027-03-10"), day("2027-03-12"), 1))
	must(t, err)

	readers := []struct {
		name string
		ctx  context.Context
		want apperr.Code // "" = may read
	}{
		{"owner", alice, ""},
		{"staff of the hotel", staffOf(f.hotel.ID), ""},
		{"admin", b.admin, ""},
		{"another guest", bob, apperr.NotFound},
		{"staff of another hotel", staffOf(other.hotel.ID), apperr.NotFound},
		{"a partner", partner("apikey:x", auth.ScopeBook, auth.ScopeReadBookings), apperr.NotFound},
		// Roles keep subjects apart: a partner named like the guest is not her.
		{"a partner with the guest's subject", partner("alice", auth.ScopeBook, auth.ScopeReadBookings), apperr.NotFound},
		{"anonymous", context.Background(), apperr.Unauthenticated},
	}
	for _, r := range readers {
		got, err := b.svc.Booking(r.ctx, held.ID)
		switch {
		case r.want == "" && (err != nil || got.ID != held.ID):
			t.Errorf("%s reading: %v", r.name, err)
		case r.want != "" && code(err) != r.want:
			t.Errorf("%s reading: %v, want %s", r.name, err, r.want)
		case r.want != "" && got.ID != uuid.Nil:
			t.Errorf("%s reading got the booking along with the error", r.name)
		}
	}
	// A missing id looks exactly like someone else's.
	if _, err := b.svc.Booking(bob, uuid.Must(uuid.NewV7())); code(err) != apperr.NotFound {
		t.Fatalf("unknown id: %v", err)
	}

	// Another guest can neither confirm nor cancel, and learns nothing.
	if _, err := b.svc.Confirm(bob, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID,
		Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}}); code(err) != apperr.NotFound {
		t.Fatalf("another guest confirming: %v, want NOT_FOUND", err)
	}
	if _, _, err := b.svc.Cancel(bob, booking.CancelInput{IdempotencyKey: "x", BookingID: held.ID}); code(err) != apperr.NotFound {
		t.Fatalf("another guest cancelling: %v, want NOT_FOUND", err)
	}
	if _, _, err := b.svc.Cancel(staffOf(other.hotel.ID), booking.CancelInput{IdempotencyKey: "x", BookingID: held.ID}); code(err) != apperr.NotFound {
		t.Fatalf("staff of another hotel cancelling: %v, want NOT_FOUND", err)
	}
	if _, _, err := b.svc.Cancel(context.Background(), booking.CancelInput{IdempotencyKey: "x", BookingID: held.ID}); code(err) != apperr.Unauthenticated {
		t.Fatalf("anonymous cancelling: %v, want UNAUTHENTICATED", err)
	}
	if n := b.count(t, "SELECT count(*) FROM payments"); n != 0 {
		t.Fatalf("%d payments after refused confirmations", n)
	}
	still, err := b.svc.Booking(alice, held.ID)
	must(t, err)
	if still.Status != booking.StatusHeld || still.Version != held.Version {
		t.Fatalf("refused calls changed the booking: %+v", still)
	}
	if got := b.reserved(t, f.roomType.ID, day("2027-03-10"), day("2027-03-12")); !slices.Equal(got, []int{1, 1}) {
		t.Fatalf("reserved %v, want [1 1]", got)
	}
	// The hotel's staff may cancel it (a guest who phoned the front desk).
	cancelled, _, err := b.svc.Cancel(staffOf(f.hotel.ID), booking.CancelInput{IdempotencyKey: "desk", BookingID: held.ID, Reason: "guest phoned"})
	must(t, err)
	if cancelled.Status != booking.StatusCancelled {
		t.Fatalf("cancelled by staff: %+v", cancelled)
	}
	// Staff reach bookings through their hotels only: a booking made by a
	// staff member of this hotel is out of reach once the same person (the
	// same subject) manages only another hotel.
	desk := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleStaff, Subject: "front-desk", HotelIDs: []uuid.UUID{f.hotel.ID}})
	walkIn, err := b.svc.Hold(desk, holdInput(f, "walk-in-1", day("2027-03-10"), day("2027-03-11"), 1))
	must(t, err)
	moved := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleStaff, Subject: "front-desk", HotelIDs: []uuid.UUID{other.hotel.ID}})
	if _, err := b.svc.Booking(moved, walkIn.ID); code(err) != apperr.NotFound {
		t.Fatalf("staff moved to another hotel reading their old walk-in: %v, want NOT_FOUND", err)
	}
	if _, _, err := b.svc.Cancel(moved, booking.CancelInput{IdempotencyKey: "moved", BookingID: walkIn.ID}); code(err) != apperr.NotFound {
		t.Fatalf("staff moved to another hotel cancelling their old walk-in: %v, want NOT_FOUND", err)
	}
	// Staff may book only at their own hotel.
	if _, err := b.svc.Hold(staffOf(other.hotel.ID), holdInput(f, "walk-in", day("2027-03-10"), day("2027-03-11"), 1)); code(err) != apperr.Forbidden {
		t.Fatalf("staff holding at another hotel: %v, want FORBIDDEN", err)
	}
	if _, err := b.svc.Hold(context.Background(), holdInput(f, "anon", day("2027-03-10"), day("2027-03-11"), 1)); code(err) != apperr.Unauthenticated {
		t.Fatalf("anonymous hold: %v, want UNAUTHENTICATED", err)
	}
}

// A confirmation printout (reference and email) finds the booking for
// anyone; either part wrong finds nothing.
func TestBookingByReferenceAndEmail(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{})
	held, err := b.svc.Hold(guest("alice"), holdInput(f, "h", day("2027-03-10"), day("2027-03-12"), 1))
	must(t, err)
	anon := context.Background()

	for _, c := range []struct{ ref, email string }{
		{held.Reference, "ana@example.com"},
		{held.Reference, "ANA@Example.COM"},
		{" " + strings.ToLower(held.Reference) + " ", " ana@example.com "},
	} {
		got, err := b.svc.ByReference(anon, c.ref, c.email)
		if err != nil || got.ID != held.ID {
			t.Errorf("ByReference(%q, %q): %v", c.ref, c.email, err)
		}
	}
	for _, c := range []struct{ ref, email string }{
		{held.Reference, "bob@example.com"},
		{held.Reference, ""},
		{"SG-2222222", "ana@example.com"},
	} {
		got, err := b.svc.ByReference(anon, c.ref, c.email)
		if code(err) != apperr.NotFound || got.ID != uuid.Nil {
			t.Errorf("ByReference(%q, %q): %v, want NOT_FOUND", c.ref, c.email, err)
		}
	}
}

// "My bookings" lists the caller's own, newest first, page by page.
func TestViewerBookingsListsOwnNewestFirst(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 5})
	other := b.fixture(t, fixtureOpts{zone: "Europe/Berlin"})
	alice, bob := guest("alice"), guest("bob")
	var mine []uuid.UUID
	for i, d := range []string{"2027-03-20", "2027-03-10", "2027-03-15"} {
		held, err := b.svc.Hold(alice, holdInput(f, "a"+d, day(d), day(d).AddDate(0, 0, 1), 1))
		must(t, err)
		mine = append([]uuid.UUID{held.ID}, mine...)
		if i == 0 {
			// Bob books at the same hotel in between.
			_, err := b.svc.Hold(bob, holdInput(f, "b", day(d), day(d).AddDate(0, 0, 1), 1))
			must(t, err)
		}
	}
	bobOther, err := b.svc.Hold(bob, holdInput(other, "b2", day("2027-03-20"), day("2027-03-21"), 1))
	must(t, err)

	list, err := b.svc.ViewerBookings(alice, uuid.NullUUID{}, 10)
	must(t, err)
	if !slices.Equal(bookingIDs(list), mine) {
		t.Fatalf("alice's bookings %v, want %v (newest first, hers only)", bookingIDs(list), mine)
	}
	page, err := b.svc.ViewerBookings(alice, uuid.NullUUID{UUID: mine[0], Valid: true}, 1)
	must(t, err)
	if !slices.Equal(bookingIDs(page), mine[1:2]) {
		t.Fatalf("second page %v, want %v", bookingIDs(page), mine[1:2])
	}
	bobs, err := b.svc.ViewerBookings(bob, uuid.NullUUID{}, 10)
	must(t, err)
	if len(bobs) != 2 || bobs[0].ID != bobOther.ID {
		t.Fatalf("bob's bookings %v", bookingIDs(bobs))
	}
	// Staff see their hotel's bookings, not another hotel's.
	desk, err := b.svc.ViewerBookings(staffOf(f.hotel.ID), uuid.NullUUID{}, 10)
	must(t, err)
	if len(desk) != 4 || slices.Contains(bookingIDs(desk), bobOther.ID) {
		t.Fatalf("staff list %v, want the hotel's 4 bookings", bookingIDs(desk))
	}
	if _, err := b.svc.ViewerBookings(context.Background(), uuid.NullUUID{}, 10); code(err) != apperr.Unauthenticated {
		t.Fatalf("anonymous list: %v", err)
	}
}

// Staff of several hotels page through all their hotels' bookings at once,
// newest first, each once (each hotel's page is read from its own index
// range and the pages merged), and never another hotel's.
func TestViewerBookingsPagesAcrossTheStaffsHotels(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 10})
	g := b.fixture(t, fixtureOpts{rooms: 10, zone: "Asia/Tokyo"})
	elsewhere := b.fixture(t, fixtureOpts{})
	var want []uuid.UUID // newest first
	for i := range 7 {
		fx := f
		if i%3 == 1 {
			fx = g
		}
		held, err := b.svc.Hold(guest("alice"), holdInput(fx, fmt.Sprintf("k%d", i), day("2027-03-10"), day("2027-03-11"), 1))
		must(t, err)
		want = append([]uuid.UUID{held.ID}, want...)
		if i == 3 {
			_, err := b.svc.Hold(guest("bob"), holdInput(elsewhere, "other", day("2027-03-10"), day("2027-03-11"), 1))
			must(t, err)
		}
	}
	// The hotel listed twice must not list its bookings twice.
	desk := staffOf(f.hotel.ID, g.hotel.ID, f.hotel.ID)
	var got []uuid.UUID
	after := uuid.NullUUID{}
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatalf("paging does not end: %v", got)
		}
		page, err := b.svc.ViewerBookings(desk, after, 2)
		must(t, err)
		if len(page) == 0 {
			break
		}
		got = append(got, bookingIDs(page)...)
		after = uuid.NullUUID{UUID: page[len(page)-1].ID, Valid: true}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("staff of two hotels paged through %v, want %v (newest first, each once, no other hotel's)", got, want)
	}
}

// ViewerBookings is documented to list every booking for admins.
func TestViewerBookingsListsEverythingForAdmins(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{})
	a, err := b.svc.Hold(guest("alice"), holdInput(f, "a", day("2027-03-10"), day("2027-03-11"), 1))
	must(t, err)
	p, err := b.svc.Hold(partner("apikey:x", auth.ScopeBook), holdInput(f, "p", day("2027-03-12"), day("2027-03-13"), 1))
	must(t, err)
	all, err := b.svc.ViewerBookings(b.admin, uuid.NullUUID{}, 10)
	must(t, err)
	if !slices.Equal(bookingIDs(all), []uuid.UUID{p.ID, a.ID}) {
		t.Fatalf("admin's list %v, want every booking newest first %v", bookingIDs(all), []uuid.UUID{p.ID, a.ID})
	}
}

// Partners book with the "book" scope and see only their own bookings.
func TestPartnerBooking(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{})
	ota := partner("apikey:x", auth.ScopeBook)

	held, err := b.svc.Hold(ota, holdInput(f, "ota-1", day("2027-03-10"), day("2027-03-12"), 1))
	must(t, err)
	if got, err := b.svc.Booking(ota, held.ID); err != nil || got.ID != held.ID {
		t.Fatalf("partner reading its booking: %v", err)
	}
	list, err := b.svc.ViewerBookings(ota, uuid.NullUUID{}, 10)
	must(t, err)
	if !slices.Equal(bookingIDs(list), []uuid.UUID{held.ID}) {
		t.Fatalf("partner's bookings %v", bookingIDs(list))
	}
	confirmed, err := b.svc.Confirm(ota, booking.ConfirmInput{IdempotencyKey: "ota-1-pay", BookingID: held.ID,
		Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
	must(t, err)
	if confirmed.Status != booking.StatusConfirmed {
		t.Fatalf("partner confirmation %+v", confirmed)
	}
	if _, err := b.svc.Booking(partner("apikey:y", auth.ScopeBook, auth.ScopeReadBookings), held.ID); code(err) != apperr.NotFound {
		t.Fatalf("another partner reading: %v, want NOT_FOUND", err)
	}
	if _, err := b.svc.Booking(guest("apikey:x"), held.ID); code(err) != apperr.NotFound {
		t.Fatalf("a guest with the partner's subject reading: %v, want NOT_FOUND", err)
	}

	searchOnly := partner("apikey:z", auth.ScopeSearch)
	if _, err := b.svc.Hold(searchOnly, holdInput(f, "z", day("2027-03-10"), day("2027-03-12"), 1)); code(err) != apperr.Forbidden {
		t.Fatalf("partner without the book scope holding: %v, want FORBIDDEN", err)
	}
	// Reading bookings takes read:bookings or book, whether one or a list.
	if list, err := b.svc.ViewerBookings(partner("apikey:x", auth.ScopeSearch), uuid.NullUUID{}, 10); code(err) != apperr.Forbidden {
		t.Fatalf("the booker's subject with the search scope alone listing: %v %v, want FORBIDDEN", bookingIDs(list), err)
	}
	if n := b.count(t, "SELECT count(*) FROM bookings"); n != 1 {
		t.Fatalf("%d bookings, want 1", n)
	}
	// The same key under the same partner replays; under another partner it is independent.
	again, err := b.svc.Hold(ota, holdInput(f, "ota-1", day("2027-03-10"), day("2027-03-12"), 1))
	if err != nil || again.ID != held.ID {
		t.Fatalf("partner retrying its hold: %v %v", again.ID, err)
	}
}
