package booking_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/stripe"
)

// A hotel in a three-decimal currency asks for amounts card payments settle:
// Stripe, as card acquirers, takes KWD in tens of fils only. 3 nights at
// 45.000 KWD and 5 % tax are 141.750 KWD; a 30 % deposit is 42.530 (not
// 42.525, which every card would decline), the balance 99.220, and
// cancelling 49 hours before arrival keeps half the stay, 70.880 (not
// 70.875), refunding 70.870. Stripe (an HTTP peer speaking its API) is asked
// for exactly those amounts, in its units (fils).
func TestThreeDecimalAmountsAreOnesCardsSettle(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	var mu sync.Mutex
	var charged []int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && r.URL.Path == "/v1/payment_intents" {
			amount, _ := strconv.ParseInt(r.PostForm.Get("amount"), 10, 64)
			mu.Lock()
			charged = append(charged, amount)
			mu.Unlock()
			fmt.Fprintf(w, `{"id":"pi_%d","object":"payment_intent","status":"succeeded","amount":%d,"amount_received":%d,"currency":%q}`,
				len(charged), amount, amount, r.PostForm.Get("currency"))
			return
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"unexpected"}}`)
	}))
	t.Cleanup(srv.Close)
	svc := booking.NewService(b.pool, b.catalog, payment.NewRegistry(stripe.New("sk_test_123", stripe.Opts{BackendURL: srv.URL})), nil,
		booking.Opts{Now: func() time.Time { return now }})

	h, err := b.catalog.CreateHotel(b.admin, catalog.HotelFields{
		Name: "Kuwait Towers Inn", TimeZone: "Asia/Kuwait", Location: catalog.GeoPoint{Lat: 29.37, Lon: 47.98},
		Address:  catalog.Address{Line1: "1 Gulf Rd", City: "Kuwait City", CountryCode: "KW"},
		Currency: "KWD", StarRating: 4, CheckInTime: catalog.DefaultCheckIn, CheckOutTime: catalog.DefaultCheckOut,
		TaxRateBasisPoints: 500,
	})
	must(t, err)
	rt, err := b.catalog.CreateRoomType(b.admin, h.ID, catalog.RoomTypeFields{Name: "Double", MaxAdults: 2, MaxChildren: 2, MaxOccupancy: 3})
	must(t, err)
	rooms, err := svc.AddRooms(b.admin, b.catalog, rt.ID, []string{"101", "102"})
	must(t, err)
	f := fixture{hotel: h, roomType: rt, rooms: rooms}
	f.plan = b.ratePlan(t, f, flexible, catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 30}, booking.Date(now), 45000)

	ctx := guest("cust-kw")
	stripeCard := func() *booking.PaymentInput { return &booking.PaymentInput{Provider: "stripe", Token: "pm_card_visa"} }
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
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(charged, []int64{42530, 99220}) {
		t.Fatalf("Stripe was asked for %v fils, want the deposit and the balance [42530 99220]", charged)
	}
}
