// Package demo loads a deterministic, realistic demo catalog: hotels in real
// cities around the world, with room types, rooms, rate plans and a year of
// nightly rates. Everything goes through the catalog service, so demo data is
// validated exactly as API writes are.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	_ "time/tzdata" // the catalog checks every city's IANA zone, whatever the host has installed

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/catalog"
)

// Defaults applied to zero Opts fields.
const (
	DefaultHotels = 60
	DefaultNights = 365
)

// Subject is the subject of the admin principal Load acts as.
const Subject = "demo-seed"

// workers is how many hotels are filled in at once. Rates dominate the load
// and each SetRates call is a few round trips and a commit, so several
// concurrent callers keep the database busy (measured on two cores: 4 workers
// ~9 s, 8 workers ~7-9 s, 12 no better). With a smaller pool they just wait
// for a connection; no catalog call holds two at once.
const workers = 8

// Opts configures Load.
type Opts struct {
	// Hotels is how many hotels the demo catalog holds; default 60.
	Hotels int
	// Today is the first night of rates; only its date counts. Default:
	// today's UTC date. (In zones west of UTC the hotel-local "tonight" is the
	// day before for part of the day and has no rate.)
	Today time.Time
	// Nights is how many nights of rates each rate plan gets; default 365.
	Nights int
	// Logger receives a line per hotel (debug) and a summary (info); default:
	// discard.
	Logger *slog.Logger
	// Progress, when set, is called with the number of hotels loaded so far
	// and the number this call loads: once with done = 0, then after each
	// hotel. Calls never overlap and done only grows.
	Progress func(done, total int)
}

// Summary says what Load did.
type Summary struct {
	// Skipped is true when the catalog already held at least Opts.Hotels
	// hotels and Load did nothing.
	Skipped bool
	// Existing is the number of hotels in the catalog before Load.
	Existing int
	// Hotels, RoomTypes, Rooms and RatePlans count what Load created.
	Hotels    int
	RoomTypes int
	Rooms     int
	RatePlans int
	// Nights is how many nights of rates each new rate plan got, from First.
	Nights int
	// First is the first night of rates, a date at UTC midnight.
	First time.Time
	// NightlyRates is the number of nightly prices set: RatePlans × Nights.
	NightlyRates int
	// RateCalls is the number of SetRates calls made.
	RateCalls int
	// Elapsed is how long Load took.
	Elapsed time.Duration
}

func (s *Summary) add(o Summary) {
	s.Hotels += o.Hotels
	s.RoomTypes += o.RoomTypes
	s.Rooms += o.Rooms
	s.RatePlans += o.RatePlans
	s.NightlyRates += o.NightlyRates
	s.RateCalls += o.RateCalls
}

// Load makes the catalog hold opts.Hotels demo hotels. It acts as an admin
// principal with subject "demo-seed", which it puts in the context itself.
//
// Demo hotel i is a pure function of i (see Cities and the fixed seed), so
// the same opts give the same catalog every time; only ids and timestamps
// differ. Hotels are created in order i = 0, 1, ..., so listing the catalog
// in creation order lists them in that order.
//
// Load is idempotent in a simple way: it counts the hotels in the catalog and,
// when there are at least opts.Hotels, does nothing and reports Skipped.
// Otherwise, with n hotels present, it creates demo hotels n..opts.Hotels-1,
// so a larger opts.Hotels extends an earlier demo load. It does not check
// what the existing hotels are: hotels created by other means count, and a
// hotel half-loaded by an interrupted run counts as loaded and is not
// completed. Reset the database to start over.
func Load(ctx context.Context, cat *catalog.Service, opts Opts) (Summary, error) {
	start := time.Now()
	opts, err := opts.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	log := opts.Logger
	ctx = auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleAdmin, Subject: Subject})

	existing, err := cat.CountHotels(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("load demo catalog: %w", err)
	}
	sum := Summary{Existing: existing, Nights: opts.Nights, First: opts.Today}
	if existing >= opts.Hotels {
		sum.Skipped = true
		sum.Elapsed = time.Since(start)
		log.Info("demo catalog already loaded; skipping", "hotels", existing, "wanted", opts.Hotels)
		return sum, nil
	}
	total := opts.Hotels - existing
	log.Info("loading demo catalog", "existing", existing, "hotels", total,
		"first_night", opts.Today.Format(time.DateOnly), "nights", opts.Nights)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	type job struct {
		i    int
		id   uuid.UUID
		spec hotelSpec
	}
	jobs := make(chan job)
	var (
		mu   sync.Mutex
		done int
		wg   sync.WaitGroup
	)
	report := func(s Summary) {
		mu.Lock()
		defer mu.Unlock()
		sum.add(s)
		done++
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	if opts.Progress != nil {
		opts.Progress(0, total)
	}
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				if ctx.Err() != nil {
					continue // drain; the first error is already recorded
				}
				s, err := fillHotel(ctx, cat, j.id, j.spec, opts)
				if err != nil {
					cancel(fmt.Errorf("demo hotel %d (%s, %s): %w", j.i, j.spec.fields.Name, j.spec.city.Name, err))
					continue
				}
				log.Debug("demo hotel loaded", "i", j.i, "name", j.spec.fields.Name, "city", j.spec.city.Name,
					"room_types", s.RoomTypes, "rooms", s.Rooms, "rate_plans", s.RatePlans, "rate_calls", s.RateCalls)
				report(s)
			}
		})
	}
	// Hotels are created here, one at a time, so they get ids in order i.
create:
	for i := existing; i < opts.Hotels; i++ {
		spec := generateHotel(i)
		h, err := cat.CreateHotel(ctx, spec.fields)
		if err != nil {
			cancel(fmt.Errorf("create demo hotel %d (%s, %s): %w", i, spec.fields.Name, spec.city.Name, err))
			break
		}
		select {
		case jobs <- job{i: i, id: h.ID, spec: spec}:
		case <-ctx.Done():
			break create
		}
	}
	close(jobs)
	wg.Wait()

	sum.Elapsed = time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return sum, fmt.Errorf("load demo catalog: %w", err)
	}
	log.Info("demo catalog loaded", "hotels", sum.Hotels, "room_types", sum.RoomTypes, "rooms", sum.Rooms,
		"rate_plans", sum.RatePlans, "nightly_rates", sum.NightlyRates, "rate_calls", sum.RateCalls,
		"elapsed", sum.Elapsed.Round(time.Millisecond))
	return sum, nil
}

// fillHotel creates the room types, rooms, rate plans and rates of a hotel
// that already exists. The returned summary counts the hotel itself.
func fillHotel(ctx context.Context, cat *catalog.Service, hotelID uuid.UUID, h hotelSpec, opts Opts) (Summary, error) {
	s := Summary{Hotels: 1}
	for _, rts := range h.roomTypes {
		rt, err := cat.CreateRoomType(ctx, hotelID, rts.fields)
		if err != nil {
			return s, fmt.Errorf("create room type %q: %w", rts.fields.Name, err)
		}
		s.RoomTypes++
		rooms, err := cat.AddRooms(ctx, rt.ID, rts.rooms)
		if err != nil {
			return s, fmt.Errorf("add rooms to %q: %w", rts.fields.Name, err)
		}
		s.Rooms += len(rooms)
		for _, rps := range rts.plans {
			rp, err := cat.CreateRatePlan(ctx, rt.ID, rps.fields)
			if err != nil {
				return s, fmt.Errorf("create rate plan %q of %q: %w", rps.fields.Name, rts.fields.Name, err)
			}
			s.RatePlans++
			prices, weekday := nightlyPrices(h, rts, rps, opts.Today, opts.Nights)
			for _, run := range rateRuns(prices, weekday) {
				from, to := opts.Today.AddDate(0, 0, run.from), opts.Today.AddDate(0, 0, run.to)
				if _, _, err := cat.SetRates(ctx, rp.ID, from, to, run.amount); err != nil {
					return s, fmt.Errorf("set rates of %q of %q for %s..%s: %w", rps.fields.Name, rts.fields.Name,
						from.Format(time.DateOnly), to.Format(time.DateOnly), err)
				}
				s.RateCalls++
			}
			s.NightlyRates += opts.Nights
		}
	}
	return s, nil
}

func (o Opts) withDefaults() (Opts, error) {
	if o.Hotels < 0 || o.Nights < 0 {
		return o, errors.New("demo: Hotels and Nights must not be negative")
	}
	if o.Hotels == 0 {
		o.Hotels = DefaultHotels
	}
	if o.Nights == 0 {
		o.Nights = DefaultNights
	}
	today := o.Today
	if today.IsZero() {
		today = time.Now().UTC()
	}
	// Rates are set on dates; the catalog wants them at UTC midnight.
	o.Today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
