package booking

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// MaxRooms bounds the rooms of one booking.
const MaxRooms = 9

// RoomCount refuses a quote or hold of no rooms or of more than MaxRooms,
// on field's rooms. It is checked before anything about each room, so that
// a request of 500 rooms is told the limit once, not each room's faults.
func RoomCount(n int, field ...string) error {
	if n == 0 || n > MaxRooms {
		return apperr.Invalid(fmt.Sprintf("ask for 1 to %d rooms", MaxRooms), append(slices.Clone(field), "rooms")...)
	}
	return nil
}

// RoomRequest asks for one unit of a rate plan's room type for a party.
type RoomRequest struct {
	RatePlanID uuid.UUID
	Party      Party
	// Guests are named when holding; at least one per room.
	Guests []GuestName
}

// GuestName is a guest as entered by the booker.
type GuestName struct {
	GivenName  string
	FamilyName string
}

// QuoteInput asks for the price and availability of a stay.
type QuoteInput struct {
	HotelID  uuid.UUID
	CheckIn  time.Time
	CheckOut time.Time
	Rooms    []RoomRequest
}

// NightPrice is the price of one night of one room.
type NightPrice struct {
	Night  time.Time
	Amount int64
}

// QuotedRoom is one requested room, priced.
type QuotedRoom struct {
	Currency  string
	RatePlan  catalog.RatePlan
	RoomType  catalog.RoomType
	Party     Party
	Nightly   []NightPrice
	Amount    int64 // before tax
	TaxAmount int64
	// UnitsLeft is the fewest units of the room type free on any night.
	UnitsLeft int
}

// PenaltyWindow is what cancelling costs between two instants, shown in the
// hotel's offset. A nil Start means from now; a nil End means without end.
type PenaltyWindow struct {
	Start    *time.Time
	End      *time.Time
	Amount   int64
	Currency string
}

// Quote is the price, availability and cancellation terms of a stay.
type Quote struct {
	Hotel      catalog.Hotel
	CheckIn    time.Time
	CheckOut   time.Time
	Currency   string
	Available  bool
	Rooms      []QuotedRoom
	RoomAmount int64
	TaxAmount  int64
	Total      int64
	DepositDue int64
	Penalties  []PenaltyWindow
	// CheckInAt and CheckOutAt are the stay's instants in the hotel's zone.
	CheckInAt  time.Time
	CheckOutAt time.Time
	// inventory holds the stay's inventory rows as priceTx read them, in
	// (room type, night) order; nil when some night has no row yet.
	inventory []db.ReadInventoryRow
}

// Quote prices a stay and says whether it is available now. Anyone may ask.
func (s *Service) Quote(ctx context.Context, in QuoteInput) (Quote, error) {
	// Anyone may ask for a price; a partner, with a key that searches or books.
	if p := auth.FromContext(ctx); p != nil && p.Role == auth.RolePartner && !p.HasScope(auth.ScopeSearch) && !p.HasScope(auth.ScopeBook) {
		return Quote{}, apperr.New(apperr.Forbidden, `this API key's scopes include neither "search" nor "book"`)
	}
	quote, err := s.prepare(ctx, in, "input")
	if err != nil {
		return Quote{}, err
	}
	return quote, s.priceTx(ctx, s.q, &quote)
}

// prepare validates a stay request against the catalog: the hotel, its
// calendar, the rate plans and the parties. It reads through the catalog
// service, so it runs before any transaction opens (a transaction waiting
// for a second pool connection could starve the pool).
func (s *Service) prepare(ctx context.Context, in QuoteInput, field ...string) (Quote, error) {
	planIDs := make([]uuid.UUID, len(in.Rooms))
	for i, r := range in.Rooms {
		planIDs[i] = r.RatePlanID
	}
	hotel, plans, err := s.catalog.RatePlansAt(ctx, in.HotelID, uniq(planIDs))
	if apperr.HasCode(err, apperr.NotFound) {
		return Quote{}, apperr.Invalid("no such hotel", append(field, "hotelId")...)
	}
	if err != nil {
		return Quote{}, err
	}
	st, err := newStay(hotel, in.CheckIn, in.CheckOut, s.opts.Now(), field...)
	if err != nil {
		return Quote{}, err
	}
	if err := RoomCount(len(in.Rooms), field...); err != nil {
		return Quote{}, err
	}
	quote := Quote{Hotel: hotel, CheckIn: st.checkIn, CheckOut: st.checkOut, Currency: hotel.Currency,
		CheckInAt: st.checkInAt(), CheckOutAt: hotel.CheckOutTime.On(st.checkOut, st.loc), Available: true}
	var errs apperr.List
	for i, r := range in.Rooms {
		f := append(append([]string{}, field...), "rooms", fmt.Sprint(i))
		plan, ok := plans[r.RatePlanID]
		if !ok {
			errs = append(errs, apperr.Invalid("no such rate plan at this hotel", append(f, "ratePlanId")...))
			continue
		}
		rp, rt := plan.RatePlan, plan.RoomType
		if e := checkParty(rt, r.Party, f); e != nil {
			errs = append(errs, e)
			continue
		}
		quote.Rooms = append(quote.Rooms, QuotedRoom{Currency: hotel.Currency, RatePlan: rp, RoomType: rt, Party: r.Party})
	}
	return quote, errs.Err()
}

// priceTx prices a prepared quote from the rates and inventory visible to q,
// read in one query.
func (s *Service) priceTx(ctx context.Context, q *db.Queries, quote *Quote) error {
	var planIDs, typeIDs []uuid.UUID
	for _, r := range quote.Rooms {
		if !slices.Contains(planIDs, r.RatePlan.ID) {
			planIDs, typeIDs = append(planIDs, r.RatePlan.ID), append(typeIDs, r.RoomType.ID)
		}
	}
	rows, err := q.StayNights(ctx, db.StayNightsParams{RatePlanIds: planIDs, RoomTypeIds: typeIDs, FromNight: quote.CheckIn, ToNight: quote.CheckOut})
	if err != nil {
		return fmt.Errorf("read rates and inventory: %w", err)
	}
	rates := map[uuid.UUID][]NightPrice{}
	var inventory []db.ReadInventoryRow // a row per room type and night, in lock order
	stored := true
	for _, r := range rows {
		if r.Priced {
			rates[r.RatePlanID] = append(rates[r.RatePlanID], NightPrice{Night: r.Night, Amount: r.Amount})
		}
		if n := len(inventory); n > 0 && inventory[n-1].RoomTypeID == r.RoomTypeID && inventory[n-1].Night.Equal(r.Night) {
			continue // the same row, for another plan of the room type
		}
		stored = stored && r.Stored
		inventory = append(inventory, db.ReadInventoryRow{RoomTypeID: r.RoomTypeID, Night: r.Night,
			Capacity: r.Capacity, Reserved: r.Reserved, Version: r.Version})
	}
	if err := quote.price(rates); err != nil {
		return err
	}
	quote.fit(inventory)
	quote.inventory = nil
	if stored {
		quote.inventory = inventory
	}
	quote.Penalties = penaltyWindows(*quote, s.opts.Now())
	return nil
}

func checkParty(rt catalog.RoomType, p Party, field []string) *apperr.Error {
	if p.Adults < 1 {
		return apperr.Invalid("a room needs at least one adult", append(field, "adults")...)
	}
	if p.Adults > MaxPartySize || len(p.ChildAges) > MaxPartySize-p.Adults { // no sum that could wrap
		return apperr.Invalid(fmt.Sprintf("a room houses at most %d guests", MaxPartySize), append(field, "adults")...)
	}
	for _, age := range p.ChildAges {
		if age < 0 || age > MaxChildAge {
			return apperr.Invalid(fmt.Sprintf("child ages are 0 to %d; older guests are adults", MaxChildAge), append(field, "childAges")...)
		}
	}
	if !rt.Houses(p.Adults, len(p.ChildAges)) {
		return apperr.Invalid(fmt.Sprintf("%q houses at most %s, %s and %s in all; asked for %s",
			rt.Name, counted(rt.MaxAdults, "adult"), counted(rt.MaxChildren, "child"), counted(rt.MaxOccupancy, "guest"), p), append(field, "adults")...)
	}
	return nil
}

// price totals the quote's rooms from their plans' nightly rates.
func (quote *Quote) price(rates map[uuid.UUID][]NightPrice) error {
	quote.RoomAmount, quote.TaxAmount, quote.DepositDue = 0, 0, 0
	nights := quote.Nights()
	for i := range quote.Rooms {
		room := &quote.Rooms[i]
		room.Nightly = rates[room.RatePlan.ID]
		room.Amount = 0
		if len(room.Nightly) != nights {
			return &apperr.Error{Code: NotBookable, Field: []string{"input", "rooms", strconv.Itoa(i), "ratePlanId"},
				Message: fmt.Sprintf("rate plan %q has no price for every night of this stay", room.RatePlan.Name)}
		}
		for _, n := range room.Nightly {
			room.Amount += n.Amount
		}
		// The room's total is an amount card payments settle (tens of fils
		// for KWD), its tax taking the rounding: so are deposits, balances,
		// penalties and refunds, which are shares of it or differences.
		room.TaxAmount = money.TaxedTotal(room.Amount, quote.Hotel.TaxRateBasisPoints, quote.Currency) - room.Amount
		quote.RoomAmount += room.Amount
		quote.TaxAmount += room.TaxAmount
		quote.DepositDue += deposit(room.RatePlan.DepositPolicy, room.Amount+room.TaxAmount, quote.Currency)
	}
	quote.Total = quote.RoomAmount + quote.TaxAmount
	return nil
}

// deposit is what confirming a room asks to be paid now: a share of its
// total in a step card payments settle (money.CashStep: a 30 % deposit of
// 141.750 KWD is 42.530, not 42.525, which no card acquirer takes).
func deposit(p catalog.DepositPolicy, total int64, currency string) int64 {
	switch p.Kind {
	case catalog.DepositFull:
		return total
	case catalog.DepositPercent:
		return min(money.ToCash(money.Percent(total, p.Percent), currency), total)
	default:
		return 0
	}
}

// fit records how many units are free on the tightest night of each room
// type, and whether all requested rooms fit.
func (quote *Quote) fit(inventory []db.ReadInventoryRow) {
	left := map[uuid.UUID]int{}
	for _, row := range inventory {
		free := int(row.Capacity - row.Reserved)
		if cur, ok := left[row.RoomTypeID]; !ok || free < cur {
			left[row.RoomTypeID] = free
		}
	}
	want := map[uuid.UUID]int{}
	for _, r := range quote.Rooms {
		want[r.RoomType.ID]++
	}
	quote.Available = true
	for i := range quote.Rooms {
		id := quote.Rooms[i].RoomType.ID
		quote.Rooms[i].UnitsLeft = max(0, left[id])
		if left[id] < want[id] {
			quote.Available = false
		}
	}
}

// pricedRoom is what a penalty is computed from: a room's terms and total.
type pricedRoom struct {
	policy catalog.CancellationPolicy
	total  int64
}

// hoursBefore is h hours before checkInAt on the wall clock of its zone (the
// hotel's): 48 hours before 15:00 on a Monday is 15:00 on the Saturday, also
// when the clocks change between them, as a hotel's terms read.
func hoursBefore(checkInAt time.Time, h int) time.Time {
	y, m, d := checkInAt.Date()
	return time.Date(y, m, d, checkInAt.Hour()-h, checkInAt.Minute(), checkInAt.Second(), checkInAt.Nanosecond(), checkInAt.Location())
}

// percentAt is the share of a room's total that cancelling at t costs.
// Non-refundable rooms and cancellations from the check-in instant on cost it all.
func percentAt(p catalog.CancellationPolicy, checkInAt, t time.Time) int {
	if !p.Refundable || !t.Before(checkInAt) {
		return 100
	}
	pct := 0
	for _, w := range p.Penalties {
		if !t.Before(hoursBefore(checkInAt, w.HoursBeforeCheckIn)) {
			pct = max(pct, w.Percent)
		}
	}
	return pct
}

// penaltyAt is what cancelling all rooms at t costs, each room's share in
// a step card payments settle (as deposit), so that what is refunded is.
func penaltyAt(rooms []pricedRoom, checkInAt, t time.Time, currency string) int64 {
	var sum int64
	for _, r := range rooms {
		sum += min(money.ToCash(money.Percent(r.total, percentAt(r.policy, checkInAt, t)), currency), r.total)
	}
	return sum
}

// windows lists what cancelling costs over time, from now on, as instants in
// zone loc; neighbouring windows with the same cost are merged. checkInAt
// is in the zone whose clock the terms count on (hoursBefore).
func windows(rooms []pricedRoom, checkInAt, now time.Time, currency string, paid int64, loc *time.Location) []PenaltyWindow {
	bounds := []time.Time{checkInAt}
	for _, r := range rooms {
		for _, w := range r.policy.Penalties {
			bounds = append(bounds, hoursBefore(checkInAt, w.HoursBeforeCheckIn))
		}
	}
	slices.SortFunc(bounds, func(a, b time.Time) int { return a.Compare(b) })
	bounds = slices.CompactFunc(bounds, func(a, b time.Time) bool { return a.Equal(b) })
	var out []PenaltyWindow
	add := func(start *time.Time, end *time.Time, at time.Time) {
		// Cancel keeps at most what was paid: nothing collects the rest
		amount := min(penaltyAt(rooms, checkInAt, at, currency), paid)
		if n := len(out); n > 0 && out[n-1].Amount == amount {
			out[n-1].End = end
			return
		}
		out = append(out, PenaltyWindow{Start: start, End: end, Amount: amount, Currency: currency})
	}
	var start *time.Time
	for _, b := range bounds {
		if !b.After(now) {
			continue // a boundary in the past: the current window started before now
		}
		end := b.In(loc)
		add(start, &end, b.Add(-time.Nanosecond))
		start = &end
	}
	add(start, nil, maxTime(now, bounds[len(bounds)-1]))
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func penaltyWindows(q Quote, now time.Time) []PenaltyWindow {
	rooms := make([]pricedRoom, len(q.Rooms))
	for i, r := range q.Rooms {
		rooms[i] = pricedRoom{policy: r.RatePlan.CancellationPolicy, total: r.Amount + r.TaxAmount}
	}
	// once booked, confirming pays the deposit
	return windows(rooms, q.CheckInAt, now, q.Currency, q.DepositDue, q.CheckInAt.Location())
}

func uniq(ids []uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return slices.Compact(out)
}

// Nights is the number of nights of the quoted stay.
func (q Quote) Nights() int { return nightsBetween(q.CheckIn, q.CheckOut) }

// counted is n of a noun: "1 adult", "2 adults", "0 children".
func counted(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case noun == "child":
		return fmt.Sprintf("%d children", n)
	default:
		return fmt.Sprintf("%d %ss", n, noun)
	}
}
