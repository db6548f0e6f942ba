package booking

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// Payment is one attempt to take money for a booking.
type Payment struct {
	ID             uuid.UUID
	Provider       string
	ProviderRef    string
	Amount         int64
	CapturedAmount int64
	Currency       string
	Status         string
	FailureCode    string
	FailureMessage string
	CreatedAt      time.Time
}

// ViewerBookings lists the caller's bookings, newest first: a guest's or
// partner's own (a partner's key needs a scope that reads bookings, as
// canSee asks), a staff member's hotels', and every booking for admins.
func (s *Service) ViewerBookings(ctx context.Context, after uuid.NullUUID, limit int) ([]Booking, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Role == auth.RolePartner && !readsBookings(p) {
		return nil, apperr.New(apperr.Forbidden, `this API key's scopes include neither "read:bookings" nor "book"`)
	}
	var rows []db.Booking
	switch {
	case p.IsAdmin():
		rows, err = s.q.ListAllBookings(ctx, db.ListAllBookingsParams{After: after, PageSize: int32(limit)})
	case p.Role == auth.RoleStaff:
		rows, err = s.q.ListBookingsByHotels(ctx, db.ListBookingsByHotelsParams{HotelIds: p.HotelIDs, After: after, PageSize: int32(limit)})
	default:
		rows, err = s.q.ListBookingsByOwner(ctx, db.ListBookingsByOwnerParams{Owner: ownerOf(p), After: after, PageSize: int32(limit)})
	}
	if err != nil {
		return nil, fmt.Errorf("list bookings: %w", err)
	}
	return s.revealAll(rows)
}

// Arrivals lists the bookings of a hotel whose check-in is the night on
// (nil: its business date at now) and that arrived or are still to: the
// front desk's arrivals, by id after after, at most limit. Staff of the
// hotel and admins only (FORBIDDEN to others).
func (s *Service) Arrivals(ctx context.Context, hotelID uuid.UUID, on *time.Time, after uuid.NullUUID, limit int) ([]Booking, error) {
	if err := auth.RequireHotel(ctx, hotelID); err != nil {
		return nil, err
	}
	var night time.Time
	if on != nil {
		night = Date(*on)
	} else {
		loc, err := s.hotelLocation(ctx, hotelID)
		if err != nil {
			return nil, err
		}
		night = hoteldate.BusinessDate(s.opts.Now(), loc)
	}
	rows, err := s.q.ListArrivals(ctx, db.ListArrivalsParams{HotelID: hotelID, Night: night, After: after, PageSize: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list arrivals: %w", err)
	}
	return s.revealAll(rows)
}

// InHouse lists the bookings of a hotel checked in and not checked out, by
// id after after, at most limit. Staff of the hotel and admins only.
func (s *Service) InHouse(ctx context.Context, hotelID uuid.UUID, after uuid.NullUUID, limit int) ([]Booking, error) {
	if err := auth.RequireHotel(ctx, hotelID); err != nil {
		return nil, err
	}
	rows, err := s.q.ListInHouse(ctx, db.ListInHouseParams{HotelID: hotelID, After: after, PageSize: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list the guests in the house: %w", err)
	}
	return s.revealAll(rows)
}

// revealAll is reveal for rows of bookings the caller may see.
func (s *Service) revealAll(rows []db.Booking) ([]Booking, error) {
	out := make([]Booking, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = s.reveal(bookingFromRow(r)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RoomsOf returns the booked rooms of bookings the caller already loaded,
// keyed by booking id.
func (s *Service) RoomsOf(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]BookedRoom, error) {
	rows, err := s.q.ListBookingRooms(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load booked rooms: %w", err)
	}
	out := map[uuid.UUID][]BookedRoom{}
	for _, r := range rows {
		var snap policySnapshot
		_ = json.Unmarshal(r.CancellationPolicy, &snap) // written by Hold
		ages := make([]int, len(r.ChildAges))
		for i, a := range r.ChildAges {
			ages[i] = int(a)
		}
		out[r.BookingID] = append(out[r.BookingID], BookedRoom{Position: int(r.Position), Currency: r.Currency, CheckIn: r.CheckIn, RatePlanID: r.RatePlanID,
			RoomTypeID: r.RoomTypeID, Adults: int(r.Adults), ChildAges: ages, Nightly: r.Nightly, Amount: r.Amount,
			TaxAmount: r.TaxAmount, Policy: snap.policy(), HoldsInventory: r.HoldsInventory})
	}
	return out, nil
}

// GuestsOf returns the guests of bookings the caller already loaded.
func (s *Service) GuestsOf(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]Guest, error) {
	rows, err := s.q.ListBookingGuests(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load guests: %w", err)
	}
	out := map[uuid.UUID][]Guest{}
	for _, r := range rows {
		g, err := s.guestFromRow(r)
		if err != nil {
			return nil, err
		}
		out[r.BookingID] = append(out[r.BookingID], g)
	}
	return out, nil
}

// PaymentsOf returns the payment attempts of bookings the caller already loaded.
func (s *Service) PaymentsOf(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]Payment, error) {
	rows, err := s.q.ListPayments(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load payments: %w", err)
	}
	out := map[uuid.UUID][]Payment{}
	for _, r := range rows {
		out[r.BookingID] = append(out[r.BookingID], paymentOf(r))
	}
	return out, nil
}

func paymentOf(r db.Payment) Payment {
	return Payment{ID: r.ID, Provider: r.Provider, ProviderRef: r.ProviderRef,
		Amount: r.Amount, CapturedAmount: r.CapturedAmount, Currency: r.Currency, Status: r.Status,
		FailureCode: r.FailureCode, FailureMessage: r.FailureMessage, CreatedAt: r.CreatedAt}
}

// RefundsOf returns the refunds of bookings the caller already loaded.
func (s *Service) RefundsOf(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]Refund, error) {
	rows, err := s.q.ListRefunds(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load refunds: %w", err)
	}
	out := map[uuid.UUID][]Refund{}
	for _, r := range rows {
		refund, err := s.refund(r)
		if err != nil {
			return nil, err
		}
		out[r.BookingID] = append(out[r.BookingID], *refund)
	}
	return out, nil
}

// RelocationsOf lists hotels' active bookings that maintenance left without
// a room, keyed by hotel id, for their staff and admins: every hotel must be
// one the caller manages.
func (s *Service) RelocationsOf(ctx context.Context, hotelIDs []uuid.UUID) (map[uuid.UUID][]Booking, error) {
	if err := auth.RequireHotels(ctx, hotelIDs); err != nil {
		return nil, err
	}
	rows, err := s.q.ListRelocations(ctx, hotelIDs)
	if err != nil {
		return nil, fmt.Errorf("list relocations: %w", err)
	}
	out := map[uuid.UUID][]Booking{}
	for _, r := range rows {
		b, err := s.reveal(bookingFromRow(r))
		if err != nil {
			return nil, err
		}
		out[b.HotelID] = append(out[b.HotelID], b)
	}
	return out, nil
}

// Penalties lists what cancelling b costs from now on, under the terms its
// rooms were sold with, as instants in the hotel's zone loc: what Cancel
// would keep, so at most what was paid (a hold: what confirming pays, its
// deposit). rooms and payments are b's (RoomsOf, PaymentsOf). A booking that
// can no longer be cancelled has none.
func (s *Service) Penalties(b Booking, rooms []BookedRoom, payments []Payment, loc *time.Location) []PenaltyWindow {
	if b.Status != StatusHeld && b.Status != StatusConfirmed {
		return []PenaltyWindow{}
	}
	var priced []pricedRoom
	for _, r := range rooms {
		// A room maintenance took away costs nothing (penaltyOf), and a
		// booking flagged for relocation is free to cancel whole (Cancel).
		if r.HoldsInventory && !b.RelocationRequired {
			priced = append(priced, pricedRoom{policy: r.Policy, total: r.Amount + r.TaxAmount})
		}
	}
	paid := b.DepositDue
	if b.Status == StatusConfirmed {
		paid = captured(payments)
	}
	// counted on the clock of the zone sold in, shown in the hotel's
	return windows(priced, b.CheckInAt.In(cmp.Or(b.soldZone(), loc)), s.opts.Now(), b.Currency, paid, loc)
}

// captured is what payments took, as the CapturedAmount query sums it.
func captured(payments []Payment) int64 {
	var sum int64
	for _, p := range payments {
		if tookMoney(p.Status) {
			sum += p.CapturedAmount
		}
	}
	return sum
}

// BlocksOf lists hotels' maintenance blocks that still take a night from
// each one's today (its business date, hoteldate) on, keyed by hotel id,
// for their staff and admins: every hotel must be one the caller manages.
func (s *Service) BlocksOf(ctx context.Context, hotelIDs []uuid.UUID) (map[uuid.UUID][]MaintenanceBlock, error) {
	if err := auth.RequireHotels(ctx, hotelIDs); err != nil {
		return nil, err
	}
	hotels, err := s.catalog.Hotels(ctx, hotelIDs)
	if err != nil {
		return nil, err
	}
	p := db.ListMaintenanceBlocksParams{}
	for _, h := range hotels {
		loc, err := h.Zone()
		if err != nil {
			return nil, err
		}
		p.HotelIds = append(p.HotelIds, h.ID)
		p.FromNights = append(p.FromNights, hoteldate.BusinessDate(s.opts.Now(), loc))
	}
	rows, err := s.q.ListMaintenanceBlocks(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list maintenance blocks: %w", err)
	}
	out := map[uuid.UUID][]MaintenanceBlock{}
	for _, r := range rows {
		out[r.HotelID] = append(out[r.HotelID], blockFromRow(r))
	}
	return out, nil
}
