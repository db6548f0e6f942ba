package booking_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

// count runs a SELECT count(*) query and returns the count.
func (b testBundle) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	must(t, b.pool.QueryRow(b.admin, query, args...).Scan(&n))
	return n
}

// A retried hold (same key, same request) gets the first booking back and
// reserves nothing more; the same key with another request is refused and
// writes nothing.
func TestHoldRetryReturnsTheFirstBooking(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 3})
	ctx := guest("cust-1")
	checkIn, checkOut := day("2027-03-10"), day("2027-03-12")

	first, err := b.svc.Hold(ctx, holdInput(f, "hold-1", checkIn, checkOut, 1))
	must(t, err)
	again, err := b.svc.Hold(ctx, holdInput(f, "hold-1", checkIn, checkOut, 1))
	must(t, err)
	if again.ID != first.ID || again.Reference != first.Reference || again.Status != booking.StatusHeld {
		t.Fatalf("retry returned %s %s, want the first booking %s %s", again.ID, again.Reference, first.ID, first.Reference)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); got[0] != 1 || got[1] != 1 {
		t.Fatalf("reserved %v after a retried hold, want [1 1]", got)
	}

	// Same key, another stay.
	other := holdInput(f, "hold-1", checkIn.AddDate(0, 0, 5), checkOut.AddDate(0, 0, 5), 1)
	_, err = b.svc.Hold(ctx, other)
	if code(err) != booking.IdempotencyKeyReused {
		t.Fatalf("same key, different stay: %v, want IDEMPOTENCY_KEY_REUSED", err)
	}
	// Same key, same stay, another party size.
	twoRooms := holdInput(f, "hold-1", checkIn, checkOut, 2)
	if _, err := b.svc.Hold(ctx, twoRooms); code(err) != booking.IdempotencyKeyReused {
		t.Fatalf("same key, two rooms instead of one: %v, want IDEMPOTENCY_KEY_REUSED", err)
	}
	if n := b.count(t, "SELECT count(*) FROM bookings"); n != 1 {
		t.Fatalf("%d bookings after a reused key, want 1", n)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkIn.AddDate(0, 0, 7)); !slices.Equal(got, []int{1, 1, 0, 0, 0, 0, 0}) {
		t.Fatalf("reserved %v after a reused key, want only the first hold's nights", got)
	}
	// The refused request did not take over the key: the first request still replays.
	if again, err := b.svc.Hold(ctx, holdInput(f, "hold-1", checkIn, checkOut, 1)); err != nil || again.ID != first.ID {
		t.Fatalf("replay after a refused reuse: %v %v", again.ID, err)
	}
	b.assertInventoryConsistent(t)
}

// A retry of the hold that took the last room gets that hold back, not
// SOLD_OUT; so does a retry after the price changed.
func TestHoldRetryOfTheLastRoomReturnsTheFirstBooking(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 1})
	ctx := guest("cust-1")
	checkIn, checkOut := day("2027-03-10"), day("2027-03-12")
	in := holdInput(f, "last-room", checkIn, checkOut, 1)
	q, err := b.svc.Quote(ctx, booking.QuoteInput{HotelID: in.HotelID, CheckIn: checkIn, CheckOut: checkOut, Rooms: in.Rooms})
	must(t, err)
	in.ExpectedTotal = &q.Total
	first, err := b.svc.Hold(ctx, in)
	must(t, err)
	if _, err := b.svc.Hold(ctx, holdInput(f, "someone-else", checkIn, checkOut, 1)); code(err) != booking.SoldOut {
		t.Fatalf("another hold of the last room: %v, want SOLD_OUT", err)
	}
	again, err := b.svc.Hold(ctx, in)
	if err != nil || again.ID != first.ID {
		t.Fatalf("retry of the hold that took the last room: %v %v, want the first booking %v", again.ID, err, first.ID)
	}
	_, _, err = b.catalog.SetRates(b.admin, f.plan.ID, checkIn, checkOut, 99999)
	must(t, err)
	again, err = b.svc.Hold(ctx, in)
	if err != nil || again.ID != first.ID {
		t.Fatalf("retry after the price changed: %v %v, want the first booking %v", again.ID, err, first.ID)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); !slices.Equal(got, []int{1, 1}) {
		t.Fatalf("reserved %v, want [1 1]", got)
	}
	b.assertInventoryConsistent(t)
}

// Keys belong to the caller: two people who happen to pick the same key get
// two bookings.
func TestIdempotencyKeysAreScopedToThePrincipal(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 3})
	checkIn, checkOut := day("2027-03-10"), day("2027-03-11")
	in := holdInput(f, "order-1", checkIn, checkOut, 1)

	a, err := b.svc.Hold(guest("alice"), in)
	must(t, err)
	bb, err := b.svc.Hold(guest("bob"), in)
	must(t, err)
	if a.ID == bb.ID || a.Reference == bb.Reference {
		t.Fatalf("two people with the same key share booking %s", a.ID)
	}
	// Another request under Bob's key is refused even though Alice's first key is untouched.
	if _, err := b.svc.Hold(guest("bob"), holdInput(f, "order-1", checkIn, checkOut, 2)); code(err) != booking.IdempotencyKeyReused {
		t.Fatalf("bob reusing his key: %v", err)
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); got[0] != 2 {
		t.Fatalf("reserved %v, want 2", got)
	}
	b.assertInventoryConsistent(t)
}

// An idempotency key is 1 to 200 characters, as the error says: a key of
// 60 emoji (240 bytes) is one, a key of 201 letters is not.
func TestIdempotencyKeysAreCountedInCharacters(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 3})
	checkIn, checkOut := day("2027-03-10"), day("2027-03-11")
	emoji := strings.Repeat("🛏", 60)
	held, err := b.svc.Hold(guest("alice"), holdInput(f, emoji, checkIn, checkOut, 1))
	must(t, err)
	again, err := b.svc.Hold(guest("alice"), holdInput(f, emoji, checkIn, checkOut, 1))
	if err != nil || again.ID != held.ID {
		t.Fatalf("the retry under the 60-emoji key: %v, %s; want booking %s", err, again.ID, held.ID)
	}
	_, err = b.svc.Hold(guest("alice"), holdInput(f, strings.Repeat("k", 201), checkIn, checkOut, 1))
	if all, _ := apperr.All(err); len(all) != 1 || join(all[0].Field) != "input.idempotencyKey" || all[0].Message != "give an idempotency key of 1 to 200 characters" {
		t.Fatalf("a 201-letter key: %v, want INVALID_INPUT on input.idempotencyKey", err)
	}
}

// A client that times out and retries many times at once still books once:
// every request gets the one booking, none sees an error.
func TestConcurrentRetriesOfOneHoldBookOnce(t *testing.T) {
	t.Parallel()
	const retries = 20
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{rooms: 3})
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 14)
	ctx := guest("cust-1")

	ids := make([]uuid.UUID, retries)
	errs := make([]error, retries)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range retries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			// Each retry decodes its own copy of the same request.
			in := holdInput(f, "flaky-network", checkIn, checkIn.AddDate(0, 0, 3), 1)
			var held booking.Booking
			held, errs[i] = b.svc.Hold(ctx, in)
			ids[i] = held.ID
		}()
	}
	close(ready)
	wg.Wait()

	if n := b.count(t, "SELECT count(*) FROM bookings"); n != 1 {
		t.Fatalf("%d bookings from one request sent %d times, want 1", n, retries)
	}
	var want uuid.UUID
	must(t, b.pool.QueryRow(b.admin, "SELECT id FROM bookings").Scan(&want))
	for i := range retries {
		if errs[i] != nil || ids[i] != want {
			t.Errorf("request %d: booking %s, error %v; want booking %s", i, ids[i], errs[i], want)
		}
	}
	if got := b.reserved(t, f.roomType.ID, checkIn, checkIn.AddDate(0, 0, 3)); !slices.Equal(got, []int{1, 1, 1}) {
		t.Fatalf("reserved %v, want [1 1 1]", got)
	}
	b.assertInventoryConsistent(t)
}

// A retried confirmation returns the confirmed booking and charges once.
func TestConfirmRetryChargesOnce(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{})
	ctx := guest("cust-1")
	held, err := b.svc.Hold(ctx, holdInput(f, "hold", day("2027-03-10"), day("2027-03-12"), 1))
	must(t, err)
	in := booking.ConfirmInput{IdempotencyKey: "confirm", BookingID: held.ID, Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}}

	first, err := b.svc.Confirm(ctx, in)
	must(t, err)
	again, err := b.svc.Confirm(ctx, in)
	must(t, err)
	if again.ID != held.ID || again.Status != booking.StatusConfirmed || again.Version != first.Version {
		t.Fatalf("replayed confirmation %+v, want the first result %+v", again, first)
	}
	if n := b.count(t, "SELECT count(*) FROM payments WHERE booking_id = $1", held.ID); n != 1 {
		t.Fatalf("%d payments after a retried confirmation, want 1", n)
	}
	if n := b.count(t, "SELECT coalesce(sum(captured_amount), 0)::int FROM payments WHERE booking_id = $1", held.ID); int64(n) != held.Total {
		t.Fatalf("captured %d, want %d", n, held.Total)
	}
	// The same key with another card is a different request.
	other := in
	other.Payment = &booking.PaymentInput{Provider: "sandbox", Token: "tok_visa"}
	if _, err := b.svc.Confirm(ctx, other); code(err) != booking.IdempotencyKeyReused {
		t.Fatalf("same key, another card: %v", err)
	}
	// A fresh key on a confirmed booking is refused, and charges nothing.
	fresh := in
	fresh.IdempotencyKey = "confirm-2"
	if _, err := b.svc.Confirm(ctx, fresh); code(err) != booking.InvalidState {
		t.Fatalf("confirming twice with a new key: %v", err)
	}
	if n := b.count(t, "SELECT count(*) FROM payments WHERE booking_id = $1", held.ID); n != 1 {
		t.Fatalf("%d payments, want 1", n)
	}
}

// A client retrying its confirmation while the first attempt is still under
// way is never charged twice, and the booking ends up confirmed.
func TestConcurrentRetriesOfOneConfirmChargeOnce(t *testing.T) {
	t.Parallel()
	b, held, results, errs := confirmConcurrently(t, 10)
	if n := b.count(t, "SELECT count(*) FROM payments WHERE booking_id = $1", held.ID); n != 1 {
		t.Fatalf("%d payments from one confirmation sent %d times, want 1", n, len(errs))
	}
	succeeded := 0
	for i := range errs {
		if errs[i] == nil && results[i].Status == booking.StatusConfirmed {
			succeeded++
		}
	}
	if succeeded == 0 {
		t.Fatalf("no retry got the confirmed booking: %v", errs)
	}
	final, err := b.svc.Booking(guest("cust-1"), held.ID)
	must(t, err)
	if final.Status != booking.StatusConfirmed || final.PaymentInFlight {
		t.Fatalf("after the retries: %+v", final)
	}
}

// Every concurrent retry of one confirmation is told the truth: the
// confirmed booking, or PAYMENT_PENDING while the first attempt is under way.
// INVALID_STATE ("the booking is no longer held" / "changed meanwhile") would
// make a client believe its booking failed and book again.
func TestConcurrentRetriesOfOneConfirmGetTheFirstResult(t *testing.T) {
	t.Parallel()
	_, _, results, errs := confirmConcurrently(t, 10)
	for i := range errs {
		switch {
		case errs[i] == nil && results[i].Status == booking.StatusConfirmed:
		case code(errs[i]) == booking.PaymentPending:
		default:
			t.Errorf("retry %d: %v (booking status %q); want the confirmed booking or PAYMENT_PENDING", i, errs[i], results[i].Status)
		}
	}
}

// confirmConcurrently holds a room and sends one confirmation (same key,
// same card) retries times at once.
func confirmConcurrently(t *testing.T, retries int) (testBundle, booking.Booking, []booking.Booking, []error) {
	t.Helper()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{})
	ctx := guest("cust-1")
	held, err := b.svc.Hold(ctx, holdInput(f, "hold", day("2027-03-10"), day("2027-03-12"), 1))
	must(t, err)
	in := booking.ConfirmInput{IdempotencyKey: "confirm", BookingID: held.ID, Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}}

	results := make([]booking.Booking, retries)
	errs := make([]error, retries)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range retries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			results[i], errs[i] = b.svc.Confirm(ctx, in)
		}()
	}
	close(ready)
	wg.Wait()
	return b, held, results, errs
}

// Two browser tabs, or a retry under a new idempotency key: different
// confirmations of one hold race, each with a card that pays. The hold is
// charged once; every other request learns the booking is confirmed (it
// gets the confirmed booking, charged nothing, and so does its retry) or
// that it changed (INVALID_STATE, PAYMENT_PENDING), never an internal error.
func TestDifferentConfirmationsOfOneHoldChargeOnce(t *testing.T) {
	t.Parallel()
	const tabs = 10
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	b.svc = slowPayments(b)
	f := b.fixture(t, fixtureOpts{})
	ctx := guest("cust-1")
	held, err := b.svc.Hold(ctx, holdInput(f, "hold", day("2027-03-10"), day("2027-03-12"), 1))
	must(t, err)

	results := make([]booking.Booking, tabs)
	errs := race(tabs, func(i int) (err error) {
		results[i], err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: fmt.Sprint("tab-", i), BookingID: held.ID, Payment: slowly("tok_success")})
		return err
	})

	if got := fmt.Sprint(b.paymentStatuses(t, held.ID)); got != fmt.Sprintf("[CAPTURED:%d/%d]", held.DepositDue, held.DepositDue) {
		t.Fatalf("payments %s from %d confirmations of one hold, want one capture of %d", got, tabs, held.DepositDue)
	}
	b.assertPaid(t, held.ID, held.DepositDue)
	confirmed := 0
	for i, err := range errs {
		switch {
		case err == nil && results[i].Status == booking.StatusConfirmed && results[i].ID == held.ID:
			confirmed++
		case err != nil && (code(err) == booking.InvalidState || code(err) == booking.PaymentPending):
		default:
			t.Errorf("tab %d: %v (code %q, booking status %q); want the confirmed booking, INVALID_STATE or PAYMENT_PENDING", i, err, code(err), results[i].Status)
		}
	}
	if confirmed == 0 {
		t.Fatalf("no tab got the confirmed booking: %v", errs)
	}
	// Each tab's retry gets the answer the tab got: a tab told the booking
	// is confirmed is told so again, not that it cannot be confirmed.
	for i, err := range errs {
		if err != nil {
			continue
		}
		again, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: fmt.Sprint("tab-", i), BookingID: held.ID, Payment: slowly("tok_success")})
		if err != nil || again.ID != held.ID || again.Status != booking.StatusConfirmed {
			t.Errorf("retry of tab %d, which got the confirmed booking: %v (code %q)", i, err, code(err))
		}
	}
	final, err := b.svc.Booking(ctx, held.ID)
	must(t, err)
	if final.Status != booking.StatusConfirmed || final.PaymentInFlight {
		t.Fatalf("after the race: %s, payment in flight %v; want CONFIRMED, settled", final.Status, final.PaymentInFlight)
	}
}

// Different balance payments of one confirmed booking race: the balance is
// charged once, one request gets the paid booking, and every other is
// INVALID_STATE (nothing left to pay, or the booking changed) or
// PAYMENT_PENDING, never an internal error.
func TestDifferentBalancePaymentsOfOneBookingChargeOnce(t *testing.T) {
	t.Parallel()
	const tabs = 10
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	b.svc = slowPayments(b)
	f := b.fixture(t, fixtureOpts{price: 10000, deposit: catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30}})
	ctx := guest("cust-1")
	held, err := b.svc.Hold(ctx, holdInput(f, "hold", day("2027-03-10"), day("2027-03-12"), 1)) // 200.00, 60.00 up front
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "confirm", BookingID: held.ID, Payment: slowly("tok_success")})
	must(t, err)

	results := make([]booking.Booking, tabs)
	errs := race(tabs, func(i int) (err error) {
		results[i], err = b.svc.PayBalance(ctx, booking.PayBalanceInput{IdempotencyKey: fmt.Sprint("tab-", i), BookingID: held.ID, Payment: slowly("tok_success")})
		return err
	})

	if got := fmt.Sprint(b.paymentStatuses(t, held.ID)); got != "[CAPTURED:6000/6000 CAPTURED:14000/14000]" {
		t.Fatalf("payments %s after %d balance payments, want the deposit and one balance", got, tabs)
	}
	b.assertPaid(t, held.ID, 20000)
	paid := 0
	for i, err := range errs {
		switch {
		case err == nil && results[i].ID == held.ID:
			paid++
		case err != nil && (code(err) == booking.InvalidState || code(err) == booking.PaymentPending):
		default:
			t.Errorf("tab %d: %v (code %q); want the paid booking, INVALID_STATE or PAYMENT_PENDING", i, err, code(err))
		}
	}
	if paid != 1 {
		t.Errorf("%d balance payments succeeded, want 1: %v", paid, errs)
	}
	final, err := b.svc.Booking(ctx, held.ID)
	must(t, err)
	if final.Status != booking.StatusConfirmed || final.PaymentInFlight {
		t.Fatalf("after the race: %s, payment in flight %v; want CONFIRMED, settled", final.Status, final.PaymentInFlight)
	}
}

// slow is the sandbox provider taking a moment to answer a charge, as real
// ones do: the time in which a second tab's request arrives.
type slow struct{ *sandbox.Provider }

func (slow) Name() string { return "slow" }

func (p slow) Charge(ctx context.Context, req payment.ChargeRequest) (payment.ChargeResult, error) {
	time.Sleep(300 * time.Millisecond)
	return p.Provider.Charge(ctx, req)
}

// slowPayments is b's service, on b's clock, paid through the slow provider.
func slowPayments(b testBundle) *booking.Service {
	return booking.NewService(b.pool, b.catalog, payment.NewRegistry(slow{sandbox.New()}), nil, booking.Opts{Now: func() time.Time { return b.now }})
}

// slowly pays with token through the slow provider.
func slowly(token string) *booking.PaymentInput {
	return &booking.PaymentInput{Provider: "slow", Token: token}
}

// race runs f(0) to f(n-1) at once and returns their errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			errs[i] = f(i)
		}()
	}
	close(ready)
	wg.Wait()
	return errs
}

// assertPaid checks, in SQL, that a booking's captured payments add up to
// amount and that its ledger, as guests and staff read it, says the same.
func (b testBundle) assertPaid(t *testing.T, id uuid.UUID, amount int64) {
	t.Helper()
	if n := b.count(t, "SELECT coalesce(sum(captured_amount), 0)::int FROM payments WHERE booking_id = $1 AND status = 'CAPTURED'", id); int64(n) != amount {
		t.Fatalf("%d captured in SQL, want %d", n, amount)
	}
	l, err := ledgerOf(b.admin, b.svc, id)
	must(t, err)
	if l.Captured != amount || l.Kept != amount {
		t.Fatalf("ledger %+v, want %d paid", l, amount)
	}
}

// Hold normalises names and contacts on its own copy: the caller's input
// is not written to (callers may share one input between goroutines, as a
// retry loop does).
func TestHoldLeavesTheCallersInputAlone(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{})
	in := holdInput(f, "hold", day("2027-03-10"), day("2027-03-12"), 1)
	in.Rooms[0].Guests[0].GivenName = "  Ana  "
	held, err := b.svc.Hold(guest("cust-1"), in)
	must(t, err)
	if got := in.Rooms[0].Guests[0].GivenName; got != "  Ana  " {
		t.Errorf("Hold rewrote the caller's guest name to %q", got)
	}
	guests, err := b.svc.GuestsOf(b.admin, []uuid.UUID{held.ID})
	must(t, err)
	if g := guests[held.ID]; len(g) != 1 || g[0].GivenName != "Ana" {
		t.Errorf("stored guests %+v, want the trimmed name Ana", g)
	}
}

// A second confirmation under another key that finds the deposit already
// paid by the first, and the booking confirmed by it a moment later, has
// succeeded too: it gets the confirmed booking, and so does its retry (its
// key keeps that answer, not INVALID_STATE). The two are made to meet on
// the booking's row: both wait to confirm it while the test holds its lock.
func TestASecondConfirmationThatFindsTheDepositPaidKeepsItsAnswer(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	b.svc = slowPayments(b)
	f := b.fixture(t, fixtureOpts{})
	ctx := guest("cust-1")
	held, err := b.svc.Hold(ctx, holdInput(f, "hold", day("2027-03-10"), day("2027-03-12"), 1))
	must(t, err)
	bg := context.Background()
	confirm := func(key string) (booking.Booking, error) {
		return b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: key, BookingID: held.ID, Payment: slowly("tok_success")})
	}
	type answer struct {
		b   booking.Booking
		err error
	}
	first, second := make(chan answer, 1), make(chan answer, 1)

	// The first confirmation is charging (its attempt is recorded): lock the
	// booking's row, so that once the charge is recorded it waits to confirm.
	go func() { bk, err := confirm("first"); first <- answer{bk, err} }()
	for deadline := time.Now().Add(10 * time.Second); b.count(t, `SELECT count(*) FROM payments WHERE booking_id = $1`, held.ID) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the first confirmation recorded no payment attempt")
		}
		time.Sleep(5 * time.Millisecond)
	}
	lock, err := b.pool.Begin(bg)
	must(t, err)
	defer lock.Rollback(bg) //nolint:errcheck
	_, err = lock.Exec(bg, `SELECT FROM bookings WHERE id = $1 FOR UPDATE`, held.ID)
	must(t, err)
	waitForLockWait(t, b, "%ConfirmBooking%")
	// The second reads the booking still held and the deposit paid: nothing
	// to charge, it waits to confirm as well.
	go func() { bk, err := confirm("second"); second <- answer{bk, err} }()
	for deadline := time.Now().Add(10 * time.Second); b.count(t,
		`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%ConfirmBooking%'`) < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the second confirmation does not wait to confirm the booking")
		}
		time.Sleep(5 * time.Millisecond)
	}
	must(t, lock.Rollback(bg))

	for name, ch := range map[string]chan answer{"first": first, "second": second} {
		a := <-ch
		if a.err != nil || a.b.Status != booking.StatusConfirmed {
			t.Errorf("%s confirmation: %v (code %q), status %q; want the confirmed booking", name, a.err, code(a.err), a.b.Status)
		}
		again, err := confirm(name)
		if err != nil || again.Status != booking.StatusConfirmed {
			t.Errorf("retry of the %s confirmation: %v (code %q); want the confirmed booking again", name, err, code(err))
		}
	}
	if got := fmt.Sprint(b.paymentStatuses(t, held.ID)); got != fmt.Sprintf("[CAPTURED:%d/%d]", held.DepositDue, held.DepositDue) {
		t.Fatalf("payments %s, want one capture of %d", got, held.DepositDue)
	}
}
