package client_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/Khan/genqlient/graphql"

	"github.com/staygraph/staygraph/examples/client"
	"github.com/staygraph/staygraph/internal/apitest"
	"github.com/staygraph/staygraph/internal/auth"
)

// bearer adds a bearer token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func ptr[T any](v T) *T { return &v }

// TestBookAStayWithTheTypedClient books a stay with the generated client the
// way a travel site would: search, quote, hold, confirm, then find the
// booking by its reference.
func TestBookAStayWithTheTypedClient(t *testing.T) {
	t.Parallel()
	api := apitest.Start(t, apitest.Opts{Hotels: 12})
	ctx := context.Background()
	anonymous := graphql.NewClient(api.URL, http.DefaultClient)
	guest := graphql.NewClient(api.URL, &http.Client{Transport: bearer{apitest.Token(t, auth.RoleGuest)}})
	const checkIn, checkOut = "2031-06-12", "2031-06-15"

	found, err := client.SearchHotels(ctx, anonymous, client.HotelSearchInput{
		Near:    &client.CircleInput{Lat: 48.8566, Lon: 2.3522, RadiusKm: 25},
		CheckIn: ptr(checkIn), CheckOut: ptr(checkOut),
		Rooms: []client.PartyInput{{Adults: 2}},
	}, ptr(3))
	if err != nil {
		t.Fatal(err)
	}
	if len(found.SearchHotels.Edges) == 0 || len(found.SearchHotels.Edges[0].Node.RoomTypes) == 0 {
		t.Fatalf("no hotel near Paris: %+v", found.SearchHotels)
	}
	hit := found.SearchHotels.Edges[0].Node
	offer := hit.RoomTypes[0]
	if offer.RatePlan == nil || offer.Total == nil || hit.DistanceKm == nil || *hit.DistanceKm > 25 {
		t.Fatalf("hit %+v", hit)
	}
	rooms := []client.RoomRequestInput{{RatePlanId: offer.RatePlan.Id, Occupancy: ptr("2")}}

	quoted, err := client.Quote(ctx, guest, client.QuoteInput{HotelId: hit.Hotel.Id, CheckIn: checkIn, CheckOut: checkOut, Rooms: rooms})
	if err != nil {
		t.Fatal(err)
	}
	q := quoted.Quote.Quote
	if q == nil || !q.Available || q.Nights != 3 || q.Total.Amount != offer.Total.Amount {
		t.Fatalf("quote %+v, user errors %+v (search said %+v)", q, quoted.Quote.UserErrors, offer.Total)
	}

	rooms[0].Guests = []client.GuestInput{{GivenName: "Ana", FamilyName: "Lima"}}
	held, err := client.HoldBooking(ctx, guest, client.HoldBookingInput{
		IdempotencyKey: "example-hold", HotelId: hit.Hotel.Id, CheckIn: checkIn, CheckOut: checkOut,
		Rooms: rooms, Contact: client.ContactInput{Email: "ana@example.com"}, ExpectedTotal: ptr(q.Total.Amount),
	})
	if err != nil {
		t.Fatal(err)
	}
	bk := held.HoldBooking.Booking
	if bk == nil || bk.Status != client.BookingStatusHeld || bk.Total.Amount != q.Total.Amount || !bk.HoldExpiresAt.Equal(apitest.Now.Add(15*time.Minute)) {
		t.Fatalf("hold %+v, user errors %+v", bk, held.HoldBooking.UserErrors)
	}

	confirmed, err := client.ConfirmBooking(ctx, guest, client.ConfirmBookingInput{
		IdempotencyKey: "example-confirm", BookingId: bk.Id,
		Payment: &client.PaymentInput{Provider: "sandbox", Token: "tok_success"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := confirmed.ConfirmBooking.Booking; c == nil || c.Status != client.BookingStatusConfirmed || len(c.Payments) != 1 ||
		c.Payments[0].Captured.Amount != bk.DepositDue.Amount {
		t.Fatalf("confirm %+v, user errors %+v", c, confirmed.ConfirmBooking.UserErrors)
	}

	byRef, err := client.BookingByReference(ctx, anonymous, bk.Reference, "Ana@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	if b := byRef.BookingByReference; b == nil || b.Status != client.BookingStatusConfirmed || b.CheckIn != checkIn ||
		b.Hotel.Name != hit.Hotel.Name || b.Total.Amount != q.Total.Amount {
		t.Fatalf("by reference %+v", b)
	}
}
