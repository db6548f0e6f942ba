package booking_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

// A hold paid in part by a gift card (PAYMENT_PARTIAL) lapses; its expiry
// refunds the part. A retry of that confirmation is HOLD_EXPIRED, not the
// EXPIRED booking as a success, before or after the refund is paid (payment
// CAPTURED, then REFUNDED).
func TestAPartlyPaidConfirmationRetriedAfterExpiryIsHoldExpired(t *testing.T) {
	t.Parallel()
	now := time.Now()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{price: 10000})
	ctx := guest("lapsed")
	checkIn := booking.Date(now).AddDate(0, 0, 10)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	in := booking.ConfirmInput{IdempotencyKey: "c1", BookingID: h.ID, Payment: pay("tok_giftcard_3000")}
	if _, err := b.svc.Confirm(ctx, in); code(err) != booking.PaymentPartial {
		t.Fatalf("gift card: %v, want PAYMENT_PARTIAL", err)
	}
	later := booking.NewService(b.pool, b.catalog, nil, nil, booking.Opts{Now: func() time.Time { return now.Add(time.Hour) }})
	_, err = later.ExpireHold(ctx, h.ID)
	must(t, err)
	got, err := b.svc.Confirm(ctx, in)
	if code(err) != booking.HoldExpired {
		t.Errorf("retry after expiry (payment CAPTURED, refund pending): status %s, err %v; want HOLD_EXPIRED", got.Status, err)
	}
	must(t, b.svc.PayRefund(context.Background(), b.refundOf(t, h.ID).ID))
	got, err = b.svc.Confirm(ctx, in)
	if code(err) != booking.HoldExpired {
		t.Errorf("retry after expiry (payment REFUNDED): status %s, err %v; want HOLD_EXPIRED", got.Status, err)
	}
}

// A confirmation answered PAYMENT_PENDING whose charge reconciliation finds
// captured only after the stay's first night: the hold expires and the money
// goes back (settleTx). The request never confirmed anything: its retry is
// HOLD_EXPIRED, not the EXPIRED booking without an error.
func TestAConfirmationReconciledAfterTheFirstNightRetriedIsHoldExpired(t *testing.T) {
	t.Parallel()
	start := time.Now()
	b := setup(t, time.Time{})
	providers := payment.NewRegistry(sandbox.New())
	at := func(d time.Duration) *booking.Service {
		return booking.NewService(b.pool, b.catalog, providers, nil, booking.Opts{Now: func() time.Time { return start.Add(d) }})
	}
	f := b.fixture(t, fixtureOpts{zone: "America/New_York"})
	checkIn := booking.Date(start).AddDate(0, 0, 2)
	ctx := guest("late")
	h, err := at(0).Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	in := booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_timeout_then_success")}
	if _, err := at(0).Confirm(ctx, in); code(err) != booking.PaymentPending {
		t.Fatalf("first answer: %v, want PAYMENT_PENDING", err)
	}
	must(t, at(4*24*time.Hour).ReconcilePayment(ctx, b.unknownPayment(t, h.ID)))
	if cur, _ := b.svc.Booking(ctx, h.ID); cur.Status != booking.StatusExpired {
		t.Fatalf("after a late reconciliation: %s, want EXPIRED", cur.Status)
	}
	got, err := at(4*24*time.Hour).Confirm(ctx, in)
	if code(err) != booking.HoldExpired {
		t.Errorf("retry of the confirmation: status %s, err %v (code %q); want HOLD_EXPIRED", got.Status, err, code(err))
	}
}

// Maintenance takes the room of a hold paid in part: the hold is released
// (EXPIRED, flagged) and the part refunded. The retry of the partial
// confirmation is HOLD_EXPIRED ("maintenance took this hold's rooms away"),
// not the released booking as a success.
func TestAConfirmationRetriedAfterMaintenanceReleasedTheHoldIsHoldExpired(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 1, price: 10000})
	ctx := guest("moved")
	in, out := day("2027-04-10"), day("2027-04-12")
	h, err := b.svc.Hold(ctx, holdInput(f, "h", in, out, 1))
	must(t, err)
	cin := booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_giftcard_3000")}
	if _, err := b.svc.Confirm(ctx, cin); code(err) != booking.PaymentPartial {
		t.Fatalf("gift card: %v, want PAYMENT_PARTIAL", err)
	}
	_, _, err = b.svc.BlockRooms(staffOf(f.hotel.ID), b.catalog, booking.BlockInput{RoomIDs: []uuid.UUID{f.rooms[0].ID},
		From: in, To: out, Reason: "leak", Force: true})
	must(t, err)
	if cur, _ := b.svc.Booking(ctx, h.ID); cur.Status != booking.StatusExpired || !cur.RelocationRequired {
		t.Fatalf("after the block: %s flagged %v, want EXPIRED flagged", cur.Status, cur.RelocationRequired)
	}
	got, err := b.svc.Confirm(ctx, cin)
	if code(err) != booking.HoldExpired {
		t.Errorf("retry of the confirmation: status %s, err %v (code %q); want HOLD_EXPIRED", got.Status, err, code(err))
	}
}

// A gift card pays part of the deposit (PAYMENT_PARTIAL); another request
// (another key) pays the rest and confirms; the booking is cancelled. The
// gift-card request never confirmed the booking, so its retry must not
// answer the CANCELLED booking as a success (INVALID_STATE; PayBalance
// requires a full capture for the same shortcut).
func TestAPartialConfirmationRetriedAfterAnotherConfirmedAndCancelled(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{price: 10000, policy: catalog.CancellationPolicy{Refundable: true},
		deposit: catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30}})
	ctx := guest("payer")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 2), 1))
	must(t, err)
	c1 := booking.ConfirmInput{IdempotencyKey: "c1", BookingID: h.ID, Payment: pay("tok_giftcard_2500")}
	if _, err := b.svc.Confirm(ctx, c1); code(err) != booking.PaymentPartial {
		t.Fatalf("gift card: %v", err)
	}
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c2", BookingID: h.ID, Payment: pay("tok_visa")})
	must(t, err)
	_, _, err = b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)
	got, err := b.svc.Confirm(ctx, c1)
	if err == nil {
		t.Errorf("retry of the partial confirmation: status %s with no error; want an error (it never confirmed the booking)", got.Status)
	}
}
