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
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

// twoTypes is a hotel with two doubles and one family room, each type with
// a rate plan paid in full up front.
func (b testBundle) twoTypes(t *testing.T) (doubles, family fixture) {
	t.Helper()
	doubles = b.fixture(t, fixtureOpts{rooms: 2, price: 10000})
	rt, err := b.catalog.CreateRoomType(b.admin, doubles.hotel.ID,
		catalog.RoomTypeFields{Name: "Family", MaxAdults: 2, MaxChildren: 2, MaxOccupancy: 4})
	must(t, err)
	rooms, err := b.svc.AddRooms(b.admin, b.catalog, rt.ID, []string{"201"})
	must(t, err)
	family = fixture{hotel: doubles.hotel, roomType: rt, rooms: rooms}
	family.plan = b.ratePlan(t, family, catalog.CancellationPolicy{}, catalog.DepositPolicy{Kind: catalog.DepositFull},
		time.Time{}, 18000)
	return doubles, family
}

// groupInput holds a double and the family room.
func groupInput(doubles, family fixture, key string, checkIn, checkOut time.Time) booking.HoldInput {
	in := holdInput(doubles, key, checkIn, checkOut, 1)
	in.Rooms = append(in.Rooms, holdInput(family, key, checkIn, checkOut, 1).Rooms...)
	return in
}

// A hold whose double maintenance takes is released whole at once: its
// family room goes back on sale right away (not when the hold would have
// lapsed), the part of the deposit it had paid is refunded as on expiry, and
// it is no relocation for staff to handle.
func TestMaintenanceReleasesTheWholeHoldAtOnce(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	doubles, family := b.twoTypes(t)
	staff := staffOf(doubles.hotel.ID)
	in, out := day("2027-04-10"), day("2027-04-13")
	older := b.book(t, guest("older"), doubles, "older", in, out)
	ctx := guest("group")
	held, err := b.svc.Hold(ctx, groupInput(doubles, family, "group", in, out))
	must(t, err)
	if _, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: pay("tok_giftcard_3000")}); code(err) != booking.PaymentPartial {
		t.Fatalf("paying part of the deposit: %v, want PAYMENT_PARTIAL", err)
	}
	if got := b.reserved(t, family.roomType.ID, in, out); !slices.Equal(got, []int{1, 1, 1}) {
		t.Fatalf("family room reserved %v before the block", got)
	}

	_, affected, err := b.svc.BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{doubles.rooms[0].ID},
		From: day("2027-04-11"), To: day("2027-04-12"), Reason: "leak", Force: true})
	must(t, err)
	if len(affected) != 1 || affected[0].ID != held.ID || affected[0].Status != booking.StatusExpired {
		t.Fatalf("affected %+v, want the group hold, now EXPIRED", affected)
	}
	got, err := b.svc.Booking(ctx, held.ID)
	must(t, err)
	if got.Status != booking.StatusExpired || !got.RelocationRequired || got.RefundDue != 3000 || got.PaymentInFlight {
		t.Fatalf("the hold after the block: %s, relocation %v, refund due %d; want EXPIRED, flagged, owing the 3000 back",
			got.Status, got.RelocationRequired, got.RefundDue)
	}
	if rel, err := relocationsOf(staff, b.svc, doubles.hotel.ID); err != nil || len(rel) != 0 {
		t.Fatalf("relocations %v %v: a released hold is nobody to move", relocationIDs(rel), err)
	}
	// Every unit of the hold is back at once: the family room on every
	// night, the double on the nights around the block.
	if got := b.reserved(t, family.roomType.ID, in, out); !slices.Equal(got, []int{0, 0, 0}) {
		t.Fatalf("family room reserved %v after the block, want none", got)
	}
	if got := b.reserved(t, doubles.roomType.ID, in, out); !slices.Equal(got, []int{1, 1, 1}) {
		t.Fatalf("doubles reserved %v after the block, want the older booking's only", got)
	}
	q, err := b.svc.Quote(guest("next"), booking.QuoteInput{HotelID: family.hotel.ID, CheckIn: in, CheckOut: out,
		Rooms: holdInput(family, "q", in, out, 1).Rooms})
	must(t, err)
	if !q.Available || q.Rooms[0].UnitsLeft != 1 {
		t.Fatalf("quote of the family room: available %v, %d left; want it free", q.Available, q.Rooms[0].UnitsLeft)
	}
	if _, err := b.svc.Hold(guest("next"), holdInput(family, "next", in, out, 1)); err != nil {
		t.Fatalf("holding the released family room: %v", err)
	}
	if _, err := b.svc.Hold(guest("next"), holdInput(doubles, "next-double", in, day("2027-04-11"), 1)); err != nil {
		t.Fatalf("holding the released double before the block: %v", err)
	}

	// The partial payment goes back as on expiry: one refund of it, paid by
	// its job; the ledger keeps nothing.
	refund := b.refundOf(t, held.ID)
	if refund.Amount != 3000 || refund.Status != "PENDING" {
		t.Fatalf("refund %+v, want 3000 PENDING", refund)
	}
	must(t, b.svc.PayRefund(context.Background(), refund.ID))
	if l := b.ledger(t, held.ID); l != [3]int64{3000, 3000, 0} {
		t.Fatalf("ledger %v, want 3000 captured and refunded, nothing kept", l)
	}
	if _, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c2", BookingID: held.ID, Payment: pay("tok_success")}); code(err) != booking.HoldExpired {
		t.Fatalf("confirming the released hold: %v, want HOLD_EXPIRED", err)
	}
	// The hold's expiry job, at its time, has nothing left to do.
	if _, err := setupClock(b, now.Add(time.Hour)).ExpireHold(context.Background(), held.ID); err != nil {
		t.Fatal(err)
	}
	if n := b.count(t, "SELECT count(*) FROM refunds WHERE booking_id = $1", held.ID); n != 1 {
		t.Fatalf("%d refunds, want one", n)
	}
	if again, err := b.svc.Booking(b.admin, older.ID); err != nil || again.RelocationRequired {
		t.Fatalf("the older booking: %+v %v", again, err)
	}
	b.assertInventoryConsistent(t)
}

// blocking is the sandbox provider during whose charge staff block the
// rooms: maintenance takes a hold while it is being paid.
type blocking struct {
	*sandbox.Provider
	block func()
}

func (blocking) Name() string { return "blocking" }

func (p blocking) Charge(ctx context.Context, req payment.ChargeRequest) (payment.ChargeResult, error) {
	p.block()
	return p.Provider.Charge(ctx, req)
}

// A hold maintenance takes while its deposit is being charged cannot be
// released mid-charge; once the charge is captured the hold is not
// confirmed but released, its other room back on sale and the money
// refunded, in the transaction that records the outcome.
func TestHoldTakenWhileBeingPaidIsReleasedOnceCharged(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	doubles, family := b.twoTypes(t)
	in, out := day("2027-04-10"), day("2027-04-12")
	b.book(t, guest("older"), doubles, "older", in, out)
	var affected []booking.AffectedBooking
	var blockErr error
	provider := blocking{Provider: sandbox.New(), block: func() {
		_, affected, blockErr = b.svc.BlockRooms(staffOf(doubles.hotel.ID), b.catalog, booking.BlockInput{
			RoomIDs: []uuid.UUID{doubles.rooms[0].ID}, From: in, To: out, Reason: "leak", Force: true})
	}}
	svc := booking.NewService(b.pool, b.catalog, payment.NewRegistry(provider), nil, booking.Opts{Now: func() time.Time { return now }})
	ctx := guest("group")
	held, err := svc.Hold(ctx, groupInput(doubles, family, "group", in, out))
	must(t, err)
	_, err = svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID,
		Payment: &booking.PaymentInput{Provider: "blocking", Token: "tok_success"}})
	if code(err) != booking.InvalidState {
		t.Fatalf("confirming a hold taken while it was paid: %v, want INVALID_STATE", err)
	}
	must(t, blockErr)
	if len(affected) != 1 || affected[0].ID != held.ID || affected[0].Status != booking.StatusHeld {
		t.Fatalf("affected %+v, want the hold, HELD while it is being paid", affected)
	}
	got, err := svc.Booking(ctx, held.ID)
	must(t, err)
	if got.Status != booking.StatusExpired || got.PaymentInFlight || got.RefundDue != held.Total {
		t.Fatalf("after the charge: %s, in flight %v, refund due %d; want EXPIRED owing the %d charged back",
			got.Status, got.PaymentInFlight, got.RefundDue, held.Total)
	}
	if r := b.refundOf(t, held.ID); r.Amount != held.Total {
		t.Fatalf("refund %+v, want %d", r, held.Total)
	}
	if got := b.reserved(t, family.roomType.ID, in, out); !slices.Equal(got, []int{0, 0}) {
		t.Fatalf("family room reserved %v, want it back on sale", got)
	}
	b.assertInventoryConsistent(t)
}

// pauseBefore holds the first query whose text contains sql until release
// is closed, after closing paused: a request stopped at a known step.
type pauseBefore struct {
	sql             string
	once            sync.Once
	paused, release chan struct{}
}

func (p *pauseBefore) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if strings.Contains(data.SQL, p.sql) {
		p.once.Do(func() {
			close(p.paused)
			<-p.release
		})
	}
	return ctx
}

func (p *pauseBefore) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// A hold with nothing to pay up front that maintenance takes after its
// confirmation has checked it (and before it confirms) is not confirmed:
// the request says maintenance took its rooms, as it would have said
// before, and the hold stays released with its units back on sale.
func TestHoldTakenWhileBeingConfirmedIsNotConfirmed(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 1, deposit: catalog.DepositPolicy{Kind: catalog.DepositPayAtHotel}})
	in, out := day("2027-04-10"), day("2027-04-12")
	ctx := guest("late")
	held, err := b.svc.Hold(ctx, holdInput(f, "late", in, out, 1))
	must(t, err)

	// The confirmation runs on its own pool, paused when it asks what was
	// paid: after it found the hold confirmable, before it confirms it.
	pause := &pauseBefore{sql: "sum(captured_amount)", paused: make(chan struct{}), release: make(chan struct{})}
	cfg, err := pgxpool.ParseConfig(b.pool.Config().ConnString())
	must(t, err)
	cfg.ConnConfig.Tracer = pause
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	must(t, err)
	t.Cleanup(pool.Close)
	svc := booking.NewService(pool, b.catalog, payment.NewRegistry(sandbox.New()), nil, booking.Opts{Now: func() time.Time { return now }})
	confirmErr := make(chan error, 1)
	go func() {
		_, err := svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID})
		confirmErr <- err
	}()
	select {
	case <-pause.paused:
	case err := <-confirmErr:
		t.Fatalf("the confirmation ended before it asked what was paid: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the confirmation never asked what was paid")
	}

	_, affected, err := b.svc.BlockRooms(staffOf(f.hotel.ID), b.catalog, booking.BlockInput{
		RoomIDs: []uuid.UUID{f.rooms[0].ID}, From: in, To: out, Reason: "leak", Force: true})
	must(t, err)
	if len(affected) != 1 || affected[0].ID != held.ID || affected[0].Status != booking.StatusExpired {
		t.Fatalf("affected %+v, want the hold, released", affected)
	}
	close(pause.release)
	if err := <-confirmErr; code(err) != booking.HoldExpired || !strings.Contains(err.Error(), "maintenance") {
		t.Fatalf("confirming the hold maintenance took meanwhile: %v, want HOLD_EXPIRED saying maintenance took its rooms", err)
	}
	got, err := b.svc.Booking(ctx, held.ID)
	must(t, err)
	if got.Status != booking.StatusExpired || !got.RelocationRequired {
		t.Fatalf("the hold: %s, relocation %v; want EXPIRED and flagged", got.Status, got.RelocationRequired)
	}
	if got := b.reserved(t, f.roomType.ID, in, out); !slices.Equal(got, []int{0, 0}) {
		t.Fatalf("reserved %v, want nothing: the hold's units went back and the room is blocked", got)
	}
	b.assertInventoryConsistent(t)
}

// A group (a double and the family room) whose family room a forced block
// takes on its first night keeps its double. The works end early and the
// guests arrive on the second day: check-in claims the family room from that
// day on, while the double still holds its first night, booked and paid. The
// inventory counts both as they are.
func TestAGroupRelocatedInPartArrivingLateKeepsItsOtherRoomsNights(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	doubles, family := b.twoTypes(t)
	staff := staffOf(doubles.hotel.ID)
	in, out := day("2027-04-10"), day("2027-04-13")
	ctx := guest("group")
	held, err := b.svc.Hold(ctx, groupInput(doubles, family, "group", in, out))
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: pay("tok_success")})
	must(t, err)
	blocks, affected, err := b.svc.BlockRooms(staff, b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{family.rooms[0].ID},
		From: in, To: in.AddDate(0, 0, 1), Reason: "leak", Force: true})
	must(t, err)
	if len(affected) != 1 || affected[0].ID != held.ID {
		t.Fatalf("the block flagged %+v, want the group", affected)
	}
	b.assertInventoryConsistent(t)
	_, err = endBlock(staff, b.svc, blocks[0], "")
	must(t, err)
	// 10:00 on the 11th in Paris
	got, err := setupClock(b, time.Date(2027, 4, 11, 8, 0, 0, 0, time.UTC)).CheckIn(staff, held.ID)
	must(t, err)
	if got.Status != booking.StatusCheckedIn {
		t.Fatalf("checked in: %+v", got)
	}
	doublesHeld, familyHeld := b.reserved(t, doubles.roomType.ID, in, out), b.reserved(t, family.roomType.ID, in, out)
	if fmt.Sprint(doublesHeld) != "[1 1 1]" || fmt.Sprint(familyHeld) != "[0 1 1]" {
		t.Fatalf("reserved: doubles %v, family %v; want [1 1 1] and [0 1 1]", doublesHeld, familyHeld)
	}
	b.assertInventoryConsistent(t)
}
