package graph

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/graph/model"
	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/money"
)

// roomRequests decodes the rooms of a quote or hold. A party is given either
// as adults and childAges or in partner notation as occupancy ("2-9,4").
// Too many rooms are refused for their count alone.
func roomRequests(d *ids, in []model.RoomRequestInput) []booking.RoomRequest {
	if err := booking.RoomCount(len(in), "input"); err != nil {
		d.errs = append(d.errs, err.(*apperr.Error))
		return nil
	}
	out := make([]booking.RoomRequest, len(in))
	for i, r := range in {
		field := []string{"input", "rooms", strconv.Itoa(i)}
		out[i].RatePlanID = d.decode(relay.KindRatePlan, r.RatePlanID, append(field, "ratePlanId")...)
		switch {
		case r.Occupancy != nil && (r.Adults != nil || r.ChildAges != nil):
			d.errs = append(d.errs, apperr.Invalid("give either adults and childAges or occupancy, not both", append(field, "occupancy")...))
		case r.Occupancy != nil:
			party, err := booking.ParseParty(*r.Occupancy)
			if err != nil {
				d.errs = append(d.errs, apperr.Invalid(err.Error(), append(field, "occupancy")...))
			}
			out[i].Party = party
		case r.Adults == nil:
			d.errs = append(d.errs, apperr.Invalid("say how many adults stay, or give occupancy", append(field, "adults")...))
		default:
			out[i].Party = booking.Party{Adults: *r.Adults, ChildAges: orEmpty(r.ChildAges)}
		}
		for _, g := range r.Guests {
			out[i].Guests = append(out[i].Guests, booking.GuestName{GivenName: g.GivenName, FamilyName: g.FamilyName})
		}
	}
	return out
}

// occupancyFields points the errors the booking core reports on a room's
// adults or childAges at its occupancy when the client gave the party that
// way, so that each error names a field the client sent.
func occupancyFields(ue []apperr.Error, rooms []model.RoomRequestInput) []apperr.Error {
	for i, e := range ue {
		f := e.Field
		if len(f) != 4 || f[0] != "input" || f[1] != "rooms" || f[3] != "adults" && f[3] != "childAges" {
			continue
		}
		if n, err := strconv.Atoi(f[2]); err == nil && n < len(rooms) && rooms[n].Occupancy != nil {
			ue[i].Field = []string{"input", "rooms", f[2], "occupancy"}
		}
	}
	return ue
}

func quoteInput(in model.QuoteInput) (booking.QuoteInput, error) {
	var d ids
	out := booking.QuoteInput{HotelID: d.decode(relay.KindHotel, in.HotelID, "input", "hotelId"),
		CheckIn: in.CheckIn, CheckOut: in.CheckOut, Rooms: roomRequests(&d, in.Rooms)}
	return out, d.errs.Err()
}

func holdInput(in model.HoldBookingInput) (booking.HoldInput, error) {
	var d ids
	out := booking.HoldInput{IdempotencyKey: in.IdempotencyKey, HotelID: d.decode(relay.KindHotel, in.HotelID, "input", "hotelId"),
		CheckIn: in.CheckIn, CheckOut: in.CheckOut, Rooms: roomRequests(&d, in.Rooms)}
	if in.Contact != nil {
		out.Contact = booking.Contact{Email: in.Contact.Email, Phone: deref(in.Contact.Phone), Language: deref(in.Contact.Language)}
	}
	if in.ExpectedTotal != nil {
		total := int64(*in.ExpectedTotal)
		out.ExpectedTotal = &total
	}
	return out, d.errs.Err()
}

// nightPrices spreads a booked room's nightly prices over its nights.
func nightPrices(checkIn time.Time, nightly []int64, currency string) []model.NightPrice {
	out := make([]model.NightPrice, len(nightly))
	for i, amount := range nightly {
		out[i] = model.NightPrice{Night: checkIn.AddDate(0, 0, i), Price: &money.Money{Amount: amount, Currency: currency}}
	}
	return out
}

// inHotelZone shows an instant of a booking in the offset of its hotel's
// time zone.
func (r *Resolver) inHotelZone(ctx context.Context, b *booking.Booking, t time.Time) (time.Time, error) {
	loc, err := r.hotelZone(ctx, b)
	if err != nil {
		return t, err
	}
	return t.In(loc), nil
}

// hotelZone is the time zone of a booking's hotel.
func (r *Resolver) hotelZone(ctx context.Context, b *booking.Booking) (*time.Location, error) {
	if b.Zone != nil {
		return b.Zone, nil
	}
	h, err := r.loaders(ctx).hotel.Load(ctx, b.HotelID)
	if err != nil {
		return nil, err
	}
	return h.Zone()
}

// orEmpty turns a nil slice into an empty one, for non-null list fields.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// withoutSettlers copies refunds with the staff who settled them outside
// left out: the guest and partners see that and how a refund was paid back,
// not who among the staff recorded it (RefundSettlement.by is then null).
// The loader's slice is shared, so it is copied, not changed.
func withoutSettlers(refunds []booking.Refund) []booking.Refund {
	out := slices.Clone(refunds)
	for i := range out {
		if s := out[i].Settlement; s != nil {
			withheld := *s
			withheld.By = ""
			out[i].Settlement = &withheld
		}
	}
	return out
}

// refundAction runs a staff action on the refund refundID names.
func (r *mutationResolver) refundAction(ctx context.Context, refundID string,
	act func(context.Context, uuid.UUID) (booking.Refund, booking.Booking, error)) (*model.RefundPayload, error) {
	var d ids
	id := d.decode(relay.KindRefund, refundID, "input", "refundId")
	if ue, err := userErrors(d.errs.Err()); len(ue) > 0 || err != nil {
		return &model.RefundPayload{UserErrors: ue}, err
	}
	refund, b, err := act(ctx, id)
	ue, err := d.userErrors(err)
	return &model.RefundPayload{Refund: okPtr(refund, ue), Booking: okPtr(b, ue), UserErrors: ue}, err
}

// frontDesk runs one front-desk change of the booking input names.
func (r *mutationResolver) frontDesk(ctx context.Context, input model.FrontDeskInput,
	move func(context.Context, uuid.UUID) (booking.Booking, error)) (*model.FrontDeskPayload, error) {
	var d ids
	id := d.decode(relay.KindBooking, input.BookingID, "input", "bookingId")
	if ue, err := userErrors(d.errs.Err()); len(ue) > 0 || err != nil {
		return &model.FrontDeskPayload{UserErrors: ue}, err
	}
	b, err := move(ctx, id)
	ue, err := d.userErrors(err)
	return &model.FrontDeskPayload{Booking: okPtr(b, ue), UserErrors: ue}, err
}

// Cursor kinds of a hotel's lists of bookings: each pages in its own order,
// so a cursor of one is refused by another (viewer.bookings' are
// relay.KindBooking).
const (
	cursorArrivals relay.Kind = "ArrivingBooking"
	cursorInHouse  relay.Kind = "InHouseBooking"
)

// bookingPage is the BookingConnection of a list of bookings, first of
// them after the cursor after (of the list's kind); list reads one more
// than it is given, to tell whether a next page follows.
func bookingPage(kind relay.Kind, first *int, after *string, list func(after uuid.NullUUID, limit int) ([]booking.Booking, error)) (model.BookingConnection, error) {
	limit, err := pageSize(first)
	if err != nil {
		return model.BookingConnection{}, err
	}
	cursor, err := relay.ParseCursor(kind, deref(after))
	if err != nil {
		return model.BookingConnection{}, err
	}
	bookings, err := list(cursor, limit+1)
	if err != nil {
		return model.BookingConnection{}, err
	}
	bookings, page := connection(bookings, limit, func(b booking.Booking) string { return relay.Cursor(kind, b.ID) })
	page.HasPreviousPage = cursor.Valid
	edges := make([]model.BookingEdge, len(bookings))
	for i := range bookings {
		edges[i] = model.BookingEdge{Cursor: relay.Cursor(kind, bookings[i].ID), Node: &bookings[i]}
	}
	return model.BookingConnection{Edges: edges, PageInfo: page}, nil
}
