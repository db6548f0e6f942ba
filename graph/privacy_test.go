package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/hub"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/email"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
)

// What is private in the API. Every field that leads from public data into
// private data is a gate: a field explicitly listed below, a field whose
// type is private, or a private type behind an interface (node(id) ... on
// Room). TestPrivateDataNeedsAuthorization derives the gates from the schema
// and fails until every gate that a root field can reach is selected by a
// probe rooted at that field, so a new field that returns private data fails
// the test until it is listed and probed.
var (
	// privateTypes, and every type under them (reachable through their
	// fields) except sharedTypes, are private.
	privateTypes = []string{"Room", "ApiKey", "Booking", "AuditEntry", "MaintenanceBlock", "AffectedBooking"}
	// sharedTypes are public types that private objects refer to: under a
	// private object they are private, elsewhere they are not.
	sharedTypes = []string{"Hotel", "RoomType", "RatePlan", "Money", "NightPrice", "CancellationPolicy",
		"PenaltyWindow", "CancellationPenalty", "DepositPolicy", "NightlyRate", "Bed", "GeoPoint", "Address",
		"PageInfo", "UserError"}
	// privateFields are private whatever their type. Every mutation is.
	privateFields = []string{"Hotel.rooms", "Hotel.relocations", "Hotel.maintenanceBlocks",
		"Query.apiKeys", "Query.booking", "Query.auditLog", "Query.changeStream", "Viewer.bookings"}
)

// privacyFixture is what a seeded database holds that anonymous callers and
// unrelated guests must never see, and the ids the probes aim at.
type privacyFixture struct {
	hotel, roomType, room, ratePlan, booking, payment, refund, apiKey, block uuid.UUID
	reference, email                                                         string
	checkIn                                                                  time.Time
	// secrets are strings of the private data, as the API or the log would show them.
	secrets []string
}

func (f privacyFixture) gid(kind relay.Kind, id uuid.UUID) string { return relay.ID(kind, id) }

// privacyProbe is one request that tries to reach private data.
type privacyProbe struct {
	name  string
	query string
	vars  func(f privacyFixture) map[string]any
	// control, for queries, are the variables with which an administrator
	// sees private data through the probe (default: vars), proving the probe
	// reaches it. Mutations are not run as administrators.
	control func(f privacyFixture) map[string]any
}

// privHotelGates select the private fields of a hotel. Each probe selects
// one gate, so that one refusal (which nulls the hotel, and up to the
// nearest nullable field) cannot hide a leak through another.
var privHotelGates = []string{
	`rooms { number serviceNote }`,
	`relocations { reference contact { email } }`,
	`maintenanceBlocks { reason room { number } }`,
	`undeliveredNotifications { kind lastError bookingId }`,
	`arrivals { edges { node { reference contact { email } guests { familyName } } } }`,
	`inHouse { edges { node { reference contact { email } guests { familyName } } } }`,
}

const privBooking = `id reference status contact { email phone } guests { givenName familyName } payments { provider } refunds { reason } relocationNote`

func privacyHotelVars(f privacyFixture) map[string]any {
	return map[string]any{"h": f.gid(relay.KindHotel, f.hotel)}
}

func privacyNoVars(privacyFixture) map[string]any { return nil }

var privacyProbes = slices.Concat(privacyHotelProbes(), []privacyProbe{
	{name: "node/Room", query: `query($r: ID!) { node(id: $r) { ... on Room { number serviceNote } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"r": f.gid(relay.KindRoom, f.room)} }},
	{name: "node/ApiKey", query: `query($k: ID!) { node(id: $k) { ... on ApiKey { name prefix } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"k": f.gid(relay.KindAPIKey, f.apiKey)} }},
	{name: "node/Booking", query: `query($b: ID!) { node(id: $b) { ... on Booking { ` + privBooking + ` } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"b": f.gid(relay.KindBooking, f.booking)} }},
	{name: "viewer", query: `{ viewer { role bookings(first: 5) { edges { node { ` + privBooking + ` } } } } }`, vars: privacyNoVars},
	{name: "apiKeys", query: `{ apiKeys { name prefix } }`, vars: privacyNoVars},
	{name: "booking", query: `query($b: ID!) { booking(id: $b) { ` + privBooking + ` } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"b": f.gid(relay.KindBooking, f.booking)} }},
	{name: "bookingByReference", query: `query($ref: String!, $email: String!) { bookingByReference(reference: $ref, email: $email) { ` + privBooking + ` } }`,
		vars: func(f privacyFixture) map[string]any {
			return map[string]any{"ref": f.reference, "email": "someone.else@example.org"}
		},
		// The reference and the contact email together are the credential.
		control: func(f privacyFixture) map[string]any { return map[string]any{"ref": f.reference, "email": f.email} }},
	{name: "bookingUpdated", query: `subscription($b: ID!) { bookingUpdated(id: $b) { ` + privBooking + ` } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"b": f.gid(relay.KindBooking, f.booking)} }},
	{name: "changeStream", query: `{ changeStream { slot lastError consumers { name lastError } } }`, vars: privacyNoVars},
	{name: "auditLog", query: `{ auditLog(first: 50) { edges { node { actor entity entityId changes { field old new } } } } }`, vars: privacyNoVars},

	// Mutations: each aims at the seeded objects; the payload must not
	// carry them back and (checked after all probes) nothing of them changes.
	{name: "holdBooking", query: `mutation($in: HoldBookingInput!) { holdBooking(input: $in) { booking { ` + privBooking + ` } userErrors { code } } }`,
		// The victim's own idempotency key: a retry is per caller, so this
		// never replays the victim's booking.
		vars: func(f privacyFixture) map[string]any {
			in := f.stay(f.checkIn)
			in["contact"] = map[string]any{"email": "intruder@example.net"}
			return map[string]any{"in": in}
		}},
	{name: "confirmBooking", query: `mutation($b: ID!) { confirmBooking(input: {idempotencyKey: "victim-confirm", bookingId: $b, payment: {provider: "sandbox", token: "tok_success"}}) { booking { ` + privBooking + ` } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"b": f.gid(relay.KindBooking, f.booking)} }},
	{name: "payBalance", query: `mutation($b: ID!) { payBalance(input: {idempotencyKey: "p-1", bookingId: $b, payment: {provider: "sandbox", token: "tok_success"}}) { booking { ` + privBooking + ` } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"b": f.gid(relay.KindBooking, f.booking)} }},
	{name: "cancelBooking", query: `mutation($b: ID!) { cancelBooking(input: {idempotencyKey: "c-1", bookingId: $b}) { booking { ` + privBooking + ` } refund { reason } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"b": f.gid(relay.KindBooking, f.booking)} }},
	{name: "checkInBooking", query: `mutation($b: ID!) { checkInBooking(input: {bookingId: $b}) { booking { ` + privBooking + ` } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"b": f.gid(relay.KindBooking, f.booking)} }},
	{name: "checkOutBooking", query: `mutation($b: ID!) { checkOutBooking(input: {bookingId: $b}) { booking { ` + privBooking + ` } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"b": f.gid(relay.KindBooking, f.booking)} }},
	{name: "markNoShow", query: `mutation($b: ID!) { markNoShow(input: {bookingId: $b}) { booking { ` + privBooking + ` } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"b": f.gid(relay.KindBooking, f.booking)} }},
	{name: "retryNotification", query: `mutation($b: ID!, $n: ID!) { retryNotification(input: {bookingId: $b, notificationId: $n}) { notification { kind lastError } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any {
			return map[string]any{"b": f.gid(relay.KindBooking, f.booking), "n": relay.ID(relay.KindNotification, uuid.New())}
		}},
	{name: "settleRefundOutside", query: `mutation($r: ID!) { settleRefundOutside(input: {refundId: $r, reference: "mine"}) {
	    refund { failureMessage settlement { reference } } booking { ` + privBooking + ` } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"r": f.gid(relay.KindRefund, f.refund)} }},
	{name: "retryRefund", query: `mutation($r: ID!) { retryRefund(input: {refundId: $r}) { refund { failureMessage } booking { ` + privBooking + ` } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"r": f.gid(relay.KindRefund, f.refund)} }},
	{name: "retryPaymentLookup", query: `mutation($p: ID!) { retryPaymentLookup(input: {paymentId: $p}) { payment { id failureMessage } booking { ` + privBooking + ` } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"p": f.gid(relay.KindPayment, f.payment)} }},
	{name: "blockRooms", query: `mutation($r: ID!, $from: Date!, $to: Date!) { blockRooms(input: {roomIds: [$r], from: $from, to: $to, reason: "x", force: true}) {
	    blocks { reason room { number } } affectedBookings { reference } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any {
			return map[string]any{"r": f.gid(relay.KindRoom, f.room), "from": f.checkIn.Format(time.DateOnly), "to": f.checkIn.AddDate(0, 0, 2).Format(time.DateOnly)}
		}},
	{name: "endMaintenance", query: `mutation($b: ID!) { endMaintenance(input: {blockId: $b, expectedVersion: 1}) { block { reason room { number } } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any {
			return map[string]any{"b": f.gid(relay.KindMaintenanceBlock, f.block)}
		}},
	{name: "createHotel", query: `mutation($in: CreateHotelInput!) { createHotel(input: $in) { hotel { ` + privHotelGates[0] + ` } userErrors { code } } }`,
		vars: func(privacyFixture) map[string]any { return map[string]any{"in": hotelInput("Intruder Inn")} }},
	{name: "updateHotel", query: `mutation($h: ID!) { updateHotel(input: {id: $h, expectedVersion: 1, name: "Taken over"}) { hotel { ` + privHotelGates[0] + ` } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"h": f.gid(relay.KindHotel, f.hotel)} }},
	{name: "createRoomType", query: `mutation($h: ID!) { createRoomType(input: {hotelId: $h, name: "Mine", maxAdults: 1, maxChildren: 0, maxOccupancy: 1}) { roomType { hotel { rooms { number } } } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"h": f.gid(relay.KindHotel, f.hotel)} }},
	{name: "updateRoomType", query: `mutation($rt: ID!) { updateRoomType(input: {id: $rt, expectedVersion: 1, name: "Mine"}) { roomType { hotel { rooms { number } } } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any {
			return map[string]any{"rt": f.gid(relay.KindRoomType, f.roomType)}
		}},
	{name: "addRooms", query: `mutation($rt: ID!) { addRooms(input: {roomTypeId: $rt, numbers: ["X1"]}) { rooms { number roomType { hotel { rooms { number } } } } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any {
			return map[string]any{"rt": f.gid(relay.KindRoomType, f.roomType)}
		}},
	{name: "setRoomService", query: `mutation($r: ID!) { setRoomService(input: {roomId: $r, expectedVersion: 1, inService: false, note: "mine", force: true}) {
	    room { number serviceNote } affectedBookings { reference } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"r": f.gid(relay.KindRoom, f.room)} }},
	{name: "createRatePlan", query: `mutation($rt: ID!) { createRatePlan(input: {roomTypeId: $rt, name: "Mine", cancellationPolicy: {refundable: true}, depositPolicy: {kind: FULL}}) { ratePlan { name } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any {
			return map[string]any{"rt": f.gid(relay.KindRoomType, f.roomType)}
		}},
	{name: "updateRatePlan", query: `mutation($rp: ID!) { updateRatePlan(input: {id: $rp, expectedVersion: 2, name: "Mine"}) { ratePlan { name } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any {
			return map[string]any{"rp": f.gid(relay.KindRatePlan, f.ratePlan)}
		}},
	{name: "setRates", query: `mutation($rp: ID!) { setRates(input: {ratePlanId: $rp, from: "2030-01-01", to: "2030-01-02", amount: 1}) { nights userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any {
			return map[string]any{"rp": f.gid(relay.KindRatePlan, f.ratePlan)}
		}},
	{name: "setExchangeRates", query: `mutation { setExchangeRates(input: {rates: [{currency: "GBP", perUsd: 0.5}]}) { rates { currency perUsd } userErrors { code } } }`,
		vars: func(privacyFixture) map[string]any { return nil }},
	{name: "createApiKey", query: `mutation { createApiKey(input: {name: "Mine", scopes: ["book"]}) { apiKey { name prefix } secret userErrors { code } } }`,
		vars: func(privacyFixture) map[string]any { return nil }},
	{name: "revokeApiKey", query: `mutation($k: ID!) { revokeApiKey(input: {id: $k}) { apiKey { name prefix } userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"k": f.gid(relay.KindAPIKey, f.apiKey)} }},
	{name: "rollApiKey", query: `mutation($k: ID!) { rollApiKey(input: {id: $k}) { apiKey { name prefix } secret userErrors { code } } }`,
		vars: func(f privacyFixture) map[string]any { return map[string]any{"k": f.gid(relay.KindAPIKey, f.apiKey)} }},
})

// privacyHotelProbes reach each private field of a hotel from every root
// field that returns hotels.
func privacyHotelProbes() []privacyProbe {
	var out []privacyProbe
	for _, sel := range privHotelGates {
		gate, _, _ := strings.Cut(sel, " ")
		out = append(out,
			privacyProbe{name: "node/Hotel." + gate, query: `query($h: ID!) { node(id: $h) { ... on Hotel { ` + sel + ` } } }`, vars: privacyHotelVars},
			privacyProbe{name: "hotel/" + gate, query: `query($h: ID!) { hotel(id: $h) { name ` + sel + ` } }`, vars: privacyHotelVars},
			privacyProbe{name: "hotels/" + gate, query: `{ hotels(first: 5) { edges { node { name ` + sel + ` } } } }`, vars: privacyNoVars},
			privacyProbe{name: "searchHotels/" + gate, query: `{ searchHotels(input: {text: "Privacy Inn"}, first: 5) { edges { node { hotel { ` + sel + ` } } } } }`,
				vars: privacyNoVars},
			privacyProbe{name: "availabilityChanged/" + gate,
				query: `subscription($h: ID!, $from: Date!, $to: Date!) { availabilityChanged(hotelId: $h, from: $from, to: $to) { hotel { ` + sel + ` } } }`,
				vars: func(f privacyFixture) map[string]any {
					return map[string]any{"h": f.gid(relay.KindHotel, f.hotel),
						"from": f.checkIn.Format(time.DateOnly), "to": f.checkIn.AddDate(0, 0, 7).Format(time.DateOnly)}
				}},
			privacyProbe{name: "quote/" + gate, query: `query($in: QuoteInput!) { quote(input: $in) { quote { hotel { ` + sel + ` } } userErrors { code message } } }`,
				vars: func(f privacyFixture) map[string]any {
					in := f.stay(f.checkIn.AddDate(0, 0, 10))
					delete(in, "idempotencyKey")
					delete(in, "contact")
					return map[string]any{"in": in}
				}},
		)
	}
	return out
}

// stay is the victim's hold input at checkIn (the probes vary it).
func (f privacyFixture) stay(checkIn time.Time) map[string]any {
	return map[string]any{"idempotencyKey": "victim-hold", "hotelId": f.gid(relay.KindHotel, f.hotel),
		"checkIn": checkIn.Format(time.DateOnly), "checkOut": checkIn.AddDate(0, 0, 2).Format(time.DateOnly),
		"rooms":   []map[string]any{{"ratePlanId": f.gid(relay.KindRatePlan, f.ratePlan), "adults": 2, "guests": []map[string]any{{"givenName": "Iggy", "familyName": "Intruder"}}}},
		"contact": map[string]any{"email": f.email}}
}

// londonHotel creates, as an admin, a hotel in London with a double room
// type of the rooms numbered, and a flexible rate plan priced 99.00 GBP a
// night for three months from today.
func londonHotel(t *testing.T, b testBundle, name, street string, numbers ...string) (catalog.Hotel, catalog.RoomType, []catalog.Room, catalog.RatePlan) {
	t.Helper()
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "privacy-admin"})
	cat, res := b.resolver.Catalog, b.resolver.Reservations
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	h, err := cat.CreateHotel(admin, catalog.HotelFields{Name: name, TimeZone: "Europe/London",
		Location: catalog.GeoPoint{Lat: 51.5, Lon: -0.12}, Address: catalog.Address{Line1: street, City: "London", CountryCode: "GB"},
		Currency: "GBP", StarRating: 3, CheckInTime: catalog.DefaultCheckIn, CheckOutTime: catalog.DefaultCheckOut})
	must(err)
	rt, err := cat.CreateRoomType(admin, h.ID, catalog.RoomTypeFields{Name: "Double", MaxAdults: 2, MaxOccupancy: 2})
	must(err)
	rooms, err := res.AddRooms(admin, cat, rt.ID, numbers)
	must(err)
	rp, err := cat.CreateRatePlan(admin, rt.ID, catalog.RatePlanFields{Name: "Flexible",
		CancellationPolicy: catalog.CancellationPolicy{Refundable: true}, DepositPolicy: catalog.DepositPolicy{Kind: catalog.DepositFull}})
	must(err)
	today := booking.Date(time.Now())
	_, _, err = cat.SetRates(admin, rp.ID, today, today.AddDate(0, 3, 0), 9900)
	must(err)
	return h, rt, rooms, rp
}

// seedPrivacy creates, through the services, one hotel with one room, a
// partner API key, and a paid booking by a guest whose room maintenance took
// away (so the hotel has a relocation and a maintenance block).
func seedPrivacy(t *testing.T, b testBundle) privacyFixture {
	t.Helper()
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "privacy-admin"})
	victim := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleGuest, Subject: "victim-guest"})
	cat, res := b.resolver.Catalog, b.resolver.Reservations
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	h, rt, rooms, rp := londonHotel(t, b, "Privacy Inn", "1 Strand", "RM-PRIV-7")
	today := booking.Date(time.Now())
	key, secretKey, err := b.resolver.Keys.Create(admin, "Partner PRIV-KEY-NAME", []string{auth.ScopeBook})
	must(err)

	f := privacyFixture{hotel: h.ID, roomType: rt.ID, room: rooms[0].ID, ratePlan: rp.ID, apiKey: key.ID,
		email: "victim.private@example.org", checkIn: today.AddDate(0, 0, 30)}
	// A paid stay of the victim's of nights from checkIn, held and confirmed
	// under the idempotency keys given (the probes reuse the first stay's).
	book := func(holdKey, confirmKey string, checkIn time.Time, nights int) booking.Booking {
		t.Helper()
		held, err := res.Hold(victim, booking.HoldInput{IdempotencyKey: holdKey, HotelID: h.ID, CheckIn: checkIn, CheckOut: checkIn.AddDate(0, 0, nights),
			Rooms: []booking.RoomRequest{{RatePlanID: rp.ID, Party: booking.Party{Adults: 2, ChildAges: []int{}},
				Guests: []booking.GuestName{{GivenName: "Vittoria", FamilyName: "Privatesca"}}}},
			Contact: booking.Contact{Email: f.email, Phone: "+44 20 7946 0999"}})
		must(err)
		_, err = res.Confirm(victim, booking.ConfirmInput{IdempotencyKey: confirmKey, BookingID: held.ID,
			Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
		must(err)
		return held
	}
	held := book("victim-hold", "victim-confirm", f.checkIn, 2)
	// A stay of the victim's arriving today at the hotel, checked in: the
	// front desk's arrivals and guests in the house.
	london, err := time.LoadLocation("Europe/London")
	must(err)
	arrival := hoteldate.BusinessDate(time.Now(), london)
	_, _, err = cat.SetRates(admin, rp.ID, arrival, arrival, 9900) // before 06:00 in London, yesterday's night
	must(err)
	here := book("victim-arrival", "victim-arrival-confirm", arrival, 1)
	_, err = res.CheckIn(admin, here.ID)
	must(err)
	blocks, affected, err := res.BlockRooms(admin, cat, booking.BlockInput{RoomIDs: []uuid.UUID{rooms[0].ID}, From: f.checkIn, To: f.checkIn.AddDate(0, 0, 1),
		Reason: "PRIV-MAINT-REASON", Force: true})
	must(err)
	if len(affected) != 1 {
		t.Fatalf("the block should take the booking's room: %+v", affected)
	}
	// An email about the booking that the mail server never took, on the
	// hotel's list of undelivered notifications.
	smtpd := notifytest.NewSMTPServer(t)
	mail, err := email.New(smtpd.Host(), smtpd.Port(), "stays@staygraph.test", email.Opts{})
	must(err)
	res.SetNotifier(notify.NewService(b.pool, notify.NewRegistry(mail), res, notify.Opts{}))
	_, err = b.pool.Exec(context.Background(), `INSERT INTO notifications (id, booking_id, kind, channels, channel, status, attempts, last_error)
		VALUES ($1, $2, 'CONFIRMED', '{email}', 'email', 'DEAD', 5, '550 PRIV-MAIL-ERROR')`, uuid.New(), held.ID)
	must(err)
	// A refund of the booking the provider refused, for staff to settle.
	f.refund = uuid.New()
	_, err = b.pool.Exec(context.Background(), `INSERT INTO refunds (id, booking_id, amount, currency, status, failure_message)
		VALUES ($1, $2, 9900, 'GBP', 'FAILED', 'PRIV-REFUND-REFUSAL')`, f.refund, held.ID)
	must(err)
	must(b.pool.QueryRow(context.Background(), `SELECT id FROM payments WHERE booking_id = $1`, held.ID).Scan(&f.payment))
	f.booking, f.reference, f.block = held.ID, held.Reference, blocks[0].ID
	f.secrets = []string{held.ID.String(), f.gid(relay.KindBooking, held.ID), held.Reference, f.email, "7946 0999",
		here.ID.String(), f.gid(relay.KindBooking, here.ID), here.Reference,
		"Vittoria", "Privatesca", "RM-PRIV-7", rooms[0].ID.String(), "PRIV-MAINT-REASON", f.block.String(), f.gid(relay.KindMaintenanceBlock, f.block),
		"PRIV-KEY-NAME", "PRIV-MAIL-ERROR", "PRIV-REFUND-REFUSAL", f.refund.String(), f.gid(relay.KindRefund, f.refund),
		f.payment.String(), f.gid(relay.KindPayment, f.payment), key.Prefix, key.ID.String(), f.gid(relay.KindAPIKey, key.ID), secretKey,
		"victim-guest", "privacy-admin"}
	return f
}

func TestPrivateDataNeedsAuthorization(t *testing.T) {
	t.Parallel()
	if missing := privacyUnprobed(t, graph.NewExecutableSchema(graph.Config{}).Schema()); len(missing) > 0 {
		t.Fatalf("private data not covered by a probe; if it is meant to be private, list it in privateTypes or "+
			"privateFields and select it in a probe of privacyProbes rooted at that field, then make the probe pass:\n  %s",
			strings.Join(missing, "\n  "))
	}

	// Every probe, as an anonymous caller and as a guest with no part in
	// the seeded data, reaches none of it.
	b := setup(t, graph.HandlerOpts{MaxComplexity: 1 << 20, MaxDepth: 50, MaxAliases: 100, MaxRootFields: 50})
	live := hub.New(hub.Opts{})
	b.resolver.Live = live
	f := seedPrivacy(t, b)
	// The change stream's state is for administrators only.
	b.resolver.Stream = fixedStream{Slot: "sg_privacy_slot", State: indexer.StateStreaming}
	f.secrets = append(f.secrets, "sg_privacy_slot")
	// Subscriptions run over a websocket, with events of the seeded hotel
	// and booking published until an answer comes.
	do := func(tok string, p privacyProbe, vars map[string]any) response {
		if strings.HasPrefix(strings.TrimSpace(p.query), "subscription") {
			return b.doLive(t, live, tok, p.query, vars,
				hub.Event{Kind: hub.BookingUpdated, HotelID: f.hotel, BookingID: f.booking},
				hub.Event{Kind: hub.AvailabilityChanged, HotelID: f.hotel})
		}
		return b.do(t, tok, p.query, vars)
	}
	var lastEntry int64
	if err := b.pool.QueryRow(context.Background(), "SELECT max(id) FROM audit_log").Scan(&lastEntry); err != nil {
		t.Fatal(err)
	}
	admin := token(t, auth.RoleAdmin)
	intruder, err := auth.Mint(secret, auth.MintOpts{Role: auth.RoleGuest, Subject: "intruder", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range privacyProbes {
		for _, caller := range []struct{ name, token string }{{"anonymous", ""}, {"unrelated guest", intruder}} {
			res := do(caller.token, p, p.vars(f))
			raw, _ := json.Marshal(res)
			body := string(raw) + string(res.Data)
			for _, s := range f.secrets {
				if strings.Contains(body, s) {
					t.Errorf("%s as %s sees %q: %s", p.name, caller.name, s, body)
				}
			}
			for _, e := range res.Errors {
				if c, _ := e.Extensions["code"].(string); !slices.Contains([]string{"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"}, c) {
					t.Errorf("%s as %s: error %q (%s); a probe must reach the resolvers and be refused", p.name, caller.name, e.Message, c)
				}
			}
		}
		if strings.HasPrefix(strings.TrimSpace(p.query), "mutation") {
			continue
		}
		vars := p.vars
		if p.control != nil {
			vars = p.control
		}
		res := do(admin, p, vars(f))
		if len(res.Errors) > 0 || !slices.ContainsFunc(f.secrets, func(s string) bool { return strings.Contains(string(res.Data), s) }) {
			t.Errorf("%s as admin shows no private data, so the probe proves nothing: %s %+v", p.name, res.Data, res.Errors)
		}
	}

	// And changed nothing: the only changes since the seed are the
	// intruder's own.
	rows, err := b.pool.Query(context.Background(), "SELECT actor, entity, entity_id FROM audit_log WHERE id > $1", lastEntry)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seeded := []string{f.hotel.String(), f.roomType.String(), f.room.String(), f.ratePlan.String(), f.booking.String(), f.refund.String(), f.apiKey.String(), f.block.String()}
	for rows.Next() {
		var actor, entity, id string
		if err := rows.Scan(&actor, &entity, &id); err != nil {
			t.Fatal(err)
		}
		if actor != "GUEST:intruder" || slices.Contains(seeded, id) {
			t.Errorf("a probe changed %s %s as %s", entity, id, actor)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// privacyUnprobed lists the gates to private data that a root field of
// schema reaches but no probe rooted at that field selects.
func privacyUnprobed(t *testing.T, schema *ast.Schema) []string {
	t.Helper()
	private := privacyPrivateTypes(t, schema)
	gates := map[string]map[string]string{} // root field -> gate -> path to it
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation, schema.Subscription} {
		if root == nil {
			continue
		}
		for _, f := range root.Fields {
			if !strings.HasPrefix(f.Name, "__") {
				gates[root.Name+"."+f.Name] = privacyGates(schema, private, root, f)
			}
		}
	}
	// Every probe must be a valid operation of one root field and select one
	// gate; what it selects is its coverage.
	selected := map[string]map[string]bool{} // root field -> Type.field selected under it
	for _, p := range privacyProbes {
		doc, errs := gqlparser.LoadQuery(schema, p.query)
		if len(errs) > 0 {
			t.Fatalf("probe %s: %v", p.name, errs)
		}
		sel := doc.Operations[0].SelectionSet
		root, ok := sel[0].(*ast.Field)
		if len(doc.Operations) != 1 || len(sel) != 1 || !ok {
			t.Fatalf("probe %s: give each probe one operation with one root field", p.name)
		}
		key := root.ObjectDefinition.Name + "." + root.Name
		fields := map[string]bool{key: true}
		privacySelections(root.SelectionSet, fields)
		var probed []string
		for gate := range gates[key] {
			if fields[gate] {
				probed = append(probed, gate)
			}
		}
		if len(probed) != 1 {
			t.Fatalf("probe %s selects gates %v: select exactly one, so that one refusal cannot hide a leak through another", p.name, probed)
		}
		if selected[key] == nil {
			selected[key] = map[string]bool{}
		}
		selected[key][probed[0]] = true
	}
	var missing []string
	for key, gs := range gates {
		for gate, path := range gs {
			if !selected[key][gate] {
				missing = append(missing, fmt.Sprintf("%s reaches private data through %s (%s)", key, gate, path))
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// The coverage check itself: fields added to the schema that lead to private
// data, whatever their shape, are noticed until they are probed.
func TestPrivacyCoverageNoticesNewPrivateFields(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ extension, want string }{
		{"extend type Hotel { lastBooking: Booking }", "Query.hotel reaches private data through Hotel.lastBooking"},
		{"extend type Query { recentBookings(first: Int): BookingConnection! }", "Query.recentBookings reaches private data through BookingEdge.node"},
		{"extend type RoomType { rooms: [Room!]! }", "Query.quote reaches private data through RoomType.rooms"},
		{"extend type Query { payments: [Payment!]! }", "Query.payments reaches private data through Query.payments"},
		{"extend type Query { notice(id: ID!): Notification }", "Query.notice reaches private data through Query.notice"},
		{"extend type Quote { relocations: [AffectedBooking!]! }", "Query.quote reaches private data through Quote.relocations"},
		{"extend type Mutation { deleteHotel(id: ID!): Boolean! }", "Mutation.deleteHotel reaches private data through Mutation.deleteHotel"},
		{"type Review implements Node { id: ID! text: String! }\nextend type Hotel { reviews: [Review!]! }", ""},
	} {
		schema, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: privacySchemaSource(t)},
			&ast.Source{Name: "extension.graphqls", Input: c.extension})
		if err != nil {
			t.Fatalf("%s: %v", c.extension, err)
		}
		missing := strings.Join(privacyUnprobed(t, schema), "\n")
		if c.want == "" && missing != "" || !strings.Contains(missing, c.want) {
			t.Errorf("with %q the check reports:\n%s\nwant it to report %q", c.extension, missing, c.want)
		}
	}
}

// privacySchemaSource is the schema the server was generated from.
func privacySchemaSource(t *testing.T) string {
	t.Helper()
	return graph.NewExecutableSchema(graph.Config{}).Schema().Types["Query"].Position.Src.Input
}

// privacyPrivateTypes is privateTypes and every object type under them,
// except sharedTypes.
func privacyPrivateTypes(t *testing.T, schema *ast.Schema) map[string]bool {
	t.Helper()
	for _, name := range slices.Concat(privateTypes, sharedTypes) {
		if schema.Types[name] == nil {
			t.Fatalf("type %s is listed but not in the schema", name)
		}
	}
	for _, key := range privateFields {
		typ, field, _ := strings.Cut(key, ".")
		if schema.Types[typ] == nil || schema.Types[typ].Fields.ForName(field) == nil {
			t.Fatalf("field %s is listed but not in the schema", key)
		}
	}
	private := map[string]bool{}
	queue := slices.Clone(privateTypes)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		def := schema.Types[name]
		if private[name] || slices.Contains(sharedTypes, name) || !privacyComposite(def) {
			continue
		}
		private[name] = true
		for _, f := range def.Fields {
			queue = append(queue, f.Type.Name())
		}
		for _, impl := range schema.GetPossibleTypes(def) {
			queue = append(queue, impl.Name)
		}
	}
	return private
}

func privacyComposite(def *ast.Definition) bool {
	return def != nil && (def.Kind == ast.Object || def.Kind == ast.Interface || def.Kind == ast.Union)
}

// privacyGates returns the gates reachable from the root field f, each with
// a path to it: fields listed in privateFields, fields of private type, and
// private types of an interface or union ("Node:Room"). The search stops at
// gates: what lies behind one is private as a whole.
func privacyGates(schema *ast.Schema, private map[string]bool, root *ast.Definition, f *ast.FieldDefinition) map[string]string {
	gates := map[string]string{}
	seen := map[string]bool{}
	var visit func(owner string, f *ast.FieldDefinition, path string)
	var visitType func(name, path string)
	visitType = func(name, path string) {
		def := schema.Types[name]
		if !privacyComposite(def) || seen[name] {
			return
		}
		seen[name] = true
		if def.Kind == ast.Object {
			for _, g := range def.Fields {
				visit(name, g, path)
			}
			return
		}
		for _, impl := range schema.GetPossibleTypes(def) {
			if private[impl.Name] {
				gates[name+":"+impl.Name] = strings.TrimPrefix(path+" ... on "+impl.Name, " → ")
			} else {
				visitType(impl.Name, path+" ... on "+impl.Name)
			}
		}
	}
	visit = func(owner string, f *ast.FieldDefinition, path string) {
		if strings.HasPrefix(f.Name, "__") {
			return
		}
		key := owner + "." + f.Name
		path += " → " + key
		if slices.Contains(privateFields, key) || private[f.Type.Name()] || schema.Mutation != nil && owner == schema.Mutation.Name {
			gates[key] = strings.TrimPrefix(path, " → ")
			return
		}
		visitType(f.Type.Name(), path)
	}
	visit(root.Name, f, "")
	return gates
}

// privacySelections adds every Type.field (and Interface:Type fragment) that
// set selects, at any depth.
func privacySelections(set ast.SelectionSet, out map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			out[s.ObjectDefinition.Name+"."+s.Name] = true
			privacySelections(s.SelectionSet, out)
		case *ast.InlineFragment:
			out[s.ObjectDefinition.Name+":"+s.TypeCondition] = true
			privacySelections(s.SelectionSet, out)
		case *ast.FragmentSpread:
			out[s.ObjectDefinition.Name+":"+s.Definition.TypeCondition] = true
			privacySelections(s.Definition.SelectionSet, out)
		}
	}
}
