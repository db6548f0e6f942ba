package booking_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
	"github.com/staygraph/staygraph/internal/payment/stripe"
)

// stripePeer is an HTTP peer speaking Stripe's API: PaymentIntents succeed
// for the amount asked, as do refunds. sent lists the amounts Stripe was
// asked for, in its units (fils for KWD), refunds negative.
func stripePeer(t *testing.T) (registry *payment.Registry, sent func() []int64) {
	t.Helper()
	var mu sync.Mutex
	var amounts []int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		amount, _ := strconv.ParseInt(r.PostForm.Get("amount"), 10, 64)
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/payment_intents":
			mu.Lock()
			amounts = append(amounts, amount)
			n := len(amounts)
			mu.Unlock()
			fmt.Fprintf(w, `{"id":"pi_%d","object":"payment_intent","status":"succeeded","amount":%d,"amount_received":%d,"currency":%q}`,
				n, amount, amount, r.PostForm.Get("currency"))
		case r.Method == http.MethodGet && r.URL.Path == "/v1/refunds":
			fmt.Fprint(w, `{"object":"list","data":[],"has_more":false,"url":"/v1/refunds"}`)
		case r.Method == http.MethodPost && r.URL.Path == "/v1/refunds":
			mu.Lock()
			amounts = append(amounts, -amount)
			mu.Unlock()
			fmt.Fprintf(w, `{"id":"re_1","object":"refund","status":"succeeded","amount":%d}`, amount)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"unexpected"}}`)
		}
	}))
	t.Cleanup(srv.Close)
	return payment.NewRegistry(stripe.New("sk_test_123", stripe.Opts{BackendURL: srv.URL})), func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(amounts)
	}
}

// kuwaitBookings is a KWD hotel taxing taxBps with two rooms and a flexible
// plan of 45.000 KWD a night under deposit, on 2027-03-01, whose bookings
// a service paying through a Stripe stand-in takes (sent: the amounts
// Stripe was asked for).
func kuwaitBookings(t *testing.T, taxBps int, deposit catalog.DepositPolicy) (b testBundle, svc *booking.Service, f fixture, sent func() []int64) {
	t.Helper()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b = setup(t, now)
	registry, sent := stripePeer(t)
	svc = booking.NewService(b.pool, b.catalog, registry, nil, booking.Opts{Now: func() time.Time { return now }})
	f = kuwaitHotel(t, b, svc, taxBps, 2)
	f.plan = b.ratePlan(t, f, flexible, deposit, booking.Date(now), 45000)
	return b, svc, f, sent
}

// kuwaitHotel is a KWD hotel taxing taxBps, with one room type of rooms
// rooms (and no rate plan yet), whose bookings svc takes.
func kuwaitHotel(t *testing.T, b testBundle, svc *booking.Service, taxBps, rooms int) fixture {
	t.Helper()
	h, err := b.catalog.CreateHotel(b.admin, catalog.HotelFields{
		Name: "Kuwait Towers Inn", TimeZone: "Asia/Kuwait", Location: catalog.GeoPoint{Lat: 29.37, Lon: 47.98},
		Address:  catalog.Address{Line1: "1 Gulf Rd", City: "Kuwait City", CountryCode: "KW"},
		Currency: "KWD", StarRating: 4, CheckInTime: catalog.DefaultCheckIn, CheckOutTime: catalog.DefaultCheckOut,
		TaxRateBasisPoints: taxBps,
	})
	must(t, err)
	rt, err := b.catalog.CreateRoomType(b.admin, h.ID, catalog.RoomTypeFields{Name: "Double", MaxAdults: 2, MaxChildren: 2, MaxOccupancy: 3})
	must(t, err)
	numbers := make([]string, rooms)
	for i := range numbers {
		numbers[i] = fmt.Sprint(101 + i)
	}
	rs, err := svc.AddRooms(b.admin, b.catalog, rt.ID, numbers)
	must(t, err)
	return fixture{hotel: h, roomType: rt, rooms: rs}
}

func stripeCard() *booking.PaymentInput {
	return &booking.PaymentInput{Provider: "stripe", Token: "pm_card_visa"}
}

// A hotel in a three-decimal currency asks for amounts card payments settle:
// Stripe, as card acquirers, takes KWD in tens of fils only. 3 nights at
// 45.000 KWD and 5 % tax are 141.750 KWD; a 30 % deposit is 42.530 (not
// 42.525, which every card would decline), the balance 99.220, and
// cancelling 49 hours before arrival keeps half the stay, 70.880 (not
// 70.875), refunding 70.870. Stripe (an HTTP peer speaking its API) is asked
// for exactly those amounts, in its units (fils).
func TestThreeDecimalAmountsAreOnesCardsSettle(t *testing.T) {
	t.Parallel()
	_, svc, f, sent := kuwaitBookings(t, 500, catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30})

	ctx := guest("cust-kw")
	held, err := svc.Hold(ctx, holdInput(f, "h", day("2027-03-03"), day("2027-03-06"), 1))
	must(t, err)
	if held.Total != 141750 || held.DepositDue != 42530 {
		t.Fatalf("total %d, deposit %d fils; want 141750 and 42530", held.Total, held.DepositDue)
	}
	confirmed, err := svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: stripeCard()})
	if err != nil || confirmed.Status != booking.StatusConfirmed {
		t.Fatalf("confirming with a deposit of %d fils: %v (%s)", held.DepositDue, err, confirmed.Status)
	}
	_, err = svc.PayBalance(ctx, booking.PayBalanceInput{IdempotencyKey: "b", BookingID: held.ID, Payment: stripeCard()})
	must(t, err)
	cancelled, _, err := svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: held.ID})
	must(t, err)
	if cancelled.PenaltyAmount != 70880 || cancelled.RefundDue != 70870 {
		t.Fatalf("cancelled 49 hours ahead: penalty %d, refund due %d fils; want 70880 and 70870", cancelled.PenaltyAmount, cancelled.RefundDue)
	}
	if got := sent(); !slices.Equal(got, []int64{42530, 99220}) {
		t.Fatalf("Stripe was asked for %v fils, want the deposit and the balance [42530 99220]", got)
	}
}

// A tax that comes to single fils is rounded to tens of them, halves up,
// so that a room's total is an amount cards settle: 3 nights at 45.000 KWD
// and 7.5 % tax (a common VAT and service charge) are 145.125 KWD, charged
// as 145.130 (tax 10.130). The balance after a 30 % deposit of 43.540 is
// then 101.590, which Stripe takes; it declined 101.585.
func TestThreeDecimalBalanceIsPayableByCard(t *testing.T) {
	t.Parallel()
	_, svc, f, sent := kuwaitBookings(t, 750, catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30})

	ctx := guest("cust-kw")
	held, err := svc.Hold(ctx, holdInput(f, "h", day("2027-03-03"), day("2027-03-06"), 1))
	must(t, err)
	if held.RoomAmount != 135000 || held.TaxAmount != 10130 || held.Total != 145130 || held.DepositDue != 43540 {
		t.Fatalf("rooms %d, tax %d, total %d, deposit %d fils; want 135000, 10130, 145130 and 43540",
			held.RoomAmount, held.TaxAmount, held.Total, held.DepositDue)
	}
	_, err = svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: stripeCard()})
	must(t, err)
	_, err = svc.PayBalance(ctx, booking.PayBalanceInput{IdempotencyKey: "b", BookingID: held.ID, Payment: stripeCard()})
	if err != nil {
		t.Fatalf("paying the balance of a KWD booking by card (total 145.130, deposit 43.540 paid): %v; Stripe was sent %v fils", err, sent())
	}
	if got := sent(); !slices.Equal(got, []int64{43540, 101590}) {
		t.Fatalf("Stripe was asked for %v fils, want the deposit and the balance [43540 101590]", got)
	}
}

// A KWD rate plan that asks the whole stay up front is confirmed by card
// when the tax comes to single fils: the deposit is the total, 145.130.
func TestThreeDecimalFullDepositIsPayableByCard(t *testing.T) {
	t.Parallel()
	_, svc, f, sent := kuwaitBookings(t, 750, catalog.DepositPolicy{Kind: catalog.DepositFull})

	ctx := guest("cust-kw")
	held, err := svc.Hold(ctx, holdInput(f, "h", day("2027-03-03"), day("2027-03-06"), 1))
	must(t, err)
	confirmed, err := svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: stripeCard()})
	if err != nil || confirmed.Status != booking.StatusConfirmed {
		t.Fatalf("confirming a KWD booking whose deposit is its total %d fils: %v (status %q); Stripe was sent %v",
			held.DepositDue, err, confirmed.Status, sent())
	}
	if got := sent(); !slices.Equal(got, []int64{145130}) {
		t.Fatalf("Stripe was asked for %v fils, want the total [145130]", got)
	}
}

// Two rooms of 145.130 KWD, one non-refundable and one flexible, paid in
// full. Cancelled in the flexible room's free window, the non-refundable
// room's total is kept (a penalty is at most its room's total), and the
// flexible room's 145.130 is refunded through Stripe; 145.125 ended FAILED,
// waiting for staff to pay it back by hand.
func TestThreeDecimalRefundIsPayableByCard(t *testing.T) {
	t.Parallel()
	b, svc, f, sent := kuwaitBookings(t, 750, catalog.DepositPolicy{Kind: catalog.DepositFull})
	nonRefundable := b.ratePlan(t, f, catalog.CancellationPolicy{}, catalog.DepositPolicy{Kind: catalog.DepositFull}, day("2027-03-01"), 45000)

	ctx := guest("cust-kw")
	in := holdInput(f, "h", day("2027-03-20"), day("2027-03-23"), 2)
	in.Rooms[1].RatePlanID = nonRefundable.ID
	held, err := svc.Hold(ctx, in)
	must(t, err)
	if held.Total != 290260 || held.DepositDue != 290260 {
		t.Fatalf("total %d, deposit %d; want 290260 and 290260", held.Total, held.DepositDue)
	}
	_, err = svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: held.ID, Payment: stripeCard()})
	must(t, err)
	cancelled, refund, err := svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: held.ID})
	must(t, err)
	if refund == nil || cancelled.PenaltyAmount != 145130 {
		t.Fatalf("cancelled in the flexible room's free window: penalty %d, refund %v; want the non-refundable room's 145130 kept and a refund",
			cancelled.PenaltyAmount, refund)
	}
	must(t, svc.PayRefund(context.Background(), refund.ID))
	refunds, err := svc.RefundsOf(b.admin, []uuid.UUID{held.ID})
	must(t, err)
	got := refunds[held.ID][0]
	if got.Status != "SUCCEEDED" || got.Amount != 145130 {
		t.Fatalf("refund of %d fils is %s (%s); want 145130 SUCCEEDED; Stripe was sent %v", got.Amount, got.Status, got.FailureMessage, sent())
	}
	if s := sent(); !slices.Equal(s, []int64{290260, -145130}) {
		t.Fatalf("Stripe was asked for %v fils, want the total and the refund [290260 -145130]", s)
	}
}

// A gift card pays part of a KWD deposit and a card the rest: the rest must
// be an amount cards settle. A gift card's balance of 12.345 KWD pays
// 12.340 of a 42.530 deposit (the acquirer takes no single fils either), so
// that the card is asked for 30.190, not 30.185, and the booking is
// confirmed with exactly the deposit paid.
func TestGiftCardLeavesARestCardsSettle(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	svc := booking.NewService(b.pool, b.catalog, payment.NewRegistry(sandbox.New()), nil, booking.Opts{Now: func() time.Time { return now }})
	f := kuwaitHotel(t, b, svc, 500, 2)
	f.plan = b.ratePlan(t, f, flexible, catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30}, booking.Date(now), 45000)

	ctx := guest("cust-kw")
	held, err := svc.Hold(ctx, holdInput(f, "h", day("2027-03-03"), day("2027-03-06"), 1))
	must(t, err)
	_, err = svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c1", BookingID: held.ID, Payment: pay("tok_giftcard_12345")})
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != booking.PaymentPartial || ae.Amount == nil || ae.Amount.Amount != 30190 {
		t.Fatalf("a gift card of 12.345 KWD against a deposit of 42.530: %v; want PAYMENT_PARTIAL with 30.190 KWD left", err)
	}
	confirmed, err := svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c2", BookingID: held.ID, Payment: pay("tok_visa")})
	if err != nil || confirmed.Status != booking.StatusConfirmed {
		t.Fatalf("paying the rest by card: %v (%s)", err, confirmed.Status)
	}
	var captured []int64
	rows, err := b.pool.Query(context.Background(), `SELECT captured_amount FROM payments WHERE booking_id = $1 ORDER BY created_at`, held.ID)
	must(t, err)
	for rows.Next() {
		var c int64
		must(t, rows.Scan(&c))
		captured = append(captured, c)
	}
	must(t, rows.Err())
	if !slices.Equal(captured, []int64{12340, 30190}) {
		t.Fatalf("captured %v fils, want the gift card's 12340 and the card's 30190", captured)
	}
}
