package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

// PastSummary counts what booking past stays did.
type PastSummary struct {
	// Hotels is the number of hotels past stays were booked at.
	Hotels int
	// HadBookings is the number of hotels left alone because they already
	// had bookings; NotDemo the number left alone because they are not the
	// demo hotel of this seed at their place in the catalog.
	HadBookings, NotDemo int
	// CheckedOut, Cancelled and Expired count the bookings made, by status.
	CheckedOut, Cancelled, Expired int
	// SoldOut is the number of stays not booked because a night was full.
	SoldOut int
	// RateCalls is the number of SetRates calls that priced past nights.
	RateCalls int
}

// Bookings is the number of bookings made.
func (s PastSummary) Bookings() int { return s.CheckedOut + s.Cancelled + s.Expired }

func (s *PastSummary) add(o PastSummary) {
	s.Hotels += o.Hotels
	s.HadBookings += o.HadBookings
	s.NotDemo += o.NotDemo
	s.CheckedOut += o.CheckedOut
	s.Cancelled += o.Cancelled
	s.Expired += o.Expired
	s.SoldOut += o.SoldOut
	s.RateCalls += o.RateCalls
}

// outcome is how a past booking ended.
type outcome int

const (
	stayed    outcome = iota // confirmed, balance paid at arrival, checked out
	cancelled                // confirmed, then cancelled before arrival; any refund paid
	abandoned                // held and never paid: the hold expired
)

// pastStay is one past booking, drawn before it is made.
type pastStay struct {
	guest    string // subject of the guest principal who books
	checkIn  time.Time
	checkOut time.Time
	bookedAt time.Time // the instant the hold is made
	rooms    []booking.RoomRequest
	contact  booking.Contact
	outcome  outcome
	// cancelAt is the instant a cancelled stay is cancelled.
	cancelAt time.Time
}

var (
	givenNames = []string{"Ana", "Liam", "Sofia", "Noah", "Mia", "Lucas", "Yuki", "Hiroshi", "Amara", "Kwame",
		"Priya", "Arjun", "Chloe", "Louis", "Elena", "Mateo", "Fatima", "Omar", "Ingrid", "Lars", "Mei", "Wei",
		"Olivia", "James", "Zanele", "Thabo", "Camila", "Diego", "Aroha", "Nikolai", "Leila", "Tomas"}
	familyNames = []string{"Silva", "Smith", "Garcia", "Nguyen", "Kim", "Muller", "Rossi", "Dubois", "Tanaka",
		"Okafor", "Mensah", "Patel", "Sharma", "Johansson", "Larsen", "Chen", "Wang", "Novak", "Kowalski", "Haddad",
		"Costa", "Ivanova", "Walker", "Dlamini", "Lopez", "Moreau", "Jensen", "Ahmed", "Nakamura", "Brown"}
	// languages guests write in, weighted towards English.
	languages = []string{"en", "en", "en", "en", "fr", "de", "es", "it", "pt-BR", "ja", "zh", "ko", "nl"}
	// stayNights is the length of a stay, 1 to 7 nights, by weight.
	stayNights       = []int{1, 2, 3, 4, 5, 6, 7}
	stayNightWeights = []int{20, 25, 20, 12, 8, 5, 10}
)

// bookPast books opts.PastBookings past stays at each of the first
// opts.Hotels hotels of the catalog that has no booking yet.
//
// Every booking goes through the booking service, as a guest would make it,
// with the service's clock set to when it happens: a hold some days before
// check-in, then (most often) confirmation with a sandbox payment, the
// balance paid at arrival and check-out by staff; or a cancellation before
// arrival, with the refund the rate plan's terms allow paid back; or a hold
// that was never paid and expired. So inventory, booking states, payments,
// refunds and sealed personal data are exactly what the booking core would
// have recorded. Rate plans get rates for the PastDays nights before Today
// first, priced as their hotel prices future nights.
//
// Stays are drawn from the PCG stream (seed, i | 1<<63) of hotel i, so the
// same seed books the same stays (ids, references and timestamps differ).
// A hotel that already has a booking is left alone, which makes a second run
// harmless.
func bookPast(ctx context.Context, pool *pgxpool.Pool, cat *catalog.Service, opts Opts) (PastSummary, error) {
	start := time.Now()
	log := opts.Logger
	hotels, err := firstHotels(ctx, cat, opts.Hotels)
	if err != nil {
		return PastSummary{}, err
	}
	log.Info("booking past stays", "hotels", len(hotels), "stays_per_hotel", opts.PastBookings,
		"from", opts.Today.AddDate(0, 0, -opts.PastDays).Format(time.DateOnly))
	// One sandbox for the whole run: it remembers the charges it refunds.
	payments := payment.NewRegistry(sandbox.New())
	type job struct {
		i     int
		hotel catalog.Hotel
	}
	var (
		mu  sync.Mutex
		sum PastSummary
	)
	err = inParallel(ctx, opts, StagePastBookings, len(hotels), func(ctx context.Context, jobs chan<- job) error {
		for i, h := range hotels {
			select {
			case jobs <- job{i: i, hotel: h}:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	}, func(ctx context.Context, j job) error {
		s, err := bookHotelPast(ctx, pool, cat, payments, j.i, j.hotel, opts)
		if err != nil {
			return fmt.Errorf("past stays at demo hotel %d (%s): %w", j.i, j.hotel.Name, err)
		}
		mu.Lock()
		sum.add(s)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return sum, err
	}
	log.Info("past stays booked", "hotels", sum.Hotels, "checked_out", sum.CheckedOut, "cancelled", sum.Cancelled,
		"expired", sum.Expired, "sold_out", sum.SoldOut, "had_bookings", sum.HadBookings, "not_demo", sum.NotDemo,
		"elapsed", time.Since(start).Round(time.Millisecond))
	return sum, nil
}

// firstHotels lists up to n hotels of the catalog in creation order.
func firstHotels(ctx context.Context, cat *catalog.Service, n int) ([]catalog.Hotel, error) {
	var out []catalog.Hotel
	after := uuid.NullUUID{}
	for len(out) < n {
		page, err := cat.ListHotels(ctx, after, min(n-len(out), 500))
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) == 0 {
			break
		}
		after = uuid.NullUUID{UUID: page[len(page)-1].ID, Valid: true}
	}
	return out, nil
}

// bookHotelPast books the past stays of demo hotel i, one after another, so
// which ones find a night sold out depends on the seed alone.
func bookHotelPast(ctx context.Context, pool *pgxpool.Pool, cat *catalog.Service, payments *payment.Registry,
	i int, h catalog.Hotel, opts Opts) (PastSummary, error) {
	var sum PastSummary
	var now time.Time // the clock of this hotel's bookings, moved before each step
	svc := booking.NewService(pool, cat, payments, nil, booking.Opts{Now: func() time.Time { return now }, PII: opts.PII})

	staff := auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleStaff, Subject: Subject, HotelIDs: []uuid.UUID{h.ID}})
	if existing, err := svc.ViewerBookings(staff, uuid.NullUUID{}, 1); err != nil {
		return sum, fmt.Errorf("look for bookings (are the PII keys those the server uses?): %w", err)
	} else if len(existing) > 0 {
		sum.HadBookings++
		return sum, nil
	}
	spec := generateHotel(opts.Seed, i)
	plans, ok, err := demoPlans(ctx, cat, h, spec)
	if err != nil {
		return sum, err
	}
	if !ok {
		sum.NotDemo++
		return sum, nil
	}
	first := opts.Today.AddDate(0, 0, -opts.PastDays)
	then := cat.WithClock(func() time.Time { return first }) // priced before the first past stay, as they were
	for _, p := range plans {
		calls, err := setRates(ctx, then, p.plan.ID, spec, p.roomTypeSpec, p.ratePlanSpec, first, opts.PastDays)
		sum.RateCalls += calls
		if err != nil {
			return sum, err
		}
	}
	sum.Hotels++

	loc, err := h.Zone()
	if err != nil {
		return sum, err
	}
	r := rand.New(rand.NewPCG(opts.Seed, uint64(i)|1<<63))
	for k := range opts.PastBookings {
		st := drawStay(r, h, loc, plans, opts)
		keyOf := func(step string) string { return fmt.Sprintf("demo-%d-%d-%s", i, k, step) }
		guest := auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleGuest, Subject: st.guest})

		now = st.bookedAt
		held, err := svc.Hold(guest, booking.HoldInput{IdempotencyKey: keyOf("hold"), HotelID: h.ID,
			CheckIn: st.checkIn, CheckOut: st.checkOut, Rooms: st.rooms, Contact: st.contact})
		if hasCode(err, booking.SoldOut) {
			sum.SoldOut++
			continue
		}
		if err != nil {
			return sum, fmt.Errorf("hold stay %d: %w", k, err)
		}
		if st.outcome == abandoned {
			now = held.HoldExpiresAt.Add(time.Minute)
			if _, err := svc.ExpireHold(ctx, held.ID); err != nil {
				return sum, fmt.Errorf("expire hold of stay %d: %w", k, err)
			}
			sum.Expired++
			continue
		}
		now = st.bookedAt.Add(2 * time.Minute)
		card := &booking.PaymentInput{Provider: sandbox.Name, Token: "tok_visa"}
		confirmed, err := svc.Confirm(guest, booking.ConfirmInput{IdempotencyKey: keyOf("confirm"), BookingID: held.ID, Payment: card})
		if err != nil {
			return sum, fmt.Errorf("confirm stay %d: %w", k, err)
		}
		if st.outcome == cancelled {
			now = st.cancelAt
			_, refund, err := svc.Cancel(guest, booking.CancelInput{IdempotencyKey: keyOf("cancel"), BookingID: held.ID,
				Reason: "plans changed"})
			if err != nil {
				return sum, fmt.Errorf("cancel stay %d: %w", k, err)
			}
			if refund != nil {
				now = now.Add(time.Minute)
				if err := svc.PayRefund(ctx, refund.ID); err != nil {
					return sum, fmt.Errorf("refund stay %d: %w", k, err)
				}
			}
			sum.Cancelled++
			continue
		}
		now = h.CheckInTime.On(st.checkIn, loc)
		if confirmed.DepositDue < confirmed.Total {
			if _, err := svc.PayBalance(guest, booking.PayBalanceInput{IdempotencyKey: keyOf("balance"), BookingID: held.ID,
				Payment: card}); err != nil {
				return sum, fmt.Errorf("pay the balance of stay %d: %w", k, err)
			}
		}
		now = h.CheckOutTime.On(st.checkOut, loc).Add(-30 * time.Minute)
		if _, err := svc.CheckOut(staff, held.ID); err != nil {
			return sum, fmt.Errorf("check out stay %d: %w", k, err)
		}
		sum.CheckedOut++
	}
	return sum, nil
}

// demoPlan is a rate plan of a demo hotel with what generated it.
type demoPlan struct {
	roomType     catalog.RoomType
	plan         catalog.RatePlan
	roomTypeSpec roomTypeSpec
	ratePlanSpec ratePlanSpec
}

// demoPlans returns the rate plans of h in creation order, matched by name
// to the demo hotel spec; ok is false when h is not that demo hotel.
func demoPlans(ctx context.Context, cat *catalog.Service, h catalog.Hotel, spec hotelSpec) ([]demoPlan, bool, error) {
	if h.Name != spec.fields.Name {
		return nil, false, nil
	}
	byHotel, err := cat.RoomTypesOfHotels(ctx, []uuid.UUID{h.ID})
	if err != nil {
		return nil, false, err
	}
	roomTypes := byHotel[h.ID]
	byRoomType, err := cat.RatePlansOfRoomTypes(ctx, idsOf(roomTypes, func(rt catalog.RoomType) uuid.UUID { return rt.ID }))
	if err != nil {
		return nil, false, err
	}
	var out []demoPlan
	for _, rt := range sortedByID(roomTypes, func(rt catalog.RoomType) uuid.UUID { return rt.ID }) {
		rts, ok := named(spec.roomTypes, rt.Name, func(s roomTypeSpec) string { return s.fields.Name })
		if !ok {
			return nil, false, nil
		}
		for _, rp := range sortedByID(byRoomType[rt.ID], func(rp catalog.RatePlan) uuid.UUID { return rp.ID }) {
			rps, ok := named(rts.plans, rp.Name, func(s ratePlanSpec) string { return s.fields.Name })
			if !ok {
				return nil, false, nil
			}
			out = append(out, demoPlan{roomType: rt, plan: rp, roomTypeSpec: rts, ratePlanSpec: rps})
		}
	}
	return out, len(out) > 0, nil
}

func sortedByID[T any](items []T, id func(T) uuid.UUID) []T {
	out := slices.Clone(items)
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(id(a).String(), id(b).String()) })
	return out
}

// drawStay draws one past stay at hotel h: check-in within the PastDays
// before Today, check-out no later than the day before Today (so the stay is
// over in every time zone), booked 1 to 60 days ahead (most a few days
// ahead); 85% stayed, 10% cancelled, 5% abandoned holds.
func drawStay(r *rand.Rand, h catalog.Hotel, loc *time.Location, plans []demoPlan, opts Opts) pastStay {
	last := opts.Today.AddDate(0, 0, -1) // latest check-out
	checkIn := opts.Today.AddDate(0, 0, -opts.PastDays+r.IntN(max(1, opts.PastDays-1)))
	nights := pickWeighted(r, stayNights, stayNightWeights)
	checkOut := checkIn.AddDate(0, 0, nights)
	if checkOut.After(last) {
		checkOut = last
	}
	lead := 1 + int(59*r.Float64()*r.Float64())
	day := checkIn.AddDate(0, 0, -lead)
	bookedAt := time.Date(day.Year(), day.Month(), day.Day(), 7+r.IntN(15), r.IntN(60), 0, 0, loc)

	p := plans[r.IntN(len(plans))]
	rooms := 1
	if r.IntN(100) < 15 {
		rooms = 2
	}
	st := pastStay{guest: fmt.Sprintf("demo-guest-%d", r.IntN(5000)), checkIn: checkIn, checkOut: checkOut, bookedAt: bookedAt}
	family := familyNames[r.IntN(len(familyNames))]
	for range rooms {
		party := drawParty(r, p.roomType)
		st.rooms = append(st.rooms, booking.RoomRequest{RatePlanID: p.plan.ID, Party: party,
			Guests: []booking.GuestName{{GivenName: givenNames[r.IntN(len(givenNames))], FamilyName: family}}})
	}
	booker := st.rooms[0].Guests[0]
	st.contact = booking.Contact{
		Email:    fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(booker.GivenName), strings.ToLower(family), r.IntN(100)),
		Language: languages[r.IntN(len(languages))],
	}
	if r.IntN(2) == 0 {
		st.contact.Phone = fmt.Sprintf("+44 7700 900%03d", r.IntN(1000)) // a range set aside for fiction
	}
	switch n := r.IntN(100); {
	case n < 5:
		st.outcome = abandoned
	case n < 15:
		st.outcome = cancelled
		arrival := h.CheckInTime.On(checkIn, loc)
		window := arrival.Sub(bookedAt) - time.Hour
		st.cancelAt = bookedAt.Add(time.Hour + time.Duration(r.Float64()*float64(max(window, 0))))
	}
	return st
}

// drawParty draws who stays in one room of rt: one or two adults, sometimes
// with children, as the room type allows.
func drawParty(r *rand.Rand, rt catalog.RoomType) booking.Party {
	adults := min(rt.MaxAdults, 1+r.IntN(2))
	party := booking.Party{Adults: adults, ChildAges: []int{}}
	if rt.MaxChildren > 0 && r.IntN(4) == 0 {
		for range 1 + r.IntN(2) {
			if rt.Houses(party.Adults, len(party.ChildAges)+1) {
				party.ChildAges = append(party.ChildAges, 2+r.IntN(14))
			}
		}
	}
	return party
}

// hasCode reports whether err carries the business outcome c.
func hasCode(err error, c apperr.Code) bool {
	all, ok := apperr.All(err)
	return ok && slices.ContainsFunc(all, func(e *apperr.Error) bool { return e.Code == c })
}
