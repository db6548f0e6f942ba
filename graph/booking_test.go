package graph_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/hoteldate"
)

// stayFixture creates, through the catalog service, a hotel in tz with one
// room type of units rooms and a flexible rate plan priced for a year.
func (b testBundle) stayFixture(t *testing.T, tz string, units int) (hotelID, ratePlanID string, rt catalog.RoomType) {
	t.Helper()
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"})
	cat := catalog.NewService(b.pool)
	h, err := cat.CreateHotel(admin, catalog.HotelFields{Name: "Stay " + tz, TimeZone: tz, Location: catalog.GeoPoint{Lat: 1, Lon: 1},
		Address: catalog.Address{Line1: "1 Quay", City: "Port", CountryCode: "PT"}, Currency: "EUR", StarRating: 4,
		CheckInTime: catalog.DefaultCheckIn, CheckOutTime: catalog.DefaultCheckOut, TaxRateBasisPoints: 600})
	if err != nil {
		t.Fatal(err)
	}
	rt, err = cat.CreateRoomType(admin, h.ID, catalog.RoomTypeFields{Name: "Double", MaxAdults: 2, MaxChildren: 2, MaxOccupancy: 4})
	if err != nil {
		t.Fatal(err)
	}
	numbers := make([]string, units)
	for i := range numbers {
		numbers[i] = fmt.Sprint(100 + i)
	}
	if _, err := b.resolver.Reservations.AddRooms(admin, cat, rt.ID, numbers); err != nil {
		t.Fatal(err)
	}
	rp, err := cat.CreateRatePlan(admin, rt.ID, catalog.RatePlanFields{Name: "Flexible",
		CancellationPolicy: catalog.CancellationPolicy{Refundable: true, Penalties: []catalog.PenaltyWindow{{HoursBeforeCheckIn: 48, Percent: 100}}},
		DepositPolicy:      catalog.DepositPolicy{Kind: catalog.DepositPercent, Percent: 25}})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	today := hoteldate.BusinessDate(time.Now(), loc) // the first night the hotel sells
	if _, _, err := cat.SetRates(admin, rp.ID, today, today.AddDate(0, 0, 365), 12000); err != nil {
		t.Fatal(err)
	}
	return relay.ID(relay.KindHotel, h.ID), relay.ID(relay.KindRatePlan, rp.ID), rt
}

const holdMutation = `mutation($input: HoldBookingInput!) {
  holdBooking(input: $input) {
    booking { id reference status version checkIn checkOut nights holdExpiresAt total { amount currency } depositDue { amount }
              rooms { occupancy adults childAges nightly { night price { amount } } } guests { givenName familyName room }
              cancellationPenalties { from until amount { amount } } }
    userErrors { code field message }
  }
}`

type bookingView struct {
	ID            string
	Reference     string
	Status        string
	Version       int
	CheckIn       string
	Nights        int
	HoldExpiresAt string
	Total         struct {
		Amount   int
		Currency string
	}
	DepositDue struct{ Amount int }
	Rooms      []struct {
		Occupancy string
		Adults    int
		ChildAges []int
		Nightly   []struct{ Night string }
	}
	Guests []struct {
		GivenName string
		Room      *int
	}
	CancellationPenalties []struct {
		From, Until *string
		Amount      struct{ Amount int }
	}
}

type bookingPayload struct {
	Booking    *bookingView
	UserErrors []userError
}

func holdVars(hotel, plan, key string, checkIn time.Time, nights int) map[string]any {
	return map[string]any{"input": map[string]any{
		"idempotencyKey": key, "hotelId": hotel,
		"checkIn": checkIn.Format(time.DateOnly), "checkOut": checkIn.AddDate(0, 0, nights).Format(time.DateOnly),
		"rooms": []map[string]any{{"ratePlanId": plan, "occupancy": "2-9,4",
			"guests": []map[string]any{{"givenName": "Ana", "familyName": "Lima"}, {"givenName": "Rui", "familyName": "Lima"}}}},
		"contact": map[string]any{"email": "ana@example.com"},
	}}
}

// The sum an error is about comes as userErrors.amount, not only in the
// message: the total now for PRICE_CHANGED, what is left to pay for
// PAYMENT_PARTIAL.
func TestUserErrorsCarryTheirAmount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, _ := b.stayFixture(t, "Europe/Lisbon", 2)
	tok := token(t, auth.RoleGuest)
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	type amountError struct {
		Code   string
		Amount *struct {
			Amount   int
			Currency string
		}
		DeclineCode *string
	}
	stale := holdVars(hotel, plan, "stale", checkIn, 2)
	stale["input"].(map[string]any)["expectedTotal"] = 1
	refused := decode[struct {
		HoldBooking struct{ UserErrors []amountError }
	}](t, b.do(t, tok, `mutation($input: HoldBookingInput!) { holdBooking(input: $input) { userErrors { code amount { amount currency } } } }`, stale)).HoldBooking
	held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, tok, holdMutation, holdVars(hotel, plan, "h", checkIn, 2))).HoldBooking
	if held.Booking == nil {
		t.Fatalf("hold: %+v", held.UserErrors)
	}
	total := held.Booking.Total
	if len(refused.UserErrors) != 1 || refused.UserErrors[0].Code != "PRICE_CHANGED" || refused.UserErrors[0].Amount == nil ||
		refused.UserErrors[0].Amount.Amount != total.Amount || refused.UserErrors[0].Amount.Currency != total.Currency {
		t.Fatalf("a hold at a stale price: %+v, want PRICE_CHANGED with the total now, %+v", refused.UserErrors, total)
	}
	partial := decode[struct {
		ConfirmBooking struct{ UserErrors []amountError }
	}](t, b.do(t, tok, `mutation($id: ID!) { confirmBooking(input: {idempotencyKey: "gift", bookingId: $id, payment: {provider: "sandbox", token: "tok_giftcard_1000"}}) { userErrors { code amount { amount currency } declineCode } } }`,
		map[string]any{"id": held.Booking.ID})).ConfirmBooking
	if want := held.Booking.DepositDue.Amount - 1000; len(partial.UserErrors) != 1 || partial.UserErrors[0].Code != "PAYMENT_PARTIAL" ||
		partial.UserErrors[0].Amount == nil || partial.UserErrors[0].Amount.Amount != want || partial.UserErrors[0].Amount.Currency != total.Currency ||
		partial.UserErrors[0].DeclineCode != nil {
		t.Fatalf("a gift card of 10.00: %+v, want PAYMENT_PARTIAL with %d %s left", partial.UserErrors, want, total.Currency)
	}
}

func TestBookingJourneyOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, _ := b.stayFixture(t, "Europe/Lisbon", 2)
	tok := token(t, auth.RoleGuest)
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)

	quote := decode[struct {
		Quote struct {
			Quote *struct {
				Available bool
				Nights    int
				Total     struct{ Amount int }
				Rooms     []struct {
					Occupancy string
					UnitsLeft int
				}
			}
			UserErrors []userError
		}
	}](t, b.do(t, tok, `query($input: QuoteInput!) { quote(input: $input) { quote { available nights total { amount } rooms { occupancy unitsLeft } } userErrors { code field message } } }`,
		map[string]any{"input": map[string]any{"hotelId": hotel, "checkIn": checkIn.Format(time.DateOnly), "checkOut": checkIn.AddDate(0, 0, 2).Format(time.DateOnly),
			"rooms": []map[string]any{{"ratePlanId": plan, "occupancy": "2-9,4"}}}}))
	q := quote.Quote.Quote
	// Two nights at 120.00 plus 6% tax.
	if q == nil || !q.Available || q.Nights != 2 || q.Total.Amount != 25440 || q.Rooms[0].Occupancy != "2-9,4" || q.Rooms[0].UnitsLeft != 2 {
		t.Fatalf("quote %+v %+v", q, quote.Quote.UserErrors)
	}

	vars := holdVars(hotel, plan, "hold-1", checkIn, 2)
	vars["input"].(map[string]any)["expectedTotal"] = 25440
	held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, tok, holdMutation, vars)).HoldBooking
	bk := held.Booking
	if bk == nil || bk.Status != "HELD" || bk.Nights != 2 || bk.Total.Amount != 25440 || bk.DepositDue.Amount != 6360 {
		t.Fatalf("hold %+v %+v", bk, held.UserErrors)
	}
	if r := bk.Rooms[0]; r.Adults != 2 || len(r.ChildAges) != 2 || r.ChildAges[0] != 9 || len(r.Nightly) != 2 || r.Nightly[0].Night != checkIn.Format(time.DateOnly) {
		t.Fatalf("booked room %+v", r)
	}
	if len(bk.Guests) != 2 || *bk.Guests[1].Room != 0 {
		t.Fatalf("guests %+v", bk.Guests)
	}
	// Lisbon is UTC+0 or UTC+1: the hold expiry is shown in the hotel's offset.
	if exp, err := time.Parse(time.RFC3339, bk.HoldExpiresAt); err != nil || time.Until(exp) < 14*time.Minute {
		t.Fatalf("holdExpiresAt %q", bk.HoldExpiresAt)
	}
	// inside the window the terms keep the whole stay, but cancelling keeps
	// at most what was paid: once confirmed, the 25 % deposit
	if n := len(bk.CancellationPenalties); n != 2 || bk.CancellationPenalties[0].Amount.Amount != 0 || bk.CancellationPenalties[1].Amount.Amount != 6360 {
		t.Fatalf("penalties %+v", bk.CancellationPenalties)
	}
	// The same key replays the hold; another guest cannot see it.
	again := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, tok, holdMutation, vars)).HoldBooking
	if again.Booking == nil || again.Booking.ID != bk.ID {
		t.Fatalf("replayed hold %+v", again)
	}
	other, _ := auth.Mint(secret, auth.MintOpts{Role: auth.RoleGuest, Subject: "someone-else", TTL: time.Hour})
	if res := b.do(t, other, `query($id: ID!) { booking(id: $id) { id } }`, map[string]any{"id": bk.ID}); string(res.Data) != `{"booking":null}` {
		t.Fatalf("another guest reads the booking: %s %+v", res.Data, res.Errors)
	}
	// As Query.booking says: anonymous callers are told to authenticate.
	if res := b.do(t, "", `query($id: ID!) { booking(id: $id) { id } }`, map[string]any{"id": bk.ID}); res.code() != "UNAUTHENTICATED" || string(res.Data) != `{"booking":null}` {
		t.Fatalf("an anonymous caller reads the booking: %s %+v", res.Data, res.Errors)
	}

	// A decline says why, as the provider does, apart from the message.
	for i, tc := range []struct{ token, why string }{{"tok_decline", "card_declined"}, {"tok_insufficient_funds", "insufficient_funds"}} {
		declined := decode[struct{ ConfirmBooking bookingPayload }](t, b.do(t, tok, `mutation($id: ID!, $key: String!, $token: String!) { confirmBooking(input: {idempotencyKey: $key, bookingId: $id, payment: {provider: "sandbox", token: $token}}) { booking { status } userErrors { code field message declineCode } } }`,
			map[string]any{"id": bk.ID, "key": fmt.Sprintf("c-decline-%d", i), "token": tc.token})).ConfirmBooking
		if declined.Booking != nil || len(declined.UserErrors) != 1 || declined.UserErrors[0].Code != "PAYMENT_DECLINED" ||
			declined.UserErrors[0].DeclineCode == nil || *declined.UserErrors[0].DeclineCode != tc.why {
			t.Fatalf("%s: declined %+v", tc.token, declined)
		}
	}
	confirmed := decode[struct{ ConfirmBooking bookingPayload }](t, b.do(t, tok, `mutation($id: ID!) { confirmBooking(input: {idempotencyKey: "c-2", bookingId: $id, payment: {provider: "sandbox", token: "tok_success"}}) { booking { status } userErrors { code field message } } }`,
		map[string]any{"id": bk.ID})).ConfirmBooking
	if confirmed.Booking == nil || confirmed.Booking.Status != "CONFIRMED" {
		t.Fatalf("confirmed %+v", confirmed)
	}

	byRef := decode[struct {
		BookingByReference *struct {
			Status   string
			Payments []struct {
				Status   string
				Captured struct{ Amount int }
			}
		}
	}](t, b.do(t, "", `query($r: String!) { bookingByReference(reference: $r, email: "ANA@example.com") { status payments { status captured { amount } } } }`, map[string]any{"r": bk.Reference}))
	if r := byRef.BookingByReference; r == nil || r.Status != "CONFIRMED" || len(r.Payments) != 3 || r.Payments[2].Captured.Amount != 6360 {
		t.Fatalf("by reference %+v", byRef)
	}

	cancelled := decode[struct {
		CancelBooking struct {
			Booking *struct {
				Status    string
				Penalty   struct{ Amount int }
				RefundDue struct{ Amount int }
			}
			Refund     *struct{ Amount struct{ Amount int } }
			UserErrors []userError
		}
	}](t, b.do(t, tok, `mutation($id: ID!) { cancelBooking(input: {idempotencyKey: "x-1", bookingId: $id, reason: "sick"}) { booking { status penalty { amount } refundDue { amount } } refund { amount { amount } } userErrors { code } } }`,
		map[string]any{"id": bk.ID})).CancelBooking
	// 30 days ahead: before the 48-hour window, so the deposit comes back whole.
	if c := cancelled.Booking; c == nil || c.Status != "CANCELLED" || c.Penalty.Amount != 0 || c.RefundDue.Amount != 6360 || cancelled.Refund.Amount.Amount != 6360 {
		t.Fatalf("cancelled %+v", cancelled)
	}

	mine := decode[struct {
		Viewer struct {
			Bookings struct {
				Edges []struct{ Node struct{ Reference string } }
			}
		}
	}](t, b.do(t, tok, `{ viewer { bookings(first: 10) { edges { node { reference } } } } }`, nil))
	if e := mine.Viewer.Bookings.Edges; len(e) != 1 || e[0].Node.Reference != bk.Reference {
		t.Fatalf("viewer bookings %+v", mine)
	}
}

func TestHoldBookingInputErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, _ := b.stayFixture(t, "Europe/Lisbon", 1)
	tok := token(t, auth.RoleGuest)
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 3)
	vars := holdVars(hotel, plan, "k", checkIn, 1)
	room := vars["input"].(map[string]any)["rooms"].([]map[string]any)[0]
	room["occupancy"] = "two adults"
	out := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, tok, holdMutation, vars)).HoldBooking
	if len(out.UserErrors) != 1 || out.UserErrors[0].Code != "INVALID_INPUT" || fmt.Sprint(out.UserErrors[0].Field) != "[input rooms 0 occupancy]" {
		t.Fatalf("bad occupancy: %+v", out)
	}
	// A party the room type cannot house, given as occupancy, is reported
	// on occupancy, the field the client sent.
	room["occupancy"] = "2-9,4,6,8,10,12"
	out = decode[struct{ HoldBooking bookingPayload }](t, b.do(t, tok, holdMutation, vars)).HoldBooking
	if len(out.UserErrors) != 1 || out.UserErrors[0].Code != "INVALID_INPUT" || fmt.Sprint(out.UserErrors[0].Field) != "[input rooms 0 occupancy]" {
		t.Fatalf("a party too large as occupancy: %+v", out)
	}
	if res := b.do(t, "", holdMutation, holdVars(hotel, plan, "k", checkIn, 1)); res.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous hold: %+v", res.Errors)
	}
	bad := holdVars(hotel, plan, "k2", checkIn, 1)
	bad["input"].(map[string]any)["checkIn"] = "2026-02-30"
	if res := b.do(t, tok, holdMutation, bad); res.code() != "INVALID_INPUT" && res.code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("impossible date: %+v", res.Errors)
	}
}

// 100 clients race over HTTP for the last 2 units: exactly 2 holds succeed,
// the others get the SOLD_OUT user error, nobody sees an internal error, and
// CheckInventory finds every night consistent.
func TestConcurrentHoldsOverHTTP(t *testing.T) {
	t.Parallel()
	const units, clients = 2, 100
	b := setup(t)
	hotel, plan, rt := b.stayFixture(t, "America/New_York", units)
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 40)
	var wg sync.WaitGroup
	results := make([]bookingPayload, clients)
	errs := make([]string, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, _ := auth.Mint(secret, auth.MintOpts{Role: auth.RoleGuest, Subject: fmt.Sprint("client-", i), TTL: time.Hour})
			res := b.do(t, tok, holdMutation, holdVars(hotel, plan, "k", checkIn.AddDate(0, 0, i%3), 3))
			if len(res.Errors) > 0 {
				errs[i] = res.Errors[0].Message + " " + res.code()
				return
			}
			results[i] = decode[struct{ HoldBooking bookingPayload }](t, res).HoldBooking
		}()
	}
	wg.Wait()
	won, soldOut := 0, 0
	for i, r := range results {
		switch {
		case errs[i] != "":
			t.Errorf("client %d: %s", i, errs[i])
		case r.Booking != nil:
			won++
		case len(r.UserErrors) == 1 && r.UserErrors[0].Code == "SOLD_OUT":
			soldOut++
		default:
			t.Errorf("client %d: %+v", i, r)
		}
	}
	// Stays start on three consecutive days and last three nights, so all
	// share the third night: exactly `units` can win.
	if won != units || soldOut != clients-units {
		t.Fatalf("won %d, sold out %d", won, soldOut)
	}
	if c, err := booking.CheckInventory(context.Background(), b.pool, time.Now()); err != nil || c != (booking.InventoryCheck{}) {
		t.Fatalf("inventory: %+v (%v), want no night oversold, miscounted or of the wrong capacity", c, err)
	}
	var middle int
	if err := b.pool.QueryRow(context.Background(), "SELECT reserved FROM inventory WHERE room_type_id = $1 AND night = $2", rt.ID, checkIn.AddDate(0, 0, 2)).Scan(&middle); err != nil || middle != won {
		t.Fatalf("the night all stays share holds %d units, want %d (%v)", middle, won, err)
	}
}

// A guest picks the language they are written to in when holding; a tag
// that is not one is refused on its field.
func TestGuestChoosesTheirLanguage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, _ := b.stayFixture(t, "Europe/Paris", 3)
	tok := token(t, auth.RoleGuest)
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 20)
	const m = `mutation($input: HoldBookingInput!) { holdBooking(input: $input) {
		booking { contact { email language } } userErrors { code field message } } }`
	type payload struct {
		HoldBooking struct {
			Booking *struct {
				Contact struct{ Email, Language string }
			}
			UserErrors []userError
		}
	}
	for _, tc := range []struct{ key, language, want string }{
		{"fr", "fr", "fr"}, {"default", "", "en"}, {"region", "es-MX", "es-MX"},
	} {
		vars := holdVars(hotel, plan, tc.key, checkIn, 1)
		if tc.language != "" {
			vars["input"].(map[string]any)["contact"].(map[string]any)["language"] = tc.language
		}
		got := decode[payload](t, b.do(t, tok, m, vars)).HoldBooking
		if got.Booking == nil || got.Booking.Contact.Language != tc.want || got.Booking.Contact.Email != "ana@example.com" {
			t.Fatalf("language %q: %+v", tc.language, got)
		}
	}
	vars := holdVars(hotel, plan, "bad", checkIn, 1)
	vars["input"].(map[string]any)["contact"].(map[string]any)["language"] = "français!"
	got := decode[payload](t, b.do(t, tok, m, vars)).HoldBooking
	if got.Booking != nil || len(got.UserErrors) != 1 || got.UserErrors[0].Code != "INVALID_INPUT" ||
		strings.Join(got.UserErrors[0].Field, ".") != "input.contact.language" {
		t.Fatalf("a bad language tag: %+v", got)
	}
}

// The front desk over HTTP: staff record the arrival; guests may not; a
// no-show of guests who arrived is a user error.
func TestFrontDeskOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, _ := b.stayFixture(t, "Etc/UTC", 2)
	guestTok := token(t, auth.RoleGuest)
	// the hotel's business date: until 06:00 local it is still yesterday
	today := hoteldate.BusinessDate(time.Now(), time.UTC)
	held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, guestTok, holdMutation, holdVars(hotel, plan, "fd", today, 1))).HoldBooking
	if held.Booking == nil {
		t.Fatalf("hold %+v", held.UserErrors)
	}
	confirmed := decode[struct{ ConfirmBooking bookingPayload }](t, b.do(t, guestTok, `mutation($id: ID!) { confirmBooking(input: {idempotencyKey: "c", bookingId: $id, payment: {provider: "sandbox", token: "tok_success"}}) { booking { status } userErrors { code field message } } }`,
		map[string]any{"id": held.Booking.ID})).ConfirmBooking
	if confirmed.Booking == nil || confirmed.Booking.Status != "CONFIRMED" {
		t.Fatalf("confirmed %+v", confirmed)
	}
	const desk = `mutation($id: ID!) { %s(input: {bookingId: $id}) { booking { status } userErrors { code field message } } }`
	vars := map[string]any{"id": held.Booking.ID}
	hotelID, err := relay.Decode(relay.KindHotel, hotel)
	if err != nil {
		t.Fatal(err)
	}
	staffTok := token(t, auth.RoleStaff, hotelID)
	if res := b.do(t, guestTok, fmt.Sprintf(desk, "checkInBooking"), vars); len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("a guest checking in: %s %+v", res.Data, res.Errors)
	}
	in := decode[struct{ CheckInBooking bookingPayload }](t, b.do(t, staffTok, fmt.Sprintf(desk, "checkInBooking"), vars)).CheckInBooking
	if in.Booking == nil || in.Booking.Status != "CHECKED_IN" {
		t.Fatalf("staff checking in: %+v", in)
	}
	noShow := decode[struct{ MarkNoShow bookingPayload }](t, b.do(t, staffTok, fmt.Sprintf(desk, "markNoShow"), vars)).MarkNoShow
	if noShow.Booking != nil || len(noShow.UserErrors) != 1 || noShow.UserErrors[0].Code != "INVALID_STATE" {
		t.Fatalf("a no-show of guests who arrived: %+v", noShow)
	}
	out := decode[struct{ CheckOutBooking bookingPayload }](t, b.do(t, staffTok, fmt.Sprintf(desk, "checkOutBooking"), vars)).CheckOutBooking
	if out.Booking == nil || out.Booking.Status != "CHECKED_OUT" {
		t.Fatalf("staff checking out: %+v", out)
	}
}

// A cancellation's reason is personal data: the guest reads it back, while
// the database holds it sealed and the audit trail does not record it.
func TestCancelReasonIsSealedOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, _ := b.stayFixture(t, "Europe/Lisbon", 1)
	tok := token(t, auth.RoleGuest)
	held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, tok, holdMutation,
		holdVars(hotel, plan, "hold-1", booking.Date(time.Now()).AddDate(0, 0, 30), 2))).HoldBooking.Booking
	const reason = "Ana Lima is ill, call +351 912 000 111 or ana.lima.reason@example.org"

	cancelled := decode[struct {
		CancelBooking struct {
			Booking *struct{ Status, CancelReason string }
		}
	}](t, b.do(t, tok, `mutation($id: ID!, $reason: String) { cancelBooking(input: {idempotencyKey: "x-1", bookingId: $id, reason: $reason}) { booking { status cancelReason } } }`,
		map[string]any{"id": held.ID, "reason": reason})).CancelBooking.Booking
	if cancelled == nil || cancelled.Status != "CANCELLED" || cancelled.CancelReason != reason {
		t.Fatalf("cancelled %+v", cancelled)
	}
	byRef := decode[struct {
		BookingByReference *struct{ CancelReason string }
	}](t, b.do(t, "",
		`query($r: String!) { bookingByReference(reference: $r, email: "ana@example.com") { cancelReason } }`, map[string]any{"r": held.Reference}))
	if r := byRef.BookingByReference; r == nil || r.CancelReason != reason {
		t.Fatalf("by reference %+v", byRef)
	}

	// Nothing of it in any column of the booking, nor in the audit trail.
	var row, trail string
	if err := b.pool.QueryRow(context.Background(), "SELECT row_to_json(b)::text FROM bookings b").Scan(&row); err != nil {
		t.Fatal(err)
	}
	if err := b.pool.QueryRow(context.Background(), "SELECT string_agg(changes::text, ' ') FROM audit_log").Scan(&trail); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"Lima is ill", "912 000 111", "ana.lima.reason"} {
		if strings.Contains(row, part) || strings.Contains(trail, part) {
			t.Errorf("%q is stored in plaintext:\nbooking %s\naudit %s", part, row, trail)
		}
	}
	audit := decode[auditPage](t, b.do(t, token(t, auth.RoleAdmin), auditLogQuery, map[string]any{"entityId": held.ID}))
	if len(audit.AuditLog.Edges) < 2 {
		t.Fatalf("booking trail %+v", audit)
	}
	for _, e := range audit.AuditLog.Edges {
		for _, c := range e.Node.Changes {
			if strings.HasPrefix(c.Field, "cancel_reason") {
				t.Errorf("the trail records %s: %v", c.Field, c.New)
			}
		}
	}
}

// A quote of more rooms than one booking takes is refused for that alone:
// 40 rooms of malformed rate plan ids answer one user error on
// input.rooms, not forty about the ids.
func TestQuoteOfTooManyRoomsIsOneError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rooms := make([]map[string]any, 40)
	for i := range rooms {
		rooms[i] = map[string]any{"ratePlanId": "not-an-id", "adults": 2}
	}
	res := decode[struct {
		Quote struct{ UserErrors []userError }
	}](t, b.do(t, "", `query($input: QuoteInput!) { quote(input: $input) { userErrors { code field message } } }`,
		map[string]any{"input": map[string]any{"hotelId": "not-an-id-either", "checkIn": "2027-03-01", "checkOut": "2027-03-02", "rooms": rooms}}))
	ue := res.Quote.UserErrors
	if len(ue) != 2 || ue[1].Code != "INVALID_INPUT" || strings.Join(ue[1].Field, ".") != "input.rooms" || !strings.Contains(ue[1].Message, "1 to 9 rooms") {
		t.Fatalf("a quote of 40 rooms: %d user errors %+v; want the hotel id's and one on input.rooms (1 to 9 rooms)", len(ue), ue)
	}
}
