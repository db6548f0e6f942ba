package graph_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

// UpdateHotelInput says "Fields left out stay as they are". A manager who
// corrects the city of the address, sending the required parts of
// AddressInput only, must not lose the address's second line and postal
// code, which they left out.
func TestUpdateHotelKeepsAddressPartsLeftOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := token(t, auth.RoleAdmin)
	in := hotelInput("Marunouchi Tower")
	in["address"] = map[string]any{"line1": "1-1 Marunouchi", "line2": "Tower B, 5F", "postalCode": "100-0005",
		"city": "Tokyo", "countryCode": "JP"}
	created := decode[struct{ CreateHotel hotelPayload }](t, b.do(t, admin, createHotel, map[string]any{"input": in}))
	if created.CreateHotel.Hotel == nil {
		t.Fatalf("create hotel: %+v", created.CreateHotel.UserErrors)
	}
	staff := token(t, auth.RoleStaff, hotelUUID(t, b, "Marunouchi Tower"))
	out := decode[struct {
		UpdateHotel struct {
			Hotel *struct {
				Address struct{ Line1, Line2, PostalCode, City string }
			}
			UserErrors []userError
		}
	}](t, b.do(t, staff, `mutation($id: ID!, $v: Int!) {
	  updateHotel(input: {id: $id, expectedVersion: $v, address: {line1: "1-1 Marunouchi", city: "Chiyoda", countryCode: "JP"}}) {
	    hotel { address { line1 line2 postalCode city } } userErrors { code field message } } }`,
		map[string]any{"id": created.CreateHotel.Hotel.ID, "v": created.CreateHotel.Hotel.Version}))
	h := out.UpdateHotel.Hotel
	if h == nil {
		t.Fatalf("update: %+v", out.UpdateHotel.UserErrors)
	}
	if h.Address.City != "Chiyoda" || h.Address.Line2 != "Tower B, 5F" || h.Address.PostalCode != "100-0005" {
		t.Fatalf("after changing the city only, the address is %+v; want line2 %q and postalCode %q kept (fields left out stay as they are)",
			h.Address, "Tower B, 5F", "100-0005")
	}
}

// A room type's occupancy limits may not drop below what live bookings of
// it hold: a held booking for 2 adults and 2 children must not be left in a
// room type that now sleeps one (nothing re-checks it: the guest would
// confirm it, the hotel receive four people for a single room). The change
// is refused (CONFLICT naming the booking) and the room type stays as it
// was. Once the booking is cancelled, the room type sleeps one.
func TestUpdateRoomTypeRefusesLimitsBelowLiveBookings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, rt := b.stayFixture(t, "Europe/Lisbon", 2)
	guest := token(t, auth.RoleGuest)
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, guest, holdMutation, holdVars(hotel, plan, "four", checkIn, 2))).HoldBooking
	if held.Booking == nil || held.Booking.Rooms[0].Adults != 2 || len(held.Booking.Rooms[0].ChildAges) != 2 {
		t.Fatalf("hold for 2 adults and 2 children: %+v %+v", held.Booking, held.UserErrors)
	}
	hotelID, err := relay.Decode(relay.KindHotel, hotel)
	if err != nil {
		t.Fatal(err)
	}
	staff := token(t, auth.RoleStaff, hotelID)
	type updated struct {
		UpdateRoomType struct {
			RoomType   *struct{ MaxAdults, MaxChildren, MaxOccupancy, Version int }
			UserErrors []userError
		}
	}
	const update = `mutation($id: ID!, $v: Int!, $a: Int!, $c: Int!, $o: Int!) {
	  updateRoomType(input: {id: $id, expectedVersion: $v, maxAdults: $a, maxChildren: $c, maxOccupancy: $o}) {
	    roomType { maxAdults maxChildren maxOccupancy version } userErrors { code field message } } }`
	out := decode[updated](t, b.do(t, staff, update,
		map[string]any{"id": relay.ID(relay.KindRoomType, rt.ID), "v": rt.Version, "a": 1, "c": 0, "o": 1})).UpdateRoomType
	if out.RoomType != nil || len(out.UserErrors) != 1 || out.UserErrors[0].Code != "CONFLICT" ||
		strings.Join(out.UserErrors[0].Field, ".") != "input.maxAdults" || !strings.Contains(out.UserErrors[0].Message, held.Booking.Reference+" ("+checkIn.Format(time.DateOnly)+", 2 adults, 2 children)") {
		t.Fatalf("room type with a live booking for 4 shrunk to sleep 1: %+v, userErrors %+v; want CONFLICT on input.maxAdults naming %s",
			out.RoomType, out.UserErrors, held.Booking.Reference)
	}
	var adults, occupancy int
	if err := b.pool.QueryRow(context.Background(), "SELECT max_adults, max_occupancy FROM room_types WHERE id = $1", rt.ID).Scan(&adults, &occupancy); err != nil {
		t.Fatal(err)
	}
	if adults != rt.MaxAdults || occupancy != rt.MaxOccupancy {
		t.Fatalf("after the refusal the room type sleeps %d adults, %d in all; want %d and %d as before", adults, occupancy, rt.MaxAdults, rt.MaxOccupancy)
	}
	b.do(t, guest, `mutation($id: ID!) { cancelBooking(input: {idempotencyKey: "x", bookingId: $id}) { userErrors { code } } }`,
		map[string]any{"id": held.Booking.ID})
	out = decode[updated](t, b.do(t, staff, update,
		map[string]any{"id": relay.ID(relay.KindRoomType, rt.ID), "v": rt.Version, "a": 1, "c": 0, "o": 1})).UpdateRoomType
	if out.RoomType == nil || out.RoomType.MaxOccupancy != 1 {
		t.Fatalf("the same limits once the booking is cancelled: %+v %+v", out.RoomType, out.UserErrors)
	}
}

// Errors of a list element name the element elsewhere (beds.0.type,
// numbers.1, rates.2.currency): an unknown scope of createApiKey should too,
// so a client can mark the scope at fault.
func TestCreateApiKeyScopeErrorsNameTheScope(t *testing.T) {
	t.Parallel()
	b := setup(t)
	out := decode[struct {
		CreateAPIKey struct {
			Secret     *string
			UserErrors []userError
		} `json:"createApiKey"`
	}](t, b.do(t, token(t, auth.RoleAdmin), `mutation { createApiKey(input: {name: "OTA", scopes: ["search", "bogus", "book", "nope"]}) { secret userErrors { code field message } } }`, nil)).CreateAPIKey
	want := [][]string{{"input", "scopes", "1"}, {"input", "scopes", "3"}}
	if out.Secret != nil || len(out.UserErrors) != 2 {
		t.Fatalf("createApiKey with two unknown scopes: %+v", out)
	}
	for i, e := range out.UserErrors {
		if e.Code != "INVALID_INPUT" || len(e.Field) != 3 || e.Field[0] != want[i][0] || e.Field[1] != want[i][1] || e.Field[2] != want[i][2] {
			t.Errorf("error %d: %s at %v (%s); want INVALID_INPUT at %v", i, e.Code, e.Field, e.Message, want[i])
		}
	}
}
