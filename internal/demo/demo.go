// Package demo loads a deterministic, realistic demo world: hotels in real
// cities around the world, with room types, rooms, rate plans and a year of
// nightly rates, and optionally past stays booked at them. Everything goes
// through the catalog and booking services, so demo data is validated
// exactly as API writes are and keeps every invariant they keep.
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
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/pii"
)

// Defaults applied to zero Opts fields. DefaultNights rates every night a
// stay can be sold for: from yesterday (UTC), the business date of hotels
// a day behind, to the last night of a one-night stay booking.MaxDaysAhead
// days after the business date of hotels a day ahead.
const (
	DefaultHotels   = 60
	DefaultNights   = booking.MaxDaysAhead + 3
	DefaultPastDays = 90
)

// Subject is the subject of the admin principal Load acts as.
const Subject = "demo-seed"

// workers is how many hotels are filled in at once. Rates dominate the load
// and each SetRates call is a few round trips and a commit, so several
// concurrent callers keep the database busy (measured on two cores: 4 workers
// ~9 s, 8 workers ~7-9 s, 12 no better). With a smaller pool they just wait
// for a connection; no catalog call holds two at once.
const workers = 8

// Stage names what Load is doing when it reports progress.
type Stage string

// Stages of Load, in order.
const (
	StageHotels       Stage = "hotels"
	StagePastBookings Stage = "past bookings"
)

// Opts configures Load.
type Opts struct {
	// Hotels is how many hotels the demo catalog holds; default 60.
	Hotels int
	// Seed picks the demo world: the same seed gives the same catalog and
	// the same past stays. Default DefaultSeed.
	Seed uint64
	// Today is the first night of rates; only its date counts. Default: the
	// day before today's UTC date, the earliest "tonight" of any hotel (west
	// of UTC the local date is behind for part of the day).
	Today time.Time
	// Nights is how many nights of rates each rate plan gets; default
	// DefaultNights (368).
	Nights int
	// PastBookings is how many past stays Load books at each of the first
	// Hotels hotels that has no booking yet; 0 (the default) books none.
	PastBookings int
	// PastDays is how far back before Today past stays begin, at least 2;
	// default DefaultPastDays. Rate plans get rates for those nights too.
	PastDays int
	// PII seals the contact details and guest names of past bookings. Give
	// the keyring the API server uses, or it cannot open them; nil means keys
	// that die with the process (tests).
	PII *pii.Keyring
	// Logger receives a line per hotel (debug) and a summary (info); default:
	// discard.
	Logger *slog.Logger
	// Progress, when set, is called with the stage, the number of hotels
	// done in it so far and the number it has to do: once with done = 0 at
	// the start of each stage, then after each hotel. Calls never overlap and
	// done only grows within a stage.
	Progress func(stage Stage, done, total int)
}

// Summary says what Load did.
type Summary struct {
	// Skipped is true when the catalog already held at least Opts.Hotels
	// hotels and Load created none.
	Skipped bool
	// Existing is the number of hotels in the catalog before Load.
	Existing int
	// Completed is the number of hotels an interrupted run had left
	// incomplete that Load completed (see completeTail).
	Completed int
	// Hotels counts the hotels Load created; RoomTypes, Rooms and RatePlans
	// what it created in them and in the hotels it completed.
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
	// Past counts the past bookings made.
	Past PastSummary
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

// loadLock is the advisory lock key that serialises demo loads.
const loadLock = 7426002

// Load makes the catalog hold opts.Hotels demo hotels and, when
// opts.PastBookings is set, books past stays at them. It acts as an admin
// principal with subject "demo-seed", which it puts in the context itself.
//
// Demo hotel i is a pure function of opts.Seed and i (see Cities), so the
// same opts give the same catalog every time; only ids and timestamps differ.
// Hotels are created in order i = 0, 1, ..., so listing the catalog in
// creation order lists them in that order.
//
// Load is idempotent in a simple way: it counts the hotels in the catalog and,
// when there are at least opts.Hotels, creates none and reports Skipped.
// Otherwise, with n hotels present, it creates demo hotels n..opts.Hotels-1,
// so a larger opts.Hotels extends an earlier demo load. Hotels created by
// other means count. The last hotels of an interrupted run, the only ones it
// can have left incomplete, are completed first (completeTail). Past stays
// are booked only at hotels that have no booking at all (see bookPast), so a
// second run books none twice either. Loads wait for one another.
func Load(ctx context.Context, pool *pgxpool.Pool, opts Opts) (Summary, error) {
	start := time.Now()
	opts, err := opts.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	// One load at a time (two dev commands on one cluster, seed while dev
	// starts): the next one waits, then finds the catalog complete.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("load demo world: %w", err)
	}
	defer conn.Release()
	// keyed by the database too: loads into other databases of the server
	// do not wait
	const db = "(SELECT oid::int FROM pg_database WHERE datname = current_database())"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1, "+db+")", loadLock); err != nil {
		return Summary{}, fmt.Errorf("load demo world: wait for another load: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, "+db+")", loadLock) //nolint:errcheck
	ctx = auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleAdmin, Subject: Subject})
	// Rates start on opts.Today: the demo world's "now" for pricing, a day
	// behind the hotels east of UTC by default.
	cat := catalog.NewService(pool).WithClock(func() time.Time { return opts.Today })
	// adds the rooms, and their nights from today on to the inventory
	inv := booking.NewService(pool, cat, nil, nil, booking.Opts{PII: opts.PII})
	sum, err := loadCatalog(ctx, cat, inv, opts)
	if err == nil && opts.PastBookings > 0 {
		sum.Past, err = bookPast(ctx, pool, cat, opts)
	}
	sum.Elapsed = time.Since(start)
	if err != nil {
		return sum, fmt.Errorf("load demo world: %w", err)
	}
	return sum, nil
}

// loadCatalog creates the missing demo hotels with their room types, rooms,
// rate plans and rates.
func loadCatalog(ctx context.Context, cat *catalog.Service, inv *booking.Service, opts Opts) (Summary, error) {
	log := opts.Logger
	existing, err := cat.CountHotels(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("count hotels: %w", err)
	}
	sum := Summary{Existing: existing, Nights: opts.Nights, First: opts.Today}
	if sum.Completed, err = completeTail(ctx, cat, inv, existing, opts, &sum); err != nil {
		return sum, err
	}
	if existing >= opts.Hotels {
		sum.Skipped = true
		log.Info("demo catalog already loaded; skipping", "hotels", existing, "wanted", opts.Hotels)
		return sum, nil
	}
	start := time.Now()
	total := opts.Hotels - existing
	log.Info("loading demo catalog", "existing", existing, "hotels", total, "seed", opts.Seed,
		"first_night", opts.Today.Format(time.DateOnly), "nights", opts.Nights)

	type job struct {
		i    int
		id   uuid.UUID
		spec hotelSpec
	}
	var mu sync.Mutex
	err = inParallel(ctx, opts, StageHotels, total, func(ctx context.Context, jobs chan<- job) error {
		// Hotels are created here, one at a time, so they get ids in order i.
		for i := existing; i < opts.Hotels; i++ {
			spec := generateHotel(opts.Seed, i)
			h, err := cat.CreateHotel(ctx, spec.fields)
			if err != nil {
				return fmt.Errorf("create demo hotel %d (%s, %s): %w", i, spec.fields.Name, spec.city.Name, err)
			}
			select {
			case jobs <- job{i: i, id: h.ID, spec: spec}:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	}, func(ctx context.Context, j job) error {
		s, err := fillHotel(ctx, cat, inv, j.id, j.spec, opts)
		if err != nil {
			return fmt.Errorf("demo hotel %d (%s, %s): %w", j.i, j.spec.fields.Name, j.spec.city.Name, err)
		}
		log.Debug("demo hotel loaded", "i", j.i, "name", j.spec.fields.Name, "city", j.spec.city.Name,
			"room_types", s.RoomTypes, "rooms", s.Rooms, "rate_plans", s.RatePlans, "rate_calls", s.RateCalls)
		mu.Lock()
		sum.add(s)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return sum, err
	}
	log.Info("demo catalog loaded", "hotels", sum.Hotels, "room_types", sum.RoomTypes, "rooms", sum.Rooms,
		"rate_plans", sum.RatePlans, "nightly_rates", sum.NightlyRates, "rate_calls", sum.RateCalls,
		"elapsed", time.Since(start).Round(time.Millisecond))
	return sum, nil
}

// inParallel runs work on every job produce sends, on workers goroutines,
// and reports progress of stage after each. The first error cancels the
// rest and is returned; produce stops when its context is cancelled.
func inParallel[J any](ctx context.Context, opts Opts, stage Stage, total int,
	produce func(context.Context, chan<- J) error, work func(context.Context, J) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		done int
		wg   sync.WaitGroup
	)
	if opts.Progress != nil {
		opts.Progress(stage, 0, total)
	}
	jobs := make(chan J)
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				if ctx.Err() != nil {
					continue // drain; the first error is already recorded
				}
				if err := work(ctx, j); err != nil {
					cancel(err)
					continue
				}
				mu.Lock()
				done++
				if opts.Progress != nil {
					opts.Progress(stage, done, total)
				}
				mu.Unlock()
			}
		})
	}
	if err := produce(ctx, jobs); err != nil {
		cancel(err)
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx)
}

// setRates prices the nights [first, first+nights) of a rate plan as demo
// hotel h prices them, and returns the number of SetRates calls made.
func setRates(ctx context.Context, cat *catalog.Service, ratePlanID uuid.UUID, h hotelSpec, rts roomTypeSpec, rps ratePlanSpec,
	first time.Time, nights int) (int, error) {
	prices, weekday := nightlyPrices(h, rts, rps, first, nights)
	calls := 0
	for _, run := range rateRuns(prices, weekday) {
		from, to := first.AddDate(0, 0, run.from), first.AddDate(0, 0, run.to)
		if _, _, err := cat.SetRates(ctx, ratePlanID, from, to, run.amount); err != nil {
			return calls, fmt.Errorf("set rates of %q of %q for %s..%s: %w", rps.fields.Name, rts.fields.Name,
				from.Format(time.DateOnly), to.Format(time.DateOnly), err)
		}
		calls++
	}
	return calls, nil
}

func (o Opts) withDefaults() (Opts, error) {
	if o.Hotels < 0 || o.Nights < 0 || o.PastBookings < 0 {
		return o, errors.New("demo: Hotels, Nights and PastBookings must not be negative")
	}
	if o.PastDays < 0 || o.PastDays == 1 {
		return o, errors.New("demo: PastDays must be at least 2: a past stay checks out the day before Today at the latest")
	}
	if o.Hotels == 0 {
		o.Hotels = DefaultHotels
	}
	if o.Nights == 0 {
		o.Nights = DefaultNights
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.PastDays == 0 {
		o.PastDays = DefaultPastDays
	}
	today := o.Today
	if today.IsZero() {
		today = time.Now().UTC().AddDate(0, 0, -1)
	}
	// Rates are set on dates; the catalog wants them at UTC midnight.
	o.Today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
