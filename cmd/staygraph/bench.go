package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/devserver"
)

const benchHelp = `usage: staygraph bench holds [flags]

Measures holds on a fresh database and prints the figures:
  A  booking.Service.Hold in-process from --workers goroutines; no two holds
     touch the same inventory row (one night of a room type each)
  B  holdBooking over HTTP against the real API (serveAPI on 127.0.0.1:0):
     --clients clients on ONE room type, every stay sharing one night (or,
     with --rate, holds arriving at that rate whatever the answers' latency);
     then SQL checks that no night is oversold and that every night's count
     equals the booked rooms holding it
  C  pgbench on the same server, for scale (skipped when not installed)

--database-url is an ADMIN connection: the database it names is only used to
create and drop the bench's own databases on that server (staygraph_bench_<random>,
migrated, and staygraph_pgbench_<random>); they are dropped at the end unless
--keep. When it is empty, a private PostgreSQL cluster is started from the
installed binaries in a temporary folder on a free port and stopped at the end.

Exits non-zero when a night is oversold or its count differs from its bookings,
or a hold failed with an internal error.

flags:
`

// benchOpts are the settings of 'staygraph bench holds'.
type benchOpts struct {
	adminURL           *string
	keep, asJSON       *bool
	workers, roomTypes *int
	holds              *int
	durA               *time.Duration
	clients, rooms     *int
	rate               *float64
	durB, warmup       *time.Duration
	maxConns           *int
	syncCommit         *string
	pgbench            *bool
	pgbenchScale       *int
	pgbenchArgs        *string
	cpuProfile         *string
}

// benchReport is everything the bench prints; --json prints it as is.
type benchReport struct {
	Machine   map[string]string `json:"machine"`
	InProcess *runResult        `json:"inProcess"`
	HTTP      *runResult        `json:"http"`
	// OversoldNights, MismatchedNights and WrongCapacityNights are found in
	// SQL after part B.
	OversoldNights      int           `json:"oversoldNights"`
	MismatchedNights    int           `json:"mismatchedNights"`
	WrongCapacityNights int           `json:"wrongCapacityNights"`
	Pgbench             pgbenchResult `json:"pgbench"`
}

// runResult is one measured run: how many calls, how fast, and their outcomes.
type runResult struct {
	Setup     string             `json:"setup"`
	Count     int                `json:"count"`
	Seconds   float64            `json:"seconds"`
	PerSecond float64            `json:"perSecond"`
	LatencyMS map[string]float64 `json:"latencyMs"`
	Outcomes  map[string]int     `json:"outcomes"`
	Examples  map[string]string  `json:"examples,omitempty"` // one message per failed outcome
	CPU       string             `json:"cpu,omitempty"`      // how busy the machine and this process were
}

// pgbenchResult is the part of pgbench's report the bench shows.
type pgbenchResult struct {
	Command   string  `json:"command,omitempty"`
	TPS       float64 `json:"tps,omitempty"`
	LatencyMS float64 `json:"latencyAvgMs,omitempty"`
	Skipped   string  `json:"skipped,omitempty"`
}

// Outcomes of a hold. Part B also counts "user:<CODE>" and "error:<CODE>".
const (
	outcomeOK        = "ok"
	outcomeSoldOut   = "SOLD_OUT"
	outcomeInternal  = "INTERNAL"
	outcomeTransport = "transport"
)

// benchmarks are the subcommands of 'staygraph bench'.
var benchmarks = []command{
	{"holds", "holds: in-process, over HTTP on one contended room type, and pgbench for scale", runBenchHolds},
	{"search", "searchHotels over a generated catalog", runBenchSearch},
}

func runBench(ctx context.Context, args []string) error {
	for _, b := range benchmarks {
		if len(args) > 0 && args[0] == b.name {
			return b.run(ctx, args[1:])
		}
	}
	fmt.Fprintln(os.Stderr, "usage: staygraph bench <benchmark> [flags]\n\nbenchmarks:")
	for _, b := range benchmarks {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", b.name, b.summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'staygraph bench <benchmark> -h' for its flags; docs/benchmarks.md shows figures.")
	if len(args) == 0 || slices.Contains([]string{"-h", "--help", "help"}, args[0]) {
		return flag.ErrHelp
	}
	return fmt.Errorf("unknown benchmark %q", args[0])
}

// runBenchHolds is 'staygraph bench holds'.
func runBenchHolds(ctx context.Context, args []string) error {
	f := newFlags("bench holds")
	c := commonFlags(f)
	f.Lookup("database-url").Usage = "ADMIN connection string; the bench creates and drops its own databases on that server, empty starts a private cluster (also read from DATABASE_URL)"
	if _, ok := f.env("log-level"); !ok { // keep the table readable; the API still logs internal errors
		_ = f.Set("log-level", "warn")
		f.Lookup("log-level").DefValue = "warn"
	}
	o := benchOpts{
		adminURL:     c.databaseURL,
		keep:         f.Bool("keep", false, "keep the bench databases (and a private cluster) instead of dropping them"),
		asJSON:       f.Bool("json", false, "print the report as JSON"),
		workers:      f.Int("workers", 8, "part A: goroutines calling booking.Service.Hold"),
		roomTypes:    f.Int("room-types", 32, "part A: room types; x 350 nights = the distinct inventory rows available"),
		holds:        f.Int("holds", 0, "part A: stop after this many holds (0: run for --duration-a)"),
		durA:         f.Duration("duration-a", 10*time.Second, "part A: how long to run"),
		clients:      f.Int("clients", 100, "part B: concurrent HTTP clients"),
		rate:         f.Float64("rate", 0, "part B: holds per second arriving at random instants (open loop), instead of --clients clients each sending its next hold when the last is answered; 0: that closed loop"),
		rooms:        f.Int("rooms", 25000, "part B: rooms of the contended room type (enough never to sell out)"),
		durB:         f.Duration("duration", 15*time.Second, "part B: how long to measure"),
		warmup:       f.Duration("warmup", 2*time.Second, "part B: load before measuring, not counted"),
		maxConns:     f.Int("db-max-conns", defaultMaxConns, "database pool size of parts A and B (as for 'serve')"),
		syncCommit:   f.String("synchronous-commit", "", "synchronous_commit of the bench database (on, off, ...); empty keeps the server's"),
		pgbench:      f.Bool("pgbench", true, "run part C (pgbench)"),
		pgbenchScale: f.Int("pgbench-scale", 10, "part C: pgbench -i scale factor"),
		pgbenchArgs:  f.String("pgbench-args", "-c 16 -j 2 -T 10 -M prepared", "part C: pgbench run flags"),
		cpuProfile:   f.String("cpuprofile", "", "write a CPU profile of this process during part B to this file (go tool pprof)"),
	}
	f.Usage = func() { fmt.Fprint(f.Output(), benchHelp); f.PrintDefaults() }
	if err := f.parse(args); err != nil {
		return err
	}
	// Print only once the databases are dropped: a closed stdout must not leave them behind.
	rep, err := benchHolds(ctx, newLogger(*c.logFormat, *c.logLevel), o)
	if err != nil {
		return err
	}
	if *o.asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(os.Stdout, rep)
	}
	failedA, internal := rep.InProcess.Count-rep.InProcess.Outcomes[outcomeOK], rep.HTTP.Outcomes[outcomeInternal]
	if failedA+internal+rep.OversoldNights+rep.MismatchedNights+rep.WrongCapacityNights > 0 {
		return fmt.Errorf("%d oversold nights, %d nights miscounted, %d nights of the wrong capacity, %d internal errors over HTTP, %d failed in-process holds",
			rep.OversoldNights, rep.MismatchedNights, rep.WrongCapacityNights, internal, failedA)
	}
	return nil
}

// benchHolds runs parts A, B and C on a fresh database, drops it, and
// returns the figures.
func benchHolds(ctx context.Context, log *slog.Logger, o benchOpts) (benchReport, error) {
	var rep benchReport
	adminURL := *o.adminURL
	if adminURL == "" {
		url, stop, err := startPrivateServer(ctx, log, *o.keep)
		if err != nil {
			return rep, err
		}
		defer stop()
		adminURL = url
	}
	dbURL, drop, err := createDatabase(ctx, adminURL, "staygraph_bench_", *o.syncCommit, *o.keep)
	if err != nil {
		return rep, err
	}
	defer drop()
	// The API is configured as 'serve' would be, without rate limits: the bench
	// measures holds, and one client of it may outpace a guest's limit.
	apiFlags := newFlags("bench api")
	api := addServerFlags(apiFlags)
	if err := apiFlags.parse([]string{"--addr", "127.0.0.1:0", "--db-max-conns", fmt.Sprint(*o.maxConns), "--rate-limits", "off"}); err != nil {
		return rep, fmt.Errorf("bench api settings: %w", err)
	}
	pool, err := postgres.Connect(ctx, dbURL, api.poolOpts())
	if err != nil {
		return rep, err
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool, log); err != nil {
		return rep, err
	}
	rep.Machine = machineFacts(ctx, pool, dbURL)
	cat := catalog.NewService(pool)
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{}) // insert-only: hold expiry jobs are enqueued as in serve
	if err != nil {
		return rep, fmt.Errorf("job queue: %w", err)
	}
	svc := booking.NewService(pool, cat, payment.NewRegistry(sandbox.New()), jobs, booking.Opts{})
	fx, err := newBenchFixture(ctx, cat, svc, *o.roomTypes, *o.rooms)
	if err != nil {
		return rep, fmt.Errorf("bench fixture: %w", err)
	}
	if rep.InProcess, err = benchInProcess(ctx, svc, fx, *o.workers, *o.holds, *o.durA); err != nil {
		return rep, err
	}
	if *o.cpuProfile != "" {
		stop, err := startCPUProfile(*o.cpuProfile)
		if err != nil {
			return rep, err
		}
		defer stop()
	}
	if rep.HTTP, err = benchHTTP(ctx, log, pool, api, fx, *o.clients, *o.rate, *o.warmup, *o.durB); err != nil {
		return rep, err
	}
	check, err := booking.CheckInventory(ctx, pool, time.Now())
	if err != nil {
		return rep, err
	}
	rep.OversoldNights, rep.MismatchedNights, rep.WrongCapacityNights = check.Oversold, check.Miscounted, check.WrongCapacity
	conns := fmt.Sprintf(", pool of %d connections", *o.maxConns)
	rep.InProcess.Setup, rep.HTTP.Setup = rep.InProcess.Setup+conns, rep.HTTP.Setup+conns
	if *o.pgbench {
		rep.Pgbench = runPgbench(ctx, adminURL, *o.pgbenchScale, *o.pgbenchArgs, *o.keep)
	} else {
		rep.Pgbench.Skipped = "--pgbench=false"
	}

	rep.Machine["loadavg at end"] = loadAverage()
	return rep, nil
}

// startPrivateServer starts a PostgreSQL cluster in a new temporary folder on
// a free port and returns its admin URL and a func that stops it (and, unless
// keep, deletes the folder).
func startPrivateServer(ctx context.Context, log *slog.Logger, keep bool) (string, func(), error) {
	dir, err := os.MkdirTemp(os.TempDir(), "staygraph-bench-")
	if err != nil {
		return "", nil, fmt.Errorf("private postgres folder: %w", err)
	}
	// As root the cluster runs as the postgres user, who must enter the folder.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("private postgres folder: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("find a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	pg, err := devserver.Start(ctx, devserver.Opts{DataDir: filepath.Join(dir, "pg"), Port: port, Logger: log, Database: "postgres"})
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return pg.URL(), func() {
		if err := pg.Stop(context.Background()); err != nil {
			log.Error("stop private postgres", "err", err)
		}
		if !keep {
			os.RemoveAll(dir)
		}
	}, nil
}

// createDatabase creates a database named prefix+<random> on the server of
// adminURL and returns its URL and a func that drops it (unless keep).
func createDatabase(ctx context.Context, adminURL, prefix, syncCommit string, keep bool) (string, func(), error) {
	name := prefix + randomHex(6)
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect to the admin database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop := func() {
		if keep {
			fmt.Fprintf(os.Stderr, "kept database %s\n", name)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, adminURL)
		if err == nil {
			defer conn.Close(ctx)
			_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "drop database %s: %v\n", name, err)
		}
	}
	if syncCommit != "" {
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident+" SET synchronous_commit = "+pgx.Identifier{syncCommit}.Sanitize()); err != nil {
			drop()
			return "", nil, fmt.Errorf("set synchronous_commit: %w", err)
		}
	}
	return postgres.WithDatabase(adminURL, name), drop, nil
}

// benchFixture is one hotel with room types for part A and one hot room type for part B.
type benchFixture struct {
	hotelID   uuid.UUID
	plansA    []uuid.UUID // one rate plan per uncontended room type
	hotPlan   uuid.UUID
	firstA    time.Time // first night of part A
	sharedB   time.Time // the night every part B stay includes
	nightsOfA int
}

// newBenchFixture builds the catalog through the catalog service, as an admin.
func newBenchFixture(ctx context.Context, cat *catalog.Service, svc *booking.Service, roomTypes, hotRooms int) (benchFixture, error) {
	admin := auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleAdmin, Subject: "bench"})
	h, err := cat.CreateHotel(admin, catalog.HotelFields{Name: "Bench Hotel", TimeZone: "Europe/Paris",
		Location: catalog.GeoPoint{Lat: 48.86, Lon: 2.35}, Address: catalog.Address{Line1: "1 rue de Rivoli", City: "Paris", CountryCode: "FR"},
		Currency: "EUR", StarRating: 3, CheckInTime: catalog.DefaultCheckIn, CheckOutTime: catalog.DefaultCheckOut, TaxRateBasisPoints: 1000})
	if err != nil {
		return benchFixture{}, err
	}
	loc, _ := time.LoadLocation(h.TimeZone)
	today := hoteldate.BusinessDate(time.Now(), loc) // the first night a hold takes
	// addRoomType creates a room type with rooms numbered prefix+i and a
	// rate plan priced from the hotel's today for a year.
	addRoomType := func(name, prefix string, rooms int) (uuid.UUID, error) {
		rt, err := cat.CreateRoomType(admin, h.ID, catalog.RoomTypeFields{Name: name, MaxAdults: 2, MaxChildren: 1, MaxOccupancy: 3})
		if err != nil {
			return uuid.Nil, err
		}
		for from := 0; from < rooms; from += 500 { // AddRooms takes at most 500
			numbers := make([]string, min(500, rooms-from))
			for i := range numbers {
				numbers[i] = fmt.Sprint(prefix, from+i+1)
			}
			if _, err := svc.AddRooms(admin, cat, rt.ID, numbers); err != nil {
				return uuid.Nil, err
			}
		}
		rp, err := cat.CreateRatePlan(admin, rt.ID, catalog.RatePlanFields{Name: "Flexible", DepositPolicy: catalog.DepositPolicy{Kind: catalog.DepositFull}})
		if err != nil {
			return uuid.Nil, err
		}
		_, _, err = cat.SetRates(admin, rp.ID, today, today.AddDate(0, 0, 364), 12000)
		return rp.ID, err
	}
	fx := benchFixture{hotelID: h.ID, firstA: today.AddDate(0, 0, 2), sharedB: today.AddDate(0, 0, 30), nightsOfA: 350}
	for t := range roomTypes {
		plan, err := addRoomType(fmt.Sprint("Quiet ", t), fmt.Sprintf("Q%d-", t), 2)
		if err != nil {
			return fx, err
		}
		fx.plansA = append(fx.plansA, plan)
	}
	fx.hotPlan, err = addRoomType("Hot", "H", hotRooms)
	return fx, err
}

// benchInProcess is part A: holds of one night and one room from workers
// goroutines; hold i takes room type i mod N on night i div N, so no two
// holds ever touch the same inventory row.
func benchInProcess(ctx context.Context, svc *booking.Service, fx benchFixture, workers, limit int, d time.Duration) (*runResult, error) {
	slots := len(fx.plansA) * fx.nightsOfA
	if limit <= 0 || limit > slots {
		limit = slots
	}
	var next atomic.Int64
	rec := newRecorder()
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			guest := auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleGuest, Subject: fmt.Sprint("bench-a-", w)})
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := int(next.Add(1) - 1)
				if i >= limit {
					return
				}
				night := fx.firstA.AddDate(0, 0, i/len(fx.plansA))
				in := booking.HoldInput{IdempotencyKey: fmt.Sprint("a-", i), HotelID: fx.hotelID, CheckIn: night, CheckOut: night.AddDate(0, 0, 1),
					Contact: booking.Contact{Email: "bench@example.com"},
					Rooms: []booking.RoomRequest{{RatePlanID: fx.plansA[i%len(fx.plansA)], Party: booking.Party{Adults: 2, ChildAges: []int{}},
						Guests: []booking.GuestName{{GivenName: "Ana", FamilyName: "Bench"}}}}}
				t0 := time.Now()
				_, err := svc.Hold(guest, in)
				outcome, msg := outcomeOK, ""
				if err != nil {
					outcome, msg = "error", err.Error()
				}
				rec.add(t0, time.Since(t0), outcome, msg)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("holds in-process: %w", err)
	}
	res := rec.result(start)
	res.Setup = fmt.Sprintf("%d goroutines, %d room types x 1 night each, no shared row", workers, len(fx.plansA))
	if res.Count >= slots {
		res.Setup += " (stopped: every row used once; raise --room-types)"
	}
	return res, nil
}

const benchHoldMutation = `mutation($input: HoldBookingInput!) {
  holdBooking(input: $input) {
    booking { id reference status holdExpiresAt total { amount currency } }
    userErrors { code field message }
  }
}`

// benchHTTP is part B: the real API serves clients that hold 1 room for 1-3
// nights, every stay including fx.sharedB, for warmup+d; requests started
// during warmup are not counted.
func benchHTTP(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool, s serverFlags, fx benchFixture, clients int, rate float64, warmup, d time.Duration) (*runResult, error) {
	secret := []byte(randomHex(32))
	endpoint, stopAPI, err := startBenchAPI(ctx, log, pool, s, secret)
	if err != nil {
		return nil, err
	}
	defer stopAPI()
	client := benchClient(clients)
	hotel, plan := relay.ID(relay.KindHotel, fx.hotelID), relay.ID(relay.KindRatePlan, fx.hotPlan)
	rec := newRecorder()
	begin := time.Now()
	measureFrom, deadline := begin.Add(warmup), begin.Add(warmup+d)
	var pg0 map[int]uint64
	time.AfterFunc(warmup, func() {
		pg := sbBackendTicks(ctx, pool, "")
		rec.mu.Lock()
		rec.cpu, pg0 = sampleCPU(), pg
		rec.mu.Unlock()
	})
	tokens := make([]string, clients)
	for c := range clients {
		if tokens[c], err = auth.Mint(secret, auth.MintOpts{Role: auth.RoleGuest, Subject: fmt.Sprint("bench-b-", c), TTL: time.Hour}); err != nil {
			return nil, err
		}
	}
	// hold is request i of client c: 1 room for 1-3 nights including fx.sharedB.
	hold := func(c, i int) (outcome, msg string) {
		nights := 1 + mrand.IntN(3)
		checkIn := fx.sharedB.AddDate(0, 0, -mrand.IntN(nights))
		body, _ := json.Marshal(map[string]any{"query": benchHoldMutation, "variables": map[string]any{"input": map[string]any{
			"idempotencyKey": fmt.Sprintf("b-%d-%d", c, i), "hotelId": hotel,
			"checkIn": checkIn.Format(time.DateOnly), "checkOut": checkIn.AddDate(0, 0, nights).Format(time.DateOnly),
			"rooms":   []map[string]any{{"ratePlanId": plan, "occupancy": "2", "guests": []map[string]any{{"givenName": "Ana", "familyName": "Bench"}}}},
			"contact": map[string]any{"email": "bench@example.com"}}}})
		return postHold(client, endpoint, tokens[c], body)
	}
	var wg sync.WaitGroup
	if rate > 0 {
		// Open loop: holds arrive at random instants (a Poisson process)
		// whatever the answers' latency, which counts from the planned
		// arrival, so a slow answer cannot hold back the next arrivals.
		at := begin
		for i := 0; ctx.Err() == nil; i++ {
			if at = at.Add(time.Duration(mrand.ExpFloat64() / rate * float64(time.Second))); !at.Before(deadline) {
				break
			}
			time.Sleep(time.Until(at))
			wg.Add(1)
			go func(at time.Time) {
				defer wg.Done()
				outcome, msg := hold(i%clients, i)
				if !at.Before(measureFrom) {
					rec.add(at, time.Since(at), outcome, msg)
				}
			}(at)
		}
	}
	for c := range clients {
		if rate > 0 {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && time.Now().Before(deadline); i++ {
				t0 := time.Now()
				outcome, msg := hold(c, i)
				if !t0.Before(measureFrom) {
					rec.add(t0, time.Since(t0), outcome, msg)
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("holds over HTTP: %w", err)
	}
	pgTicks, pgOK := sbTicksSince(pg0, sbBackendTicks(ctx, pool, ""))
	selfTicks := sampleCPU().self - rec.cpu.self
	res := rec.result(measureFrom)
	if res.Count > 0 && pgOK {
		// /proc counts clock ticks of 10 ms (USER_HZ is 100 on Linux)
		res.CPU += fmt.Sprintf("; per hold: %.1f ms CPU of this process + %.1f ms of PostgreSQL",
			float64(selfTicks)*10/float64(res.Count), float64(pgTicks)*10/float64(res.Count))
	}
	res.Setup = fmt.Sprintf("%d clients, one room type, stays of 1-3 nights sharing one night, %s warm-up", clients, warmup)
	if rate > 0 {
		res.Setup = fmt.Sprintf("open loop: %g holds/s arriving at random instants (tokens of %d clients), one room type, stays of 1-3 nights sharing one night, %s warm-up", rate, clients, warmup)
	}
	return res, nil
}

// postHold sends one holdBooking request and classifies its answer.
func postHold(client *http.Client, endpoint, token string, body []byte) (outcome, message string) {
	req, _ := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return outcomeTransport, err.Error()
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return outcomeTransport, err.Error()
	}
	var out struct {
		Data *struct {
			HoldBooking *struct {
				Booking    *struct{ ID string }
				UserErrors []struct{ Code, Message string }
			}
		}
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return outcomeTransport, fmt.Sprintf("HTTP %d: %.200s", res.StatusCode, raw)
	}
	switch {
	case len(out.Errors) > 0 && out.Errors[0].Extensions.Code == outcomeInternal:
		return outcomeInternal, out.Errors[0].Message
	case len(out.Errors) > 0:
		return "error:" + out.Errors[0].Extensions.Code, out.Errors[0].Message
	case out.Data == nil || out.Data.HoldBooking == nil:
		return outcomeTransport, fmt.Sprintf("HTTP %d without a payload: %.200s", res.StatusCode, raw)
	case out.Data.HoldBooking.Booking != nil:
		return outcomeOK, ""
	case len(out.Data.HoldBooking.UserErrors) > 0 && out.Data.HoldBooking.UserErrors[0].Code == outcomeSoldOut:
		return outcomeSoldOut, ""
	case len(out.Data.HoldBooking.UserErrors) > 0:
		return "user:" + out.Data.HoldBooking.UserErrors[0].Code, out.Data.HoldBooking.UserErrors[0].Message
	}
	return outcomeTransport, fmt.Sprintf("HTTP %d, neither a booking nor an error: %.200s", res.StatusCode, raw)
}

// checkInventory counts, in SQL, oversold nights and nights whose reserved
// count differs from the booked rooms that hold them.
var (
	tpsRE     = regexp.MustCompile(`tps = ([0-9.]+)`)
	latencyRE = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
)

// runPgbench is part C: pgbench initialises its own database on the server of
// adminURL, runs with args, and the database is dropped (unless keep).
func runPgbench(ctx context.Context, adminURL string, scale int, args string, keep bool) pgbenchResult {
	bin, err := exec.LookPath("pgbench")
	if found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench"); err != nil && len(found) > 0 {
		bin, err = found[len(found)-1], nil
	}
	if err != nil {
		return pgbenchResult{Skipped: "pgbench is neither on PATH nor in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql-client)"}
	}
	dbURL, drop, err := createDatabase(ctx, adminURL, "staygraph_pgbench_", "", keep)
	if err != nil {
		return pgbenchResult{Skipped: err.Error()}
	}
	defer drop()
	res := pgbenchResult{Command: fmt.Sprintf("pgbench -i -s %d -q; pgbench %s", scale, args)}
	if out, err := exec.CommandContext(ctx, bin, "-i", "-s", fmt.Sprint(scale), "-q", dbURL).CombinedOutput(); err != nil {
		res.Skipped = fmt.Sprintf("pgbench -i failed: %v: %s", err, bytes.TrimSpace(out))
		return res
	}
	out, err := exec.CommandContext(ctx, bin, append(strings.Fields(args), dbURL)...).CombinedOutput()
	if err == nil {
		res.TPS, res.LatencyMS, err = parsePgbench(out)
	}
	if err != nil {
		res.Skipped = fmt.Sprintf("pgbench failed: %v: %s", err, bytes.TrimSpace(out))
	}
	return res
}

// parsePgbench reads the tps and average latency from pgbench's report.
// Before PostgreSQL 14 it prints two tps lines; the last one excludes the
// time to connect, as the only one does since.
func parsePgbench(out []byte) (tps, latencyMS float64, err error) {
	m := tpsRE.FindAllSubmatch(out, -1)
	if m == nil {
		return 0, 0, errors.New("no tps line in its report")
	}
	fmt.Sscan(string(m[len(m)-1][1]), &tps)
	if l := latencyRE.FindSubmatch(out); l != nil {
		fmt.Sscan(string(l[1]), &latencyMS)
	}
	return tps, latencyMS, nil
}

// machineFacts describes where the figures were measured.
func machineFacts(ctx context.Context, pool *pgxpool.Pool, dbURL string) map[string]string {
	facts := map[string]string{"cpus": fmt.Sprint(runtime.NumCPU()), "go": runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`model name\s*: (.*)`).FindSubmatch(b); m != nil {
			facts["cpu"] = string(m[1])
		}
	}
	facts["loadavg at start"] = loadAverage()
	var version, syncCommit, maxConns string
	if err := pool.QueryRow(ctx, `SELECT version(), current_setting('synchronous_commit'), current_setting('max_connections')`).Scan(&version, &syncCommit, &maxConns); err == nil {
		facts["postgres"] = version
		facts["postgres settings"] = "synchronous_commit=" + syncCommit + " max_connections=" + maxConns
	}
	if u, err := url.Parse(dbURL); err == nil {
		u.User = nil // no passwords in reports
		facts["database"] = u.String()
	}
	return facts
}

// recorder collects the latency and outcome of calls from many goroutines.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	outcomes  map[string]int
	examples  map[string]string
	last      time.Time
	cpu       cpuSample
}

func newRecorder() *recorder {
	return &recorder{outcomes: map[string]int{}, examples: map[string]string{}, cpu: sampleCPU()}
}

func (r *recorder) add(start time.Time, d time.Duration, outcome, message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latencies = append(r.latencies, d)
	r.outcomes[outcome]++
	if _, ok := r.examples[outcome]; message != "" && !ok {
		r.examples[outcome] = message
	}
	if end := start.Add(d); end.After(r.last) {
		r.last = end
	}
}

// result summarises the calls recorded since from.
func (r *recorder) result(from time.Time) *runResult {
	slices.Sort(r.latencies)
	secs := r.last.Sub(from).Seconds()
	res := &runResult{Count: len(r.latencies), Seconds: math.Round(secs*100) / 100, Outcomes: r.outcomes, Examples: r.examples, LatencyMS: map[string]float64{}}
	if now := sampleCPU(); now.total > r.cpu.total {
		total := float64(now.total - r.cpu.total)
		res.CPU = fmt.Sprintf("machine %.0f%% busy, this process (API and load) %.0f%% of it",
			100*(1-float64(now.idle-r.cpu.idle)/total), 100*float64(now.self-r.cpu.self)/total)
	}
	if secs > 0 {
		res.PerSecond = math.Round(float64(res.Count)/secs*10) / 10
	}
	for name, q := range map[string]float64{"p50": 0.50, "p90": 0.90, "p99": 0.99, "max": 1} {
		res.LatencyMS[name] = percentileMS(r.latencies, q)
	}
	return res
}

// cpuSample is CPU time in clock ticks from /proc: all CPUs, their idle
// time, and this process's. All zero where /proc is missing.
type cpuSample struct{ total, idle, self uint64 }

func sampleCPU() cpuSample {
	var c cpuSample
	stat, err1 := os.ReadFile("/proc/stat")
	self, err2 := os.ReadFile("/proc/self/stat")
	if err1 != nil || err2 != nil {
		return c
	}
	for i, f := range strings.Fields(strings.SplitN(string(stat), "\n", 2)[0])[1:] {
		var n uint64
		fmt.Sscan(f, &n)
		c.total += n
		if i == 3 || i == 4 { // idle, iowait
			c.idle += n
		}
	}
	// Fields 14 and 15 (utime, stime) follow the parenthesised command name.
	if f := strings.Fields(string(self[bytes.LastIndexByte(self, ')')+1:])); len(f) > 12 {
		var u, s uint64
		fmt.Sscan(f[11], &u)
		fmt.Sscan(f[12], &s)
		c.self = u + s
	}
	return c
}

// percentileMS is the nearest-rank q-quantile of sorted, in milliseconds.
func percentileMS(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := max(0, int(math.Ceil(q*float64(len(sorted))))-1)
	return math.Round(float64(sorted[i].Microseconds())/100) / 10
}

// printReport writes the report as a compact table.
func printReport(w io.Writer, r benchReport) {
	m := r.Machine
	fmt.Fprintf(w, "staygraph bench holds\n\nmachine   %s CPUs (%s), %s, load average %s at start, %s at end\npostgres  %s\n          %s\ndatabase  %s\n",
		m["cpus"], m["cpu"], m["go"], m["loadavg at start"], m["loadavg at end"], m["postgres"], m["postgres settings"], m["database"])
	part := func(title string, res *runResult) {
		l := res.LatencyMS
		fmt.Fprintf(w, "\n%s\n  setup       %s\n  holds       %d in %.1fs = %.1f/s\n  latency     p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n",
			title, res.Setup, res.Count, res.Seconds, res.PerSecond, l["p50"], l["p90"], l["p99"], l["max"])
		keys := make([]string, 0, len(res.Outcomes))
		for k := range res.Outcomes {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, res.Outcomes[k]))
		}
		fmt.Fprintf(w, "  outcomes    %s\n", strings.Join(parts, ", "))
		if res.CPU != "" {
			fmt.Fprintf(w, "  cpu         %s\n", res.CPU)
		}
		for _, k := range keys {
			if msg, ok := res.Examples[k]; ok {
				fmt.Fprintf(w, "  e.g. %-6s %.160s\n", k, msg)
			}
		}
	}
	part("A  booking.Service.Hold in-process, no contention", r.InProcess)
	part("B  holdBooking over HTTP, one contended room type", r.HTTP)
	if n := r.HTTP.Outcomes[outcomeSoldOut]; n > 0 {
		fmt.Fprintf(w, "  note        %d holds were SOLD_OUT: the room type sold out; raise --rooms\n", n)
	}
	fmt.Fprintf(w, "  oversold nights: %d\n  miscounted nights: %d\n  nights of the wrong capacity: %d\n  internal errors: %d\n",
		r.OversoldNights, r.MismatchedNights, r.WrongCapacityNights, r.HTTP.Outcomes[outcomeInternal])
	fmt.Fprintf(w, "\nC  pgbench on the same server, for scale\n")
	if p := r.Pgbench; p.Skipped != "" {
		fmt.Fprintf(w, "  skipped     %s\n", p.Skipped)
	} else {
		fmt.Fprintf(w, "  command     %s\n  tps = %.1f (without initial connection time), latency average %.1f ms\n", p.Command, p.TPS, p.LatencyMS)
	}
}

// loadAverage is the 1, 5 and 15 minute load average, where /proc has it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startBenchAPI serves the real API (serveAPI, configured by s) on the
// address s names, with bearer tokens signed by secret, until the returned
// func is called; endpoint is its /graphql URL.
func startBenchAPI(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool, s serverFlags, secret []byte) (endpoint string, stop func(), err error) {
	apiCtx, stopAPI := context.WithCancel(ctx)
	ready, served := make(chan string, 1), make(chan error, 1)
	go func() {
		served <- serveAPI(apiCtx, log, pool, s, auth.JWTConfig{HS256Secret: secret}, func(addr string) { ready <- addr })
	}()
	select {
	case addr := <-ready:
		return "http://" + addr + "/graphql", func() {
			stopAPI()
			if err := <-served; err != nil {
				log.Error("stop the API", "err", err)
			}
		}, nil
	case err := <-served:
		stopAPI()
		return "", nil, fmt.Errorf("start the API: %w", err)
	}
}

// benchClient is the HTTP client of a load of clients concurrent callers:
// enough idle connections that every caller keeps its own.
func benchClient(clients int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients, IdleConnTimeout: time.Minute, DisableCompression: true}}
}

// startCPUProfile writes a CPU profile of this process to path until the
// returned func is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
