package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// PenaltyWindow says that from HoursBeforeCheckIn hours before the
// hotel-local check-in time on, cancelling costs Percent of the stay total.
type PenaltyWindow struct {
	HoursBeforeCheckIn int `json:"hoursBeforeCheckIn"`
	Percent            int `json:"percent"`
}

// CancellationPolicy is a rate plan's cancellation terms. A non-refundable
// plan charges the whole total whenever the booking is cancelled.
type CancellationPolicy struct {
	Refundable bool
	Penalties  []PenaltyWindow // sorted, earliest window (most hours before) first
}

// DepositKind says when a rate plan is paid.
type DepositKind string

// Deposit kinds.
const (
	DepositFull       DepositKind = "FULL"
	DepositPercent    DepositKind = "PERCENT"
	DepositPayAtHotel DepositKind = "PAY_AT_HOTEL"
)

// DepositPolicy is what must be paid to confirm a booking.
type DepositPolicy struct {
	Kind    DepositKind
	Percent int
}

// RatePlan is a way of selling a room type, with its own terms and prices.
type RatePlan struct {
	ID                 uuid.UUID
	HotelID            uuid.UUID
	RoomTypeID         uuid.UUID
	Version            int64
	Name               string
	CancellationPolicy CancellationPolicy
	DepositPolicy      DepositPolicy
}

// NightlyRate is the price of one hotel-local night.
type NightlyRate struct {
	Night time.Time // a date at UTC midnight
	Price money.Money
}

// RatePlanFields are the editable fields of a rate plan.
type RatePlanFields struct {
	Name               string
	CancellationPolicy CancellationPolicy
	DepositPolicy      DepositPolicy
}

// RatePlanPatch changes the fields that are not nil.
type RatePlanPatch struct {
	Name               *string
	CancellationPolicy *CancellationPolicy
	DepositPolicy      *DepositPolicy
}

// MaxRateNights bounds one SetRates or Rates call.
const MaxRateNights = 366

// Rates are set for nights of the years FirstRateYear to LastRateYear: a
// date outside them is a mistake (0001-01-01, 9999-12-31).
const (
	FirstRateYear = 2000
	LastRateYear  = 2199
)

func (f RatePlanFields) validate() (RatePlanFields, error) {
	var v validator
	f.Name = v.text(f.Name, 1, 200, "name")
	cp := &f.CancellationPolicy
	switch {
	case len(cp.Penalties) > 10:
		v.fail("at most 10 penalty windows", "cancellationPolicy", "penalties")
	case !cp.Refundable && len(cp.Penalties) > 0:
		v.fail("a non-refundable plan keeps everything: it has no penalty windows", "cancellationPolicy", "penalties")
	}
	hours := map[int]bool{}
	for i, w := range cp.Penalties {
		v.intRange(w.HoursBeforeCheckIn, 0, 24*365, "cancellationPolicy", "penalties", fmt.Sprint(i), "hoursBeforeCheckIn")
		v.intRange(w.Percent, 0, 100, "cancellationPolicy", "penalties", fmt.Sprint(i), "percent")
		if hours[w.HoursBeforeCheckIn] {
			v.fail("two windows start at the same hour", "cancellationPolicy", "penalties", fmt.Sprint(i))
		}
		hours[w.HoursBeforeCheckIn] = true
	}
	cp.Penalties = slices.Clone(cp.Penalties)
	if cp.Penalties == nil {
		cp.Penalties = []PenaltyWindow{}
	}
	slices.SortFunc(cp.Penalties, func(a, b PenaltyWindow) int { return b.HoursBeforeCheckIn - a.HoursBeforeCheckIn })
	for i := 1; i < len(cp.Penalties); i++ {
		if cp.Penalties[i].Percent < cp.Penalties[i-1].Percent {
			v.fail("penalties must not shrink as check-in gets closer", "cancellationPolicy", "penalties")
			break
		}
	}
	dp := &f.DepositPolicy
	switch dp.Kind {
	case DepositFull:
		dp.Percent = 100
	case DepositPayAtHotel:
		dp.Percent = 0
	case DepositPercent:
		v.intRange(dp.Percent, 1, 99, "depositPolicy", "percent")
	default:
		v.fail(fmt.Sprintf("unknown deposit kind %q", dp.Kind), "depositPolicy", "kind")
	}
	return f, v.errs.Err()
}

func (p RatePlanPatch) apply(f RatePlanFields) RatePlanFields {
	set(&f.Name, p.Name)
	set(&f.CancellationPolicy, p.CancellationPolicy)
	set(&f.DepositPolicy, p.DepositPolicy)
	return f
}

// RatePlan returns one rate plan; NOT_FOUND when it does not exist.
func (s *Service) RatePlan(ctx context.Context, id uuid.UUID) (RatePlan, error) {
	row, err := s.q.GetRatePlan(ctx, id)
	if err != nil {
		return RatePlan{}, notFound(err, "rate plan")
	}
	return ratePlanFromRow(row), nil
}

// Bookable is a rate plan with the room type it sells.
type Bookable struct {
	RatePlan RatePlan
	RoomType RoomType
}

// RatePlansAt returns a hotel and those of ratePlanIDs that are its rate
// plans, keyed by id, each with its room type: what a quote or a hold reads
// of the catalog, in one query. A missing hotel is NOT_FOUND; ids that are no
// rate plan of the hotel are left out.
func (s *Service) RatePlansAt(ctx context.Context, hotelID uuid.UUID, ratePlanIDs []uuid.UUID) (Hotel, map[uuid.UUID]Bookable, error) {
	rows, err := s.q.ListRatePlansAtHotel(ctx, db.ListRatePlansAtHotelParams{HotelID: hotelID, RatePlanIds: ratePlanIDs})
	if err != nil {
		return Hotel{}, nil, fmt.Errorf("load rate plans: %w", err)
	}
	if len(rows) == 0 { // no hotel, or none of its plans
		h, err := s.Hotel(ctx, hotelID)
		return h, nil, err
	}
	out := make(map[uuid.UUID]Bookable, len(rows))
	for _, r := range rows {
		out[r.RatePlan.ID] = Bookable{RatePlan: ratePlanFromRow(r.RatePlan), RoomType: roomTypeFromRow(r.RoomType)}
	}
	return hotelFromRow(rows[0].Hotel), out, nil
}

// RatePlansOfRoomTypes returns the rate plans of each room type, keyed by room type id.
func (s *Service) RatePlansOfRoomTypes(ctx context.Context, roomTypeIDs []uuid.UUID) (map[uuid.UUID][]RatePlan, error) {
	rows, err := s.q.ListRatePlansByRoomTypes(ctx, roomTypeIDs)
	if err != nil {
		return nil, fmt.Errorf("load rate plans: %w", err)
	}
	out := make(map[uuid.UUID][]RatePlan, len(roomTypeIDs))
	for _, r := range rows {
		out[r.RoomTypeID] = append(out[r.RoomTypeID], ratePlanFromRow(r))
	}
	return out, nil
}

// CreateRatePlan adds a rate plan to a room type. Admins and the hotel's staff.
func (s *Service) CreateRatePlan(ctx context.Context, roomTypeID uuid.UUID, f RatePlanFields) (RatePlan, error) {
	rt, err := s.RoomType(ctx, roomTypeID)
	if err != nil {
		return RatePlan{}, err
	}
	if err := auth.RequireHotel(ctx, rt.HotelID); err != nil {
		return RatePlan{}, err
	}
	f, err = f.validate()
	if err != nil {
		return RatePlan{}, err
	}
	penalties, _ := json.Marshal(f.CancellationPolicy.Penalties)
	row, err := write(ctx, s, func(q *db.Queries) (db.RatePlan, error) {
		return q.CreateRatePlan(ctx, db.CreateRatePlanParams{
			ID: newID(), HotelID: rt.HotelID, RoomTypeID: rt.ID, Name: f.Name,
			CancellationPenalties: penalties, Refundable: f.CancellationPolicy.Refundable,
			DepositKind: string(f.DepositPolicy.Kind), DepositPercent: int16(f.DepositPolicy.Percent),
		})
	})
	if err != nil {
		return RatePlan{}, fmt.Errorf("create rate plan: %w", err)
	}
	return ratePlanFromRow(row), nil
}

// UpdateRatePlan changes a rate plan if it is still at expectedVersion.
func (s *Service) UpdateRatePlan(ctx context.Context, id uuid.UUID, expectedVersion int64, p RatePlanPatch) (RatePlan, error) {
	current, err := s.RatePlan(ctx, id)
	if err != nil {
		return RatePlan{}, err
	}
	if err := auth.RequireHotel(ctx, current.HotelID); err != nil {
		return RatePlan{}, err
	}
	if err := checkVersion(current.Version, expectedVersion, "rate plan"); err != nil {
		return RatePlan{}, err
	}
	f, err := p.apply(current.fields()).validate()
	if err != nil {
		return RatePlan{}, err
	}
	if unchanged(f, current.fields()) {
		return current, nil
	}
	penalties, _ := json.Marshal(f.CancellationPolicy.Penalties)
	row, err := write(ctx, s, func(q *db.Queries) (db.RatePlan, error) {
		return q.UpdateRatePlan(ctx, db.UpdateRatePlanParams{
			ID: id, Version: expectedVersion, Name: f.Name,
			CancellationPenalties: penalties, Refundable: f.CancellationPolicy.Refundable,
			DepositKind: string(f.DepositPolicy.Kind), DepositPercent: int16(f.DepositPolicy.Percent),
		})
	})
	if err != nil {
		return RatePlan{}, staleOr(err, "rate plan")
	}
	return ratePlanFromRow(row), nil
}

// MaxRate bounds a nightly rate, in minor units of any currency: 10 billion
// units of a currency of two decimals, so that an ordinary suite is priced
// in the weakest (150 million Lebanese pounds, about 1,700 US dollars), and
// a booking's total (9 rooms, 366 nights, a tax of 100 %) stays below 2^53,
// which JavaScript clients read exactly.
const MaxRate = 1_000_000_000_000

// SetRates sets the price of every local night from..to inclusive and bumps
// the rate plan's version. It returns the rate plan and the number of nights set.
// Nights before the hotel's business date are over: nobody can book them, and
// pricing them is refused (INVALID_INPUT on from), as the booking core refuses
// to sell them.
func (s *Service) SetRates(ctx context.Context, ratePlanID uuid.UUID, from, to time.Time, amount int64) (RatePlan, int, error) {
	rp, err := s.RatePlan(ctx, ratePlanID)
	if err != nil {
		return RatePlan{}, 0, err
	}
	if err := auth.RequireHotel(ctx, rp.HotelID); err != nil {
		return RatePlan{}, 0, err
	}
	h, err := s.Hotel(ctx, rp.HotelID)
	if err != nil {
		return RatePlan{}, 0, err
	}
	loc, err := h.Zone()
	if err != nil {
		return RatePlan{}, 0, err
	}
	var v validator
	nights := int(to.Sub(from).Hours()/24) + 1
	if to.Before(from) {
		v.fail("must not be before from", "to")
	} else if nights > MaxRateNights {
		v.fail(fmt.Sprintf("at most %d nights at once", MaxRateNights), "to")
	}
	years := fmt.Sprintf("rates are for nights of the years %d to %d", FirstRateYear, LastRateYear)
	today := hoteldate.BusinessDate(s.now(), loc)
	switch {
	case from.Year() < FirstRateYear || from.Year() > LastRateYear:
		v.fail(years, "from")
	case from.Before(today):
		v.fail(fmt.Sprintf("the nights before the hotel's today (%s in %s) are over; price nights from it on",
			today.Format(time.DateOnly), h.TimeZone), "from")
	case to.Year() > LastRateYear:
		v.fail(years, "to")
	}
	if amount < 0 || amount > MaxRate {
		v.fail(fmt.Sprintf("must be between 0 and %d minor units", MaxRate), "amount")
	}
	if err := v.errs.Err(); err != nil {
		return RatePlan{}, 0, err
	}
	var n int64
	err = s.tx(ctx, func(q *db.Queries) error {
		var err error
		if n, err = q.SetRates(ctx, db.SetRatesParams{RatePlanID: rp.ID, Amount: amount, FromNight: from, ToNight: to}); err != nil {
			return fmt.Errorf("set rates: %w", err)
		}
		if err := q.TouchRatePlan(ctx, rp.ID); err != nil {
			return fmt.Errorf("bump rate plan version: %w", err)
		}
		return nil
	})
	if err != nil {
		return RatePlan{}, 0, err
	}
	rp, err = s.RatePlan(ctx, ratePlanID)
	return rp, int(n), err
}

// Rates returns the nightly prices set for local nights from..to inclusive,
// in the hotel's currency.
func (s *Service) Rates(ctx context.Context, rp RatePlan, currency string, from, to time.Time) ([]NightlyRate, error) {
	if to.Before(from) || int(to.Sub(from).Hours()/24)+1 > MaxRateNights {
		return nil, apperr.Invalid(fmt.Sprintf("give 1 to %d nights, from not after to", MaxRateNights), "to")
	}
	rows, err := s.q.ListRates(ctx, db.ListRatesParams{RatePlanID: rp.ID, FromNight: from, ToNight: to})
	if err != nil {
		return nil, fmt.Errorf("list rates: %w", err)
	}
	out := make([]NightlyRate, len(rows))
	for i, r := range rows {
		out[i] = NightlyRate{Night: r.Night, Price: money.New(r.Amount, currency)}
	}
	return out, nil
}

func (rp RatePlan) fields() RatePlanFields {
	return RatePlanFields{Name: rp.Name, CancellationPolicy: rp.CancellationPolicy, DepositPolicy: rp.DepositPolicy}
}

func ratePlanFromRow(r db.RatePlan) RatePlan {
	var penalties []PenaltyWindow
	_ = json.Unmarshal(r.CancellationPenalties, &penalties) // written by us, always valid
	if penalties == nil {
		penalties = []PenaltyWindow{}
	}
	return RatePlan{
		ID: r.ID, HotelID: r.HotelID, RoomTypeID: r.RoomTypeID, Version: r.Version, Name: r.Name,
		CancellationPolicy: CancellationPolicy{Refundable: r.Refundable, Penalties: penalties},
		DepositPolicy:      DepositPolicy{Kind: DepositKind(r.DepositKind), Percent: int(r.DepositPercent)},
	}
}

// RatePlans returns the rate plans with the given ids that exist, in no order.
func (s *Service) RatePlans(ctx context.Context, ids []uuid.UUID) ([]RatePlan, error) {
	rows, err := s.q.GetRatePlans(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load rate plans: %w", err)
	}
	return mapRows(rows, ratePlanFromRow), nil
}
