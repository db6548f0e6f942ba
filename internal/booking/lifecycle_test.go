package booking_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

var flexible = catalog.CancellationPolicy{Refundable: true, Penalties: []catalog.PenaltyWindow{
	{HoursBeforeCheckIn: 72, Percent: 50}, {HoursBeforeCheckIn: 24, Percent: 100}}}

func TestQuoteHoldConfirmCancel(t *testing.T) {
	t.Parallel()
	// 2027-03-01 12:00 in Paris (UTC+1).
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 3, price: 10000, taxBps: 1000, policy: flexible})
	ctx := guest("cust-1")
	checkIn, checkOut := day("2027-03-10"), day("2027-03-13")

	in := holdInput(f, "k-hold", checkIn, checkOut, 2)
	q, err := b.svc.Quote(ctx, booking.QuoteInput{HotelID: f.hotel.ID, CheckIn: checkIn, CheckOut: checkOut, Rooms: in.Rooms})
	must(t, err)
	// Two rooms, three nights at 100.00, 10% tax.
	if !q.Available || q.RoomAmount != 60000 || q.TaxAmount != 6000 || q.Total != 66000 || q.DepositDue != 66000 {
		t.Fatalf("quote %+v", q)
	}
	if len(q.Rooms[0].Nightly) != 3 || q.Rooms[0].UnitsLeft != 3 {
		t.Fatalf("quoted room %+v", q.Rooms[0])
	}
	// Check-in 2027-03-10 15:00 Paris = 14:00 UTC. Free until 72h before, half
	// until 24h before, then everything.
	wantWindows := []struct {
		start, end string
		amount     int64
	}{
		{"", "2027-03-07T15:00:00+01:00", 0},
		{"2027-03-07T15:00:00+01:00", "2027-03-09T15:00:00+01:00", 33000},
		{"2027-03-09T15:00:00+01:00", "", 66000},
	}
	if len(q.Penalties) != len(wantWindows) {
		t.Fatalf("penalty windows %+v", q.Penalties)
	}
	for i, w := range wantWindows {
		got := q.Penalties[i]
		if fmtTime(got.Start) != w.start || fmtTime(got.End) != w.end || got.Amount != w.amount {
			t.Errorf("window %d = %s..%s %d, want %s..%s %d", i, fmtTime(got.Start), fmtTime(got.End), got.Amount, w.start, w.end, w.amount)
		}
	}

	expected := q.Total
	in.ExpectedTotal = &expected
	held, err := b.svc.Hold(ctx, in)
	must(t, err)
	if held.Status != booking.StatusHeld || held.Total != 66000 || len(held.Reference) != 10 || !held.HoldExpiresAt.Equal(now.Add(15*time.Minute)) {
		t.Fatalf("held %+v", held)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); got[0] != 2 || got[1] != 2 || got[2] != 2 {
		t.Fatalf("reserved per night %v, want [2 2 2]", got)
	}

	confirmed, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "k-confirm", BookingID: held.ID,
		Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
	must(t, err)
	if confirmed.Status != booking.StatusConfirmed || confirmed.ConfirmedAt == nil {
		t.Fatalf("confirmed %+v", confirmed)
	}

	// Cancelled on 2027-03-08 at noon Paris: inside the 50% window.
	b2 := b
	b2.svc = booking.NewService(b.pool, b.catalog, nil, nil, booking.Opts{Now: func() time.Time { return time.Date(2027, 3, 8, 11, 0, 0, 0, time.UTC) }})
	cancelled, refund, err := b2.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "k-cancel", BookingID: held.ID, Reason: "plans changed"})
	must(t, err)
	if cancelled.Status != booking.StatusCancelled || cancelled.PenaltyAmount != 33000 || cancelled.RefundDue != 33000 {
		t.Fatalf("cancelled %+v", cancelled)
	}
	if refund == nil || refund.Amount != 33000 || refund.Status != "PENDING" {
		t.Fatalf("refund %+v", refund)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); got[0] != 0 || got[1] != 0 || got[2] != 0 {
		t.Fatalf("reserved after cancel %v, want zeros", got)
	}
	// Replaying the cancellation returns the first result and refunds nothing twice.
	again, refund2, err := b2.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "k-cancel", BookingID: held.ID, Reason: "plans changed"})
	must(t, err)
	var refunds int
	must(t, b.pool.QueryRow(b.admin, "SELECT count(*) FROM refunds WHERE booking_id = $1", held.ID).Scan(&refunds))
	if again.Version != cancelled.Version || refund2 == nil || refund2.ID != refund.ID || refunds != 1 {
		t.Fatalf("replayed cancel: %+v %+v, %d refunds", again, refund2, refunds)
	}
	if _, _, err := b2.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "k-cancel-2", BookingID: held.ID}); code(err) != booking.InvalidState {
		t.Fatalf("cancelling twice: %v", err)
	}
	b.assertInventoryConsistent(t)
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

func TestDeclinedPaymentLeavesTheHold(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{})
	ctx := guest("cust-1")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 20)
	held, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 2), 1))
	must(t, err)

	declined := booking.ConfirmInput{IdempotencyKey: "c1", BookingID: held.ID, Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_decline"}}
	if _, err := b.svc.Confirm(ctx, declined); code(err) != booking.PaymentDeclined {
		t.Fatalf("declined card: %v", err)
	}
	again, err := b.svc.Booking(ctx, held.ID)
	must(t, err)
	if again.Status != booking.StatusHeld || again.PaymentInFlight {
		t.Fatalf("after decline %+v", again)
	}
	// The same key answers the same decline without calling the provider again.
	if _, err := b.svc.Confirm(ctx, declined); code(err) != booking.PaymentDeclined {
		t.Fatalf("replayed decline: %v", err)
	}
	var attempts int
	must(t, b.pool.QueryRow(b.admin, "SELECT count(*) FROM payments WHERE booking_id = $1", held.ID).Scan(&attempts))
	if attempts != 1 {
		t.Fatalf("%d payment attempts, want 1", attempts)
	}
	if _, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c2", BookingID: held.ID, Payment: &booking.PaymentInput{Provider: "nope", Token: "x"}}); code(err) != apperr.InvalidInput ||
		!strings.Contains(err.Error(), `unknown payment provider "nope" (this server takes: sandbox)`) {
		t.Fatalf("unknown provider: %v, want it refused naming the providers this server takes", err)
	}
	long := booking.ConfirmInput{IdempotencyKey: "c4", BookingID: held.ID, Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_visa" + strings.Repeat("x", 5000)}}
	if _, err := b.svc.Confirm(ctx, long); code(err) != apperr.InvalidInput {
		t.Fatalf("a token of 5,008 characters: %v", err)
	}
	must(t, b.pool.QueryRow(b.admin, "SELECT count(*) FROM payments WHERE booking_id = $1", held.ID).Scan(&attempts))
	if attempts != 1 {
		t.Fatalf("%d payment attempts after refused tokens, want 1", attempts)
	}
	// the bound is in characters: 204 of them in 404 bytes pass it
	accented := booking.ConfirmInput{IdempotencyKey: "c5", BookingID: held.ID, Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_" + strings.Repeat("é", 200)}}
	if _, err := b.svc.Confirm(ctx, accented); code(err) == apperr.InvalidInput {
		t.Fatalf("a token of 204 characters: %v", err)
	}
	confirmed, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c3", BookingID: held.ID, Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_visa"}})
	must(t, err)
	if confirmed.Status != booking.StatusConfirmed {
		t.Fatalf("confirmed %+v", confirmed)
	}
}

func TestExpiredHoldCannotBeConfirmed(t *testing.T) {
	t.Parallel()
	now := time.Now()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{})
	ctx := guest("cust-1")
	checkIn := booking.Date(now).AddDate(0, 0, 5)
	held, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	later := booking.NewService(b.pool, b.catalog, nil, nil, booking.Opts{Now: func() time.Time { return now.Add(16 * time.Minute) }})
	if _, err := later.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}}); code(err) != booking.HoldExpired {
		t.Fatalf("confirming an expired hold: %v", err)
	}
	wait, err := later.ExpireHold(b.admin, held.ID)
	must(t, err)
	expired, err := b.svc.Booking(ctx, held.ID)
	must(t, err)
	if wait != 0 || expired.Status != booking.StatusExpired {
		t.Fatalf("after expiry: wait %v, %+v", wait, expired)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkIn.AddDate(0, 0, 1)); got[0] != 0 {
		t.Fatalf("expired hold still reserves %v", got)
	}
	// Expiring twice changes nothing.
	_, err = later.ExpireHold(b.admin, held.ID)
	must(t, err)
	b.assertInventoryConsistent(t)
}

func TestHoldValidation(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 2})
	later := b.ratePlan(t, f, catalog.CancellationPolicy{}, catalog.DepositPolicy{Kind: catalog.DepositFull}, day("2027-04-01"), 9000)
	ctx := guest("cust-1")
	cases := []struct {
		name  string
		edit  func(*booking.HoldInput)
		code  apperr.Code
		field string
	}{
		{"check-out before check-in", func(in *booking.HoldInput) { in.CheckOut = in.CheckIn.AddDate(0, 0, -1) }, apperr.InvalidInput, "input.checkOut"},
		{"29 nights", func(in *booking.HoldInput) { in.CheckOut = in.CheckIn.AddDate(0, 0, 29) }, apperr.InvalidInput, "input.checkOut"},
		{"more than a year ahead", func(in *booking.HoldInput) {
			in.CheckIn = day("2028-03-02")
			in.CheckOut = day("2028-03-03")
		}, apperr.InvalidInput, "input.checkIn"},
		{"yesterday", func(in *booking.HoldInput) { in.CheckIn, in.CheckOut = day("2027-02-28"), day("2027-03-02") }, apperr.InvalidInput, "input.checkIn"},
		{"too many adults", func(in *booking.HoldInput) { in.Rooms[0].Party.Adults = 3 }, apperr.InvalidInput, "input.rooms.0.adults"},
		{"too many people", func(in *booking.HoldInput) { in.Rooms[0].Party.ChildAges = []int{4, 6} }, apperr.InvalidInput, "input.rooms.0.adults"},
		{"an adult as a child", func(in *booking.HoldInput) { in.Rooms[0].Party.ChildAges = []int{18} }, apperr.InvalidInput, "input.rooms.0.childAges"},
		{"no adult", func(in *booking.HoldInput) { in.Rooms[0].Party.Adults = -2 }, apperr.InvalidInput, "input.rooms.0.adults"},
		{"no guest named", func(in *booking.HoldInput) { in.Rooms[0].Guests = nil }, apperr.InvalidInput, "input.rooms.0.guests"},
		{"bad email", func(in *booking.HoldInput) { in.Contact.Email = "ana at example" }, apperr.InvalidInput, "input.contact.email"},
		{"a mailbox name of 65 characters", func(in *booking.HoldInput) { in.Contact.Email = strings.Repeat("a", 65) + "@example.com" },
			apperr.InvalidInput, "input.contact.email"},
		{"a national phone number", func(in *booking.HoldInput) { in.Contact.Phone = "01 23 45 67 89" }, apperr.InvalidInput, "input.contact.phone"},
		{"a phone number dialled with 00", func(in *booking.HoldInput) { in.Contact.Phone = "0033 1 23 45 67 89" }, apperr.InvalidInput, "input.contact.phone"},
		{"a phone number of 16 digits", func(in *booking.HoldInput) { in.Contact.Phone = "+1234567890123456" }, apperr.InvalidInput, "input.contact.phone"},
		{"a plus sign inside a phone number", func(in *booking.HoldInput) { in.Contact.Phone = "+33 1+23 45 67" }, apperr.InvalidInput, "input.contact.phone"},
		{"a language tag of 36 characters", func(in *booking.HoldInput) { in.Contact.Language = "en" + strings.Repeat("-abcdefgh", 4) },
			apperr.InvalidInput, "input.contact.language"},
		{"a party of 21", func(in *booking.HoldInput) { in.Rooms[0].Party.ChildAges = make([]int, 20) }, apperr.InvalidInput, "input.rooms.0.adults"},
		{"no idempotency key", func(in *booking.HoldInput) { in.IdempotencyKey = " " }, apperr.InvalidInput, "input.idempotencyKey"},
		{"three rooms of two", func(in *booking.HoldInput) { *in = holdInput(f, in.IdempotencyKey, in.CheckIn, in.CheckOut, 3) }, booking.SoldOut, ""},
		{"stale price", func(in *booking.HoldInput) { total := int64(1); in.ExpectedTotal = &total }, booking.PriceChanged, "input.expectedTotal"},
		{"a negative expected total", func(in *booking.HoldInput) { total := int64(-1); in.ExpectedTotal = &total }, apperr.InvalidInput, "input.expectedTotal"},
		{"a room on a plan not priced for the stay", func(in *booking.HoldInput) {
			*in = holdInput(f, in.IdempotencyKey, in.CheckIn, in.CheckOut, 2)
			in.Rooms[1].RatePlanID = later.ID
		}, booking.NotBookable, "input.rooms.1.ratePlanId"},
	}
	for i, c := range cases {
		in := holdInput(f, fmt.Sprint("key-", i), day("2027-03-10"), day("2027-03-12"), 1)
		c.edit(&in)
		_, err := b.svc.Hold(ctx, in)
		all, _ := apperr.All(err)
		if len(all) == 0 || all[0].Code != c.code || c.field != "" && join(all[0].Field) != c.field {
			t.Errorf("%s: got %v, want %s on %s", c.name, err, c.code, c.field)
		}
		// Amounts in messages are written in the currency's units.
		if c.code == booking.PriceChanged && len(all) > 0 && !strings.Contains(all[0].Message, "not 0.01 EUR") {
			t.Errorf("%s: message %q, want the expected total written as 0.01 EUR", c.name, all[0].Message)
		}
	}
	// A party beyond any room is refused without echoing it.
	big := holdInput(f, "big", day("2027-03-10"), day("2027-03-12"), 1)
	big.Rooms[0].Party.ChildAges = make([]int, 5000)
	if _, err := b.svc.Hold(ctx, big); err == nil || len(err.Error()) > 200 || !strings.Contains(err.Error(), "at most 20 guests") {
		t.Errorf("a party of 5001: %.300v", err)
	}
	if _, err := booking.ParseParty("2-" + strings.Repeat("4,", 2000) + "4"); err == nil || len(err.Error()) > 200 {
		t.Errorf("occupancy of 2001 children: %.300v", err)
	}
	// A partner's key prices stays when it searches or books.
	reader := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RolePartner, Subject: "apikey:r", Scopes: []string{auth.ScopeReadBookings}})
	if _, err := b.svc.Quote(reader, booking.QuoteInput{HotelID: f.hotel.ID, CheckIn: day("2027-03-10"), CheckOut: day("2027-03-12"),
		Rooms: holdInput(f, "q", day("2027-03-10"), day("2027-03-12"), 1).Rooms}); code(err) != apperr.Forbidden {
		t.Errorf("a read:bookings key pricing a stay: %v, want FORBIDDEN", err)
	}
	// A quote checks the party as a hold does.
	in := holdInput(f, "quote", day("2027-03-10"), day("2027-03-12"), 1)
	in.Rooms[0].Party.Adults = -2
	_, err := b.svc.Quote(ctx, booking.QuoteInput{HotelID: in.HotelID, CheckIn: in.CheckIn, CheckOut: in.CheckOut, Rooms: in.Rooms})
	if all, _ := apperr.All(err); len(all) == 0 || all[0].Code != apperr.InvalidInput || !strings.Contains(all[0].Message, "at least one adult") {
		t.Errorf("quote for -2 adults: %v, want INVALID_INPUT: a room needs at least one adult", err)
	}
	var bookings int
	must(t, b.pool.QueryRow(b.admin, "SELECT count(*) FROM bookings").Scan(&bookings))
	if bookings != 0 {
		t.Fatalf("%d bookings written by failed holds", bookings)
	}
	b.assertInventoryConsistent(t)
}

func join(f []string) string {
	s := ""
	for i, p := range f {
		if i > 0 {
			s += "."
		}
		s += p
	}
	return s
}

// The terms a stay was sold under do not move when the hotel later changes
// its check-in time or time zone: deadlines count back from the check-in
// instant fixed at the hold.
func TestCancellationTermsAreFixedAtSale(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 1, price: 10000, policy: flexible})
	ctx := guest("cust-1")
	held, err := b.svc.Hold(ctx, holdInput(f, "h", day("2027-03-10"), day("2027-03-11"), 1))
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: pay("tok_success")})
	must(t, err)
	windows := func() string {
		t.Helper()
		got, err := b.svc.Booking(ctx, held.ID)
		must(t, err)
		w := penaltiesOf(t, b, ctx, got)
		var out []string
		for _, p := range w {
			out = append(out, fmt.Sprintf("%s..%s:%d", fmtTime(p.Start), fmtTime(p.End), p.Amount))
		}
		return strings.Join(out, " ")
	}
	// Check-in 2027-03-10 15:00 Paris: half from 72 h before, all from 24 h.
	const sold = "..2027-03-07T15:00:00+01:00:0 2027-03-07T15:00:00+01:00..2027-03-09T15:00:00+01:00:5000 2027-03-09T15:00:00+01:00..:10000"
	if got := windows(); got != sold {
		t.Fatalf("terms at sale %s, want %s", got, sold)
	}
	early, zone := catalog.TimeOfDay(6*60), "Europe/Lisbon"
	h, err := b.catalog.Hotel(b.admin, f.hotel.ID)
	must(t, err)
	_, err = b.catalog.UpdateHotel(b.admin, f.hotel.ID, h.Version, catalog.HotelPatch{CheckInTime: &early})
	must(t, err)
	if got := windows(); got != sold {
		t.Fatalf("after the hotel moved check-in to 06:00: %s, want %s", got, sold)
	}
	h, err = b.catalog.Hotel(b.admin, f.hotel.ID)
	must(t, err)
	_, err = b.catalog.UpdateHotel(b.admin, f.hotel.ID, h.Version, catalog.HotelPatch{TimeZone: &zone})
	must(t, err)
	// The same instants, shown in the hotel's new offset.
	const lisbon = "..2027-03-07T14:00:00Z:0 2027-03-07T14:00:00Z..2027-03-09T14:00:00Z:5000 2027-03-09T14:00:00Z..:10000"
	if got := windows(); got != lisbon {
		t.Fatalf("after the hotel moved zone: %s, want %s", got, lisbon)
	}
	// 2027-03-08 12:00 Paris: inside the half window under the terms sold.
	later := booking.NewService(b.pool, b.catalog, nil, nil, booking.Opts{Now: func() time.Time { return time.Date(2027, 3, 8, 11, 0, 0, 0, time.UTC) }})
	cancelled, _, err := later.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: held.ID})
	must(t, err)
	if cancelled.PenaltyAmount != 5000 || cancelled.RefundDue != 5000 {
		t.Fatalf("cancelled with penalty %d, refund %d; want 5000 and 5000", cancelled.PenaltyAmount, cancelled.RefundDue)
	}
}

// A booking that paid a deposit only keeps at most the deposit when it is
// cancelled: its penalty shows what was kept (it showed the terms' full
// amount, which nothing collects).
func TestPenaltyIsAtMostWhatWasPaid(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 1, price: 10000, taxBps: 1000, // the zero policy: non-refundable
		deposit: catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30}})
	ctx := guest("cust-1")
	held, err := b.svc.Hold(ctx, holdInput(f, "h", day("2027-03-10"), day("2027-03-12"), 1))
	must(t, err)
	// the terms say so before: the hold's once confirmed (its deposit), the
	// booking's as paid
	if got := penaltyTerms(t, b, ctx, held.ID); got != "..:6600" {
		t.Fatalf("a hold's terms %s, want what confirming pays (..:6600)", got)
	}
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: pay("tok_success")})
	must(t, err)
	if got := penaltyTerms(t, b, ctx, held.ID); got != "..:6600" {
		t.Fatalf("a confirmed booking's terms %s, want what was paid (..:6600)", got)
	}
	cancelled, refund, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: held.ID})
	must(t, err)
	if cancelled.PenaltyAmount != 6600 || cancelled.RefundDue != 0 || refund != nil {
		t.Fatalf("cancelled after a 30%% deposit of 22000: penalty %d, refund due %d, refund %+v; want the 6600 paid kept",
			cancelled.PenaltyAmount, cancelled.RefundDue, refund)
	}
	if got := b.cancellation(t, held.ID); got != "CANCELLED penalty 6600 refund_due 0 refunds 0" {
		t.Fatalf("in SQL: %s", got)
	}

	// paying the balance raises them to the terms' amount
	other, err := b.svc.Hold(ctx, holdInput(f, "h2", day("2027-03-10"), day("2027-03-12"), 1))
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c2", BookingID: other.ID, Payment: pay("tok_success")})
	must(t, err)
	_, err = b.svc.PayBalance(ctx, booking.PayBalanceInput{IdempotencyKey: "b2", BookingID: other.ID, Payment: pay("tok_success")})
	must(t, err)
	if got := penaltyTerms(t, b, ctx, other.ID); got != "..:22000" {
		t.Fatalf("terms once the balance is paid %s, want ..:22000", got)
	}
}

// A non-refundable booking costs everything it was paid to cancel, however
// early: its terms say so before the guest cancels, the cancellation keeps
// what was captured, and no refund is owed or recorded.
func TestCancellingANonRefundableBookingRefundsNothing(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 1, price: 10000, taxBps: 1000}) // the zero policy: non-refundable
	ctx := guest("cust-1")
	held, err := b.svc.Hold(ctx, holdInput(f, "h", day("2027-03-10"), day("2027-03-12"), 1))
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: pay("tok_success")})
	must(t, err)
	if got := penaltyTerms(t, b, ctx, held.ID); got != "..:22000" {
		t.Fatalf("terms of a non-refundable booking %s, want the full 22000 from now on", got)
	}

	// Nine days before arrival.
	cancelled, refund, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: held.ID})
	must(t, err)
	if cancelled.Status != booking.StatusCancelled || cancelled.PenaltyAmount != 22000 || cancelled.RefundDue != 0 || refund != nil {
		t.Fatalf("cancelled: %s, penalty %d, refund due %d, refund %+v; want CANCELLED, 22000 kept, nothing refunded",
			cancelled.Status, cancelled.PenaltyAmount, cancelled.RefundDue, refund)
	}
	if got := b.cancellation(t, held.ID); got != "CANCELLED penalty 22000 refund_due 0 refunds 0" {
		t.Fatalf("in SQL: %s", got)
	}
	l, err := ledgerOf(ctx, b.svc, held.ID)
	must(t, err)
	if l.Captured != 22000 || l.Refunded != 0 || l.Kept != 22000 {
		t.Fatalf("ledger %+v, want 22000 captured and kept", l)
	}
	if got := b.reserved(t, f.roomType.ID, day("2027-03-10"), day("2027-03-12")); got[0] != 0 || got[1] != 0 {
		t.Fatalf("reserved after cancel %v, want zeros", got)
	}
	b.assertInventoryConsistent(t)
}

// A booking of two rooms on different rate plans, one flexible (free until
// 72 h before check-in, then half, then all from 24 h) and one
// non-refundable, costs each room its own terms: the non-refundable room's
// total at any time, plus the flexible room's share of the window. The
// rooms' totals differ (22000 and 15400), so the amounts tell which room
// was charged what.
func TestCancellingRoomsOnDifferentRatePlans(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 6, price: 10000, taxBps: 1000, policy: flexible})
	nonRefundable := b.ratePlan(t, f, catalog.CancellationPolicy{}, catalog.DepositPolicy{Kind: catalog.DepositFull},
		time.Time{}, 7000)
	ctx := guest("cust-1")
	const flexTotal, nrTotal = 22000, 15400 // two nights each, 10% tax
	// Check-in 2027-03-10 15:00 Paris (14:00 UTC).
	cases := []struct {
		name    string
		at      time.Time
		penalty [2]int64 // per room: flexible, non-refundable
	}{
		{"inside the free window", time.Date(2027, 3, 5, 11, 0, 0, 0, time.UTC), [2]int64{0, nrTotal}},
		{"in the half window", time.Date(2027, 3, 8, 11, 0, 0, 0, time.UTC), [2]int64{flexTotal / 2, nrTotal}},
		{"on the last day", time.Date(2027, 3, 10, 2, 0, 0, 0, time.UTC), [2]int64{flexTotal, nrTotal}},
	}
	for i, c := range cases {
		in := holdInput(f, fmt.Sprint("h", i), day("2027-03-10"), day("2027-03-12"), 2)
		in.Rooms[1].RatePlanID = nonRefundable.ID
		held, err := b.svc.Hold(ctx, in)
		must(t, err)
		if _, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: fmt.Sprint("c", i), BookingID: held.ID, Payment: pay("tok_success")}); err != nil {
			t.Fatalf("%s: confirm: %v", c.name, err)
		}
		// Each room was sold on its own plan's terms.
		want := fmt.Sprintf("[%s true %d] [%s false %d]", f.plan.ID, flexTotal, nonRefundable.ID, nrTotal)
		if got := b.roomTerms(t, held.ID); got != want {
			t.Fatalf("%s: booked rooms %s, want %s", c.name, got, want)
		}
		if i == 0 {
			const terms = "..2027-03-07T15:00:00+01:00:15400 2027-03-07T15:00:00+01:00..2027-03-09T15:00:00+01:00:26400 2027-03-09T15:00:00+01:00..:37400"
			if got := penaltyTerms(t, b, ctx, held.ID); got != terms {
				t.Fatalf("terms %s, want %s", got, terms)
			}
		}

		at := setupClock(b, c.at)
		cancelled, refund, err := at.Cancel(ctx, booking.CancelInput{IdempotencyKey: fmt.Sprint("x", i), BookingID: held.ID})
		must(t, err)
		penalty := c.penalty[0] + c.penalty[1]
		refundDue := (flexTotal - c.penalty[0]) + (nrTotal - c.penalty[1])
		if cancelled.PenaltyAmount != penalty || cancelled.RefundDue != refundDue {
			t.Errorf("%s: penalty %d, refund due %d; want %d (flexible room %d, non-refundable room %d) and %d",
				c.name, cancelled.PenaltyAmount, cancelled.RefundDue, penalty, c.penalty[0], c.penalty[1], refundDue)
		}
		wantRefunds := 0
		if refundDue > 0 {
			wantRefunds = 1
			if refund == nil || refund.Amount != refundDue {
				t.Errorf("%s: refund %+v, want %d", c.name, refund, refundDue)
			}
		} else if refund != nil {
			t.Errorf("%s: refund %+v of nothing owed", c.name, refund)
		}
		if got, want := b.cancellation(t, held.ID), fmt.Sprintf("CANCELLED penalty %d refund_due %d refunds %d", penalty, refundDue, refundDue); got != want {
			t.Errorf("%s: in SQL %s, want %s", c.name, got, want)
		}
		if n := b.count(t, "SELECT count(*) FROM refunds WHERE booking_id = $1", held.ID); n != wantRefunds {
			t.Errorf("%s: %d refunds recorded, want %d", c.name, n, wantRefunds)
		}
		// Paid back, the ledger keeps exactly the penalty.
		if refund != nil {
			must(t, at.PayRefund(context.Background(), refund.ID))
		}
		l, err := ledgerOf(ctx, b.svc, held.ID)
		must(t, err)
		if l.Captured != flexTotal+nrTotal || l.Refunded != refundDue || l.Kept != penalty {
			t.Errorf("%s: ledger %+v, want %d captured, %d refunded, %d kept", c.name, l, flexTotal+nrTotal, refundDue, penalty)
		}
	}
	b.assertInventoryConsistent(t)
}

// penaltyTerms is what cancelling a booking costs over time, as its guest
// reads it: "start..end:amount" windows.
func penaltyTerms(t *testing.T, b testBundle, ctx context.Context, id uuid.UUID) string {
	t.Helper()
	got, err := b.svc.Booking(ctx, id)
	must(t, err)
	w := penaltiesOf(t, b, ctx, got)
	var out []string
	for _, p := range w {
		out = append(out, fmt.Sprintf("%s..%s:%d", fmtTime(p.Start), fmtTime(p.End), p.Amount))
	}
	return strings.Join(out, " ")
}

// cancellation reads a booking's status, penalty and refund due, and the sum
// of its refunds, from the database.
func (b testBundle) cancellation(t *testing.T, id uuid.UUID) string {
	t.Helper()
	var s string
	must(t, b.pool.QueryRow(context.Background(), `
		SELECT format('%s penalty %s refund_due %s refunds %s', status, penalty_amount, refund_due,
		              (SELECT coalesce(sum(amount), 0) FROM refunds r WHERE r.booking_id = bookings.id))
		FROM bookings WHERE id = $1`, id).Scan(&s))
	return s
}

// roomTerms reads each booked room's rate plan, whether the terms it was
// sold under are refundable, and its total, from the database.
func (b testBundle) roomTerms(t *testing.T, id uuid.UUID) string {
	t.Helper()
	return strings.Join(b.texts(t, `
		SELECT format('[%s %s %s]', rate_plan_id, cancellation_policy->'refundable', amount + tax_amount)
		FROM booking_rooms WHERE booking_id = $1 ORDER BY position`, id), " ")
}
