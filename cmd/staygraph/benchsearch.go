package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/search"
	searchpg "github.com/staygraph/staygraph/internal/search/postgres"
)

const benchSearchHelp = `usage: staygraph bench search [flags]

Measures searchHotels over a generated catalog and prints the figures:
  A  searchHotels over HTTP against the real API (serveAPI on 127.0.0.1:0,
     --rate-limits off) from --clients clients: geo + dates + party +
     amenities, first 20, facets (always computed)
  B  the baseline: the engine's own SQL (internal/search/postgres/search.sql)
     run by pgbench -M prepared with the same parameters, --clients clients
  C  the engine in-process (search.Router over the postgres engine) from
     --clients goroutines: A minus HTTP and GraphQL (skip with --engine=false)

The catalog (--hotels hotels, --room-types-per-hotel room types each with
5-40 rooms and one rate plan, --nights nightly rates and inventory with ~30%
of room-type nights booked and ~5% sold out) is generated in SQL into the
database staygraph_benchsearch on the server of --database-url (an ADMIN
connection) and kept: later runs reuse it when it was generated with the same
settings and generator (--regenerate forces a new one).

Every random choice comes from --seed: the same seed gives the same catalog
and the same queries. Exits non-zero when a search failed.

flags:
`

//go:embed benchdata.sql
var benchDataSQL string

// benchSearchDB is the database the search bench generates and keeps.
const benchSearchDB = "staygraph_benchsearch"

// sbDefaultAdminURL is the local server of development machines and CI.
const sbDefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// sbOpts are the settings of 'staygraph bench search'.
type sbOpts struct {
	adminURL          string
	hotels, roomTypes int
	nights            int
	seed              int64
	regenerate        bool
	queries           int
	clients           int
	duration, warmup  time.Duration
	maxConns          int
	searchConcurrency int
	fields            string
	cpuProfile        string
	prewarm           bool
	pgbench, engine   bool
	pgbenchJobs       int
	asJSON            bool
}

// sbReport is everything the bench prints; --json prints it as is.
type sbReport struct {
	Machine  map[string]string `json:"machine"`
	Catalog  sbCatalog         `json:"catalog"`
	Workload sbWorkload        `json:"workload"`
	API      *sbRun            `json:"api,omitempty"`
	SQL      *sbRun            `json:"sql,omitempty"`
	Engine   *sbRun            `json:"engine,omitempty"`
	// Ratio is the API's throughput over the raw SQL's (target: at least 0.5).
	Ratio float64 `json:"apiOverSql,omitempty"`
}

// sbCatalog describes the generated catalog.
type sbCatalog struct {
	Fingerprint string             `json:"fingerprint"`
	FirstNight  string             `json:"firstNight"`
	Nights      int                `json:"nights"`
	Reused      bool               `json:"reused"`
	GeneratedAt time.Time          `json:"generatedAt"`
	Steps       []sbStep           `json:"steps"`
	Seconds     float64            `json:"seconds"`
	Rows        map[string]int64   `json:"rows"`
	Shares      map[string]float64 `json:"shares"` // inventory rows and sold-out nights per room-type night
	SizeMB      int64              `json:"sizeMB"`
}

// sbStep is one timed step of the generation.
type sbStep struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// sbWorkload describes the queries.
type sbWorkload struct {
	Queries     int     `json:"queries"`
	Description string  `json:"description"`
	AvgTotal    float64 `json:"avgTotalCount"` // hotels matching, over the sample
	AvgHits     float64 `json:"avgHitsOnPage"`
	Empty       float64 `json:"emptyShare"`
}

// sbRun is one measured run.
type sbRun struct {
	Setup     string             `json:"setup"`
	Count     int                `json:"count"`
	Errors    int                `json:"errors"`
	Example   string             `json:"errorExample,omitempty"`
	Seconds   float64            `json:"seconds"`
	PerSecond float64            `json:"perSecond"`
	LatencyMS map[string]float64 `json:"latencyMs"`
	CPU       string             `json:"cpu,omitempty"`
	Note      string             `json:"note,omitempty"`
}

func runBenchSearch(ctx context.Context, args []string) error {
	f := newFlags("bench search")
	c := commonFlags(f)
	f.Lookup("database-url").Usage = "ADMIN connection string; the bench creates (and keeps) the database " + benchSearchDB +
		" on that server (default " + sbDefaultAdminURL + ")"
	if _, ok := f.env("log-level"); !ok { // keep the report readable; the API still logs its errors
		_ = f.Set("log-level", "warn")
		f.Lookup("log-level").DefValue = "warn"
	}
	var o sbOpts
	hotels := f.Int("hotels", 10000, "hotels in the generated catalog")
	roomTypes := f.Int("room-types-per-hotel", 8, "room types per hotel on average (each hotel has avg/2 to 3avg/2)")
	nights := f.Int("nights", 365, "nights of rates and inventory, from yesterday")
	seed := f.Int("seed", 1, "seed of the catalog and of the queries")
	regenerate := f.Bool("regenerate", false, "generate the catalog again even if a matching one exists")
	queries := f.Int("queries", 2000, "distinct queries, drawn at random by every client")
	clients := f.Int("clients", 16, "concurrent clients (HTTP clients, pgbench clients, goroutines)")
	duration := f.Duration("duration", 20*time.Second, "how long each part measures")
	warmup := f.Duration("warmup", 5*time.Second, "load before each part measures, not counted")
	maxConns := f.Int("db-max-conns", defaultMaxConns, "database pool size of the API and of part C (as for 'serve')")
	turns := f.Int("search-concurrency", 0, "searches running on PostgreSQL at once in parts A and C (as for 'serve'; 0: the machine's cores, at most half of --db-max-conns)")
	fields := f.String("fields", "full", "what the API query selects: full (hotel, room type and rate plan names too) or engine (the engine's figures alone)")
	pgbench := f.Bool("pgbench", true, "run part B (pgbench)")
	pgbenchJobs := f.Int("pgbench-jobs", 2, "part B: pgbench threads (-j)")
	engine := f.Bool("engine", true, "run part C (the engine in-process)")
	asJSON := f.Bool("json", false, "print the report as JSON")
	prewarm := f.Bool("prewarm", true, "read the catalog's tables and indexes into the OS cache (pg_prewarm) before measuring")
	cpuProfile := f.String("cpuprofile", "", "write a CPU profile of this process during part A to this file (go tool pprof)")
	f.Usage = func() { fmt.Fprint(f.Output(), benchSearchHelp); f.PrintDefaults() }
	if err := f.parse(args); err != nil {
		return err
	}
	o = sbOpts{adminURL: *c.databaseURL, hotels: *hotels, roomTypes: *roomTypes, nights: *nights, seed: int64(*seed),
		regenerate: *regenerate, queries: *queries, clients: *clients, duration: *duration, warmup: *warmup,
		maxConns: *maxConns, searchConcurrency: *turns, fields: *fields, cpuProfile: *cpuProfile, prewarm: *prewarm, pgbench: *pgbench, engine: *engine, pgbenchJobs: *pgbenchJobs, asJSON: *asJSON}
	if o.adminURL == "" {
		o.adminURL = sbDefaultAdminURL
	}
	switch {
	case o.hotels < 1 || o.roomTypes < 1 || o.queries < 1 || o.clients < 1:
		return errors.New("--hotels, --room-types-per-hotel, --queries and --clients must be at least 1")
	case o.nights < 30:
		return errors.New("--nights must be at least 30 (stays start 10 to 180 days ahead)")
	case o.fields != "full" && o.fields != "engine":
		return fmt.Errorf("--fields %q: full or engine", o.fields)
	}
	var err error
	if o.searchConcurrency, err = searchConcurrency(o.searchConcurrency, o.maxConns); err != nil {
		return err
	}
	return benchSearch(ctx, newLogger(*c.logFormat, *c.logLevel), o)
}

// benchSearch prepares the catalog and runs parts A, B and C.
func benchSearch(ctx context.Context, log *slog.Logger, o sbOpts) error {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	dbURL, cat, err := sbPrepareCatalog(ctx, log, o, today)
	if err != nil {
		return err
	}
	pool, err := postgres.Connect(ctx, dbURL, postgres.PoolOpts{MaxConns: int32(o.maxConns)})
	if err != nil {
		return err
	}
	defer pool.Close()
	rep := sbReport{Machine: sbMachineFacts(ctx, pool), Catalog: cat}
	work, err := sbNewWorkload(ctx, pool, o, today)
	if err != nil {
		return err
	}
	rep.Workload = work.describe(o)
	if o.prewarm {
		rep.Machine["prewarm"] = sbPrewarm(ctx, pool)
	}
	sbProgress("workload: %d queries, %s", len(work.queries), rep.Workload.Description)

	if rep.API, err = sbBenchAPI(ctx, log, pool, o, work); err != nil {
		return err
	}
	rep.Workload.AvgTotal, rep.Workload.AvgHits, rep.Workload.Empty = work.stats()
	if o.pgbench {
		rep.SQL = sbBenchPgbench(ctx, pool, dbURL, o, work)
		if rep.SQL.PerSecond > 0 {
			rep.Ratio = math.Round(rep.API.PerSecond/rep.SQL.PerSecond*100) / 100
		}
	}
	if o.engine {
		rep.Engine = sbBenchEngine(ctx, pool, o, work)
	}
	rep.Machine["loadavg at end"] = sbLoadAverage()
	if o.asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		sbPrintReport(os.Stdout, rep)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	failed := rep.API.Errors
	if rep.Engine != nil {
		failed += rep.Engine.Errors
	}
	if rep.SQL != nil {
		failed += rep.SQL.Errors
	}
	if failed > 0 {
		return fmt.Errorf("%d searches failed", failed)
	}
	return nil
}

// sbProgress prints a progress line on stderr (stdout is the report).
func sbProgress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench search: "+format+"\n", args...)
}

// ---------------------------------------------------------------- catalog

// sbFingerprint identifies a catalog: generator, size and seed.
func sbFingerprint(o sbOpts) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d %d %d %d", benchDataSQL, o.hotels, o.roomTypes, o.nights, o.seed)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// sbMaxCheckIn is the latest check-in of the workload, in days from today,
// so that every stay (at most 5 nights) has rates.
func sbMaxCheckIn(o sbOpts) int { return min(180, o.nights-7) }

// sbPrepareCatalog returns the URL of the bench database, reusing it when it
// holds a catalog of the same fingerprint that still covers the workload's
// dates, else (re)creating, migrating and generating it.
func sbPrepareCatalog(ctx context.Context, log *slog.Logger, o sbOpts, today time.Time) (string, sbCatalog, error) {
	dbURL, err := sbDatabaseURL(o.adminURL, benchSearchDB)
	if err != nil {
		return "", sbCatalog{}, err
	}
	admin, err := pgx.Connect(ctx, o.adminURL)
	if err != nil {
		return "", sbCatalog{}, fmt.Errorf("connect to the admin database: %w", err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, benchSearchDB).Scan(&exists); err != nil {
		return "", sbCatalog{}, fmt.Errorf("look for database %s: %w", benchSearchDB, err)
	}
	want := sbFingerprint(o)
	if exists && !o.regenerate {
		cat, why, err := sbExistingCatalog(ctx, log, dbURL, want, today, o)
		if err != nil {
			return "", sbCatalog{}, err
		}
		if why == "" {
			sbProgress("reusing the catalog in %s (generated %s in %.0fs; --regenerate to build it again)",
				benchSearchDB, cat.GeneratedAt.Format(time.RFC3339), cat.Seconds)
			return dbURL, cat, nil
		}
		sbProgress("regenerating %s: %s", benchSearchDB, why)
	}
	ident := pgx.Identifier{benchSearchDB}.Sanitize()
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return "", sbCatalog{}, fmt.Errorf("drop database %s: %w", benchSearchDB, err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", sbCatalog{}, fmt.Errorf("create database %s: %w", benchSearchDB, err)
	}
	cat, err := sbGenerate(ctx, log, dbURL, o, today, want)
	return dbURL, cat, err
}

// sbExistingCatalog reads the catalog record of the bench database; why says
// what makes it unusable ("" when it can be reused).
func sbExistingCatalog(ctx context.Context, log *slog.Logger, dbURL, fingerprint string, today time.Time, o sbOpts) (sbCatalog, string, error) {
	pool, err := postgres.Connect(ctx, dbURL, postgres.PoolOpts{MaxConns: 2})
	if err != nil {
		return sbCatalog{}, "", err
	}
	defer pool.Close()
	var present bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('bench_catalog') IS NOT NULL`).Scan(&present); err != nil {
		return sbCatalog{}, "", fmt.Errorf("look for the catalog record: %w", err)
	}
	if !present {
		return sbCatalog{}, "it holds no finished catalog", nil
	}
	var raw []byte
	err = pool.QueryRow(ctx, `SELECT report FROM bench_catalog WHERE fingerprint = $1`, fingerprint).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return sbCatalog{}, "its catalog was generated with other settings or another generator", nil
	}
	if err != nil {
		return sbCatalog{}, "", fmt.Errorf("read the catalog record: %w", err)
	}
	var cat sbCatalog
	if err := json.Unmarshal(raw, &cat); err != nil {
		return sbCatalog{}, "", fmt.Errorf("decode the catalog record: %w", err)
	}
	first, err := time.Parse(time.DateOnly, cat.FirstNight)
	if err != nil {
		return sbCatalog{}, "", fmt.Errorf("catalog record: %w", err)
	}
	if last := first.AddDate(0, 0, cat.Nights); last.Before(today.AddDate(0, 0, sbMaxCheckIn(o)+6)) {
		return cat, fmt.Sprintf("its rates end on %s, before the last stay of the workload", last.Format(time.DateOnly)), nil
	}
	// migrated only when kept: a stale catalog is dropped, not migrated
	if err := postgres.Migrate(ctx, pool, log); err != nil {
		return sbCatalog{}, "", err
	}
	cat.Reused = true
	return cat, "", nil
}

// sbGenerate migrates the new bench database and generates the catalog with
// benchdata.sql, step by step on one connection, then VACUUM ANALYZE.
func sbGenerate(ctx context.Context, log *slog.Logger, dbURL string, o sbOpts, today time.Time, fingerprint string) (sbCatalog, error) {
	pool, err := postgres.Connect(ctx, dbURL, postgres.PoolOpts{MaxConns: 2})
	if err != nil {
		return sbCatalog{}, err
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool, log); err != nil {
		return sbCatalog{}, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return sbCatalog{}, fmt.Errorf("acquire a connection: %w", err)
	}
	defer conn.Release()
	first := today.AddDate(0, 0, -1)
	cat := sbCatalog{Fingerprint: fingerprint, FirstNight: first.Format(time.DateOnly), Nights: o.nights, GeneratedAt: time.Now().UTC()}
	sbProgress("generating %d hotels x ~%d room types, %d nights from %s into %s (seed %d)",
		o.hotels, o.roomTypes, o.nights, cat.FirstNight, benchSearchDB, o.seed)
	settings := []string{
		// random() draws are made in scan order; parallel workers would interleave them
		"SET max_parallel_workers_per_gather = 0",
		"SET synchronous_commit = off",
		"SET maintenance_work_mem = '512MB'",
		"SET work_mem = '64MB'",
		fmt.Sprintf("SELECT set_config('benchsearch.hotels', '%d', false), set_config('benchsearch.room_types', '%d', false),"+
			" set_config('benchsearch.nights', '%d', false), set_config('benchsearch.first_night', '%s', false)",
			o.hotels, o.roomTypes, o.nights, cat.FirstNight),
		fmt.Sprintf("SELECT setseed(%v)", sbSetseed(o.seed)),
	}
	for _, s := range settings {
		if _, err := conn.Exec(ctx, s); err != nil {
			return cat, fmt.Errorf("generate catalog: %s: %w", s, err)
		}
	}
	// Skip the foreign-key triggers during the bulk load (the generator keeps
	// every reference valid); needs a superuser, else the load is slower.
	if _, err := conn.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		sbProgress("foreign keys stay checked during the load (%v)", err)
	}
	start := time.Now()
	for _, step := range sbSteps(benchDataSQL) {
		t0 := time.Now()
		if _, err := conn.Exec(ctx, step.sql); err != nil {
			return cat, fmt.Errorf("generate catalog, step %s: %w", step.name, err)
		}
		cat.Steps = append(cat.Steps, sbStep{Name: step.name, Seconds: sbRound(time.Since(t0).Seconds(), 1)})
		sbProgress("  %-14s %6.1fs", step.name, time.Since(t0).Seconds())
	}
	// The load commits asynchronously. VACUUM run that way right after it
	// left most pages not all-visible (a checkpoint first did not change
	// that; synchronous commits do), and index-only scans would then read
	// the tables, where a settled catalog is all-visible (the generator's
	// test checks it).
	for _, s := range []string{"RESET session_replication_role", "SET synchronous_commit = on"} {
		if _, err := conn.Exec(ctx, s); err != nil {
			return cat, fmt.Errorf("generate catalog: %s: %w", s, err)
		}
	}
	t0 := time.Now()
	if _, err := conn.Exec(ctx, "VACUUM (ANALYZE)"); err != nil {
		return cat, fmt.Errorf("vacuum analyze: %w", err)
	}
	cat.Steps = append(cat.Steps, sbStep{Name: "vacuum analyze", Seconds: sbRound(time.Since(t0).Seconds(), 1)})
	sbProgress("  %-14s %6.1fs", "vacuum analyze", time.Since(t0).Seconds())
	cat.Seconds = sbRound(time.Since(start).Seconds(), 1)
	if err := sbCatalogStats(ctx, conn.Conn(), &cat); err != nil {
		return cat, err
	}
	raw, _ := json.Marshal(cat)
	if _, err := conn.Exec(ctx, `CREATE TABLE bench_catalog (fingerprint text PRIMARY KEY, report jsonb NOT NULL)`); err != nil {
		return cat, fmt.Errorf("record the catalog: %w", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO bench_catalog VALUES ($1, $2)`, fingerprint, raw); err != nil {
		return cat, fmt.Errorf("record the catalog: %w", err)
	}
	sbProgress("generated in %.0fs: %s", cat.Seconds, sbRowsLine(cat))
	return cat, nil
}

// sbSetseed maps the seed to setseed's range [-1, 1].
func sbSetseed(seed int64) float64 {
	return float64(seed%1_000_000) / 1_000_000
}

type sbGenStep struct{ name, sql string }

// sbSteps splits benchdata.sql at its "-- step: name" lines.
func sbSteps(script string) []sbGenStep {
	var steps []sbGenStep
	for _, part := range strings.Split(script, "\n-- step: ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		steps = append(steps, sbGenStep{name: strings.TrimSpace(name), sql: body})
	}
	return steps
}

// sbCatalogStats counts what was generated.
func sbCatalogStats(ctx context.Context, conn *pgx.Conn, cat *sbCatalog) error {
	cat.Rows = map[string]int64{}
	for _, t := range []string{"bench_cities", "hotels", "room_types", "rooms", "rate_plans", "nightly_rates", "inventory"} {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", t, err)
		}
		cat.Rows[t] = n
	}
	var soldOut, size int64
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM inventory WHERE reserved = capacity), pg_database_size(current_database())`).
		Scan(&soldOut, &size); err != nil {
		return fmt.Errorf("count sold-out nights: %w", err)
	}
	cat.Rows["sold-out nights"] = soldOut
	cat.SizeMB = size >> 20
	nights := float64(cat.Rows["room_types"]) * float64(cat.Nights)
	cat.Shares = map[string]float64{
		"inventory rows": sbRound(float64(cat.Rows["inventory"])/nights, 3),
		"sold out":       sbRound(float64(soldOut)/nights, 3),
	}
	return nil
}

func sbRowsLine(cat sbCatalog) string {
	r := cat.Rows
	return fmt.Sprintf("%d cities, %d hotels, %d room types, %d rooms, %d rate plans, %d nightly rates, %d inventory rows (%.1f%% of room-type nights; %.1f%% sold out), %d MB",
		r["bench_cities"], r["hotels"], r["room_types"], r["rooms"], r["rate_plans"], r["nightly_rates"], r["inventory"],
		100*cat.Shares["inventory rows"], 100*cat.Shares["sold out"], cat.SizeMB)
}

// sbDatabaseURL is adminURL pointing at database name.
func sbDatabaseURL(adminURL, name string) (string, error) {
	if u, err := url.Parse(adminURL); (err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql")) || strings.Contains(adminURL, "=") {
		return postgres.WithDatabase(adminURL, name), nil
	}
	return "", fmt.Errorf("--database-url %q is neither a postgres:// URL nor key=value settings", adminURL)
}

// sbPrewarm reads the catalog's tables and indexes (the search's working
// set) through the OS cache, so that the first part does not pay for a cold
// cache the next ones do not: the bench measures a server in its steady state.
func sbPrewarm(ctx context.Context, pool *pgxpool.Pool) string {
	t0 := time.Now()
	if _, err := pool.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_prewarm"); err != nil {
		sbProgress("no prewarm: %v", err)
		return "skipped: " + err.Error()
	}
	var blocks int64
	err := pool.QueryRow(ctx, `
		SELECT coalesce(sum(pg_prewarm(c.oid, 'read')), 0) FROM pg_class c
		WHERE c.oid IN (SELECT t::regclass FROM unnest($1::text[]) t)
		   OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT t::regclass FROM unnest($1::text[]) t))`,
		[]string{"hotels", "room_types", "rooms", "rate_plans", "nightly_rates", "inventory", "exchange_rates"}).Scan(&blocks)
	if err != nil {
		sbProgress("no prewarm: %v", err)
		return "failed: " + err.Error()
	}
	s := fmt.Sprintf("pg_prewarm read %d MB of tables and indexes in %.0fs", blocks*8/1024, time.Since(t0).Seconds())
	sbProgress("%s", s)
	return s
}

// ---------------------------------------------------------------- workload

// sbAmenityFilters are the amenities travellers filter on, most asked first.
var sbAmenityFilters = []string{"free_wifi", "parking", "pool", "breakfast", "air_conditioning", "gym",
	"pet_friendly", "family_rooms", "restaurant", "spa", "beach", "airport_shuttle"}

// sbQuery is one search of the workload.
type sbQuery struct {
	City              string
	Lat, Lon, Radius  float64 // radius in km
	CheckIn, CheckOut time.Time
	Rooms             int // of 2 adults each
	Amenities         []string
	body              []byte // the GraphQL request
}

// query is the search the API makes of it.
func (q sbQuery) query() search.Query {
	ci, co := q.CheckIn, q.CheckOut
	sq := search.Query{Near: &search.Circle{Lat: q.Lat, Lon: q.Lon, RadiusKm: q.Radius}, CheckIn: &ci, CheckOut: &co,
		Amenities: slices.Clone(q.Amenities), First: 20}
	for range q.Rooms {
		sq.Rooms = append(sq.Rooms, search.Party{Adults: 2})
	}
	return sq
}

// sbWork is the workload: the queries and what the API answered.
type sbWork struct {
	queries []sbQuery
	mu      sync.Mutex
	totals  []int // totalCount per answered query (part A)
	hits    []int
}

func (w *sbWork) note(total, hits int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.totals = append(w.totals, total)
	w.hits = append(w.hits, hits)
}

func (w *sbWork) stats() (avgTotal, avgHits, empty float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.totals) == 0 {
		return 0, 0, 0
	}
	var t, h, e int
	for i := range w.totals {
		t += w.totals[i]
		h += w.hits[i]
		if w.totals[i] == 0 {
			e++
		}
	}
	n := float64(len(w.totals))
	return sbRound(float64(t)/n, 1), sbRound(float64(h)/n, 1), sbRound(float64(e)/n, 3)
}

func (w *sbWork) describe(o sbOpts) sbWorkload {
	return sbWorkload{Queries: len(w.queries), Description: fmt.Sprintf(
		"near a city centre (cities weighted as hotels are) within 10-50 km, check-in 10-%d days ahead for 1-5 nights, "+
			"1-2 rooms of 2 adults, 0-2 amenities, sort DISTANCE, first 20, facets; seed %d", sbMaxCheckIn(o), o.seed)}
}

// sbNewWorkload draws the queries from the seed and the generated cities and
// stores their engine parameters in bench_queries for pgbench.
func sbNewWorkload(ctx context.Context, pool *pgxpool.Pool, o sbOpts, today time.Time) (*sbWork, error) {
	type city struct {
		name          string
		lat, lon      float64
		weight, total int
	}
	var cities []city
	rows, err := pool.Query(ctx, `SELECT name, lat, lon, weight FROM bench_cities ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read cities: %w", err)
	}
	total := 0
	for rows.Next() {
		var c city
		if err := rows.Scan(&c.name, &c.lat, &c.lon, &c.weight); err != nil {
			return nil, fmt.Errorf("read cities: %w", err)
		}
		total += c.weight
		c.total = total
		cities = append(cities, c)
	}
	if err := rows.Err(); err != nil || len(cities) == 0 {
		return nil, fmt.Errorf("read cities: %d found, %v", len(cities), err)
	}
	rng := mrand.New(mrand.NewPCG(uint64(o.seed), 0x5ea7c4))
	w := &sbWork{}
	maxCI := sbMaxCheckIn(o)
	for range o.queries {
		pick := rng.IntN(total)
		c := cities[slices.IndexFunc(cities, func(c city) bool { return pick < c.total })]
		q := sbQuery{City: c.name, Lat: c.lat, Lon: c.lon, Radius: float64(10 + rng.IntN(41)),
			Rooms: 1 + rng.IntN(2)}
		q.CheckIn = today.AddDate(0, 0, 10+rng.IntN(maxCI-9))
		q.CheckOut = q.CheckIn.AddDate(0, 0, 1+rng.IntN(5))
		for n := rng.IntN(3); len(q.Amenities) < n; {
			if a := sbAmenityFilters[rng.IntN(len(sbAmenityFilters))]; !slices.Contains(q.Amenities, a) {
				q.Amenities = append(q.Amenities, a)
			}
		}
		rooms := make([]map[string]any, q.Rooms)
		for i := range rooms {
			rooms[i] = map[string]any{"adults": 2}
		}
		input := map[string]any{"near": map[string]any{"lat": q.Lat, "lon": q.Lon, "radiusKm": q.Radius},
			"checkIn": q.CheckIn.Format(time.DateOnly), "checkOut": q.CheckOut.Format(time.DateOnly), "rooms": rooms}
		if len(q.Amenities) > 0 {
			input["amenities"] = q.Amenities
		}
		q.body, err = json.Marshal(map[string]any{"query": sbGraphQL(o.fields), "variables": map[string]any{"input": input, "first": 20}})
		if err != nil {
			return nil, err
		}
		w.queries = append(w.queries, q)
	}
	return w, sbStoreParams(ctx, pool, w.queries)
}

// sbGraphQL is the searchHotels operation. "full" also names the hotel, room
// types and rate plans, as a results page does.
func sbGraphQL(fields string) string {
	hotel, roomType, ratePlan := "hotel { id name starRating }", "roomType { id name maxOccupancy }", "ratePlan { id name }"
	if fields == "engine" {
		hotel, roomType, ratePlan = "", "", ""
	}
	return `query Search($input: HotelSearchInput!, $first: Int) {
  searchHotels(input: $input, first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { ` + hotel + ` distanceKm lowestTotal { amount currency } checkIn checkOut
      roomTypes { ` + roomType + ` ` + ratePlan + ` total { amount currency } unitsLeft } } }
    facets { amenities { value count } stars { value count } prices { from { amount currency } to { amount } count } }
  }
}`
}

// sbParamColumns are the engine's parameters (search.sql's $n) that
// bench_queries holds, in the order postgres.Engine binds them; the others
// are NULL for every query of this workload (no text, box, arrival instant,
// price range or cursor) and are given to pgbench as typed NULLs.
var (
	sbParamColumns = map[int]string{1: "text", 2: "float8", 3: "float8", 4: "float8", 9: "date", 10: "date",
		13: "int", 14: "int", 15: "int", 16: "int", 17: "text[]", 18: "int", 21: "text", 23: "text", 26: "int", 27: "bigint[]", 28: "bool"}
	sbNullParams = map[int]string{5: "float8", 6: "float8", 7: "float8", 8: "float8", 11: "timestamptz", 12: "int",
		19: "bigint", 20: "bigint", 24: "float8", 25: "uuid"}
)

// sbStoreParams writes what postgres.Engine binds for each query (after
// search.Query.Normalize, as the router does) into bench_queries.
func sbStoreParams(ctx context.Context, pool *pgxpool.Pool, queries []sbQuery) error {
	var cols []string
	for n := 1; n <= 28; n++ {
		if t, ok := sbParamColumns[n]; ok {
			cols = append(cols, fmt.Sprintf("p%d %s", n, t))
		}
	}
	ddl := "DROP TABLE IF EXISTS bench_queries; CREATE TABLE bench_queries (id int PRIMARY KEY, " + strings.Join(cols, ", ") + ")"
	if _, err := pool.Exec(ctx, ddl); err != nil {
		return fmt.Errorf("create bench_queries: %w", err)
	}
	names := []string{"id"}
	for n := 1; n <= 28; n++ {
		if _, ok := sbParamColumns[n]; ok {
			names = append(names, fmt.Sprintf("p%d", n))
		}
	}
	edges := search.PriceEdges(search.DefaultCurrency, 0) // what postgres.Engine binds; the statement scales them
	rows := make([][]any, len(queries))
	for i, sq := range queries {
		q := sq.query()
		if err := q.Normalize(); err != nil {
			return fmt.Errorf("query %d: %w", i+1, err)
		}
		if q.Text != "" || q.Within != nil || q.ArrivingAt != nil || q.Price != nil || q.After != "" {
			return fmt.Errorf("query %d has parameters bench_queries does not hold", i+1)
		}
		adults, children, people := q.PartyBounds()
		rows[i] = []any{i + 1, q.Text, q.Near.Lat, q.Near.Lon, q.Near.RadiusKm * 1000, *q.CheckIn, *q.CheckOut,
			q.RoomCount(), adults, children, people, q.Amenities, q.MinStars, q.PriceCurrency(), string(q.Sort), q.First + 1, edges,
			q.HasDates() || len(q.Rooms) > 0}
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"bench_queries"}, names, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("fill bench_queries: %w", err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE bench_queries"); err != nil {
		return fmt.Errorf("analyze bench_queries: %w", err)
	}
	return nil
}

// ---------------------------------------------------------------- part A

// sbBenchAPI is part A: the real API serves --clients clients that post
// searchHotels with queries drawn from the workload.
func sbBenchAPI(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool, o sbOpts, work *sbWork) (*sbRun, error) {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	sf := newFlags("bench search api")
	s := addServerFlags(sf)
	if err := sf.parse([]string{"--addr", "127.0.0.1:0", "--rate-limits", "off", "--db-max-conns", strconv.Itoa(o.maxConns),
		"--search-concurrency", strconv.Itoa(o.searchConcurrency)}); err != nil {
		return nil, err
	}
	endpoint, stopAPI, err := startBenchAPI(ctx, log, pool, s, secret)
	if err != nil {
		return nil, err
	}
	defer stopAPI()
	client := benchClient(o.clients)
	tokens := make([]string, o.clients)
	for c := range tokens {
		if tokens[c], err = auth.Mint(secret, auth.MintOpts{Role: auth.RoleGuest, Subject: fmt.Sprint("bench-search-", c), TTL: time.Hour}); err != nil {
			return nil, err
		}
	}
	sbProgress("part A: searchHotels over HTTP, %d clients, %s warm-up + %s", o.clients, o.warmup, o.duration)
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	res := sbLoad(ctx, o, pool, func(c int, rng *mrand.Rand) error {
		q := work.queries[rng.IntN(len(work.queries))]
		total, hits, err := sbPostSearch(client, endpoint, tokens[c], q.body)
		if err == nil {
			work.note(total, hits)
		}
		return err
	})
	res.Setup = fmt.Sprintf("%d clients, GUEST bearer tokens, --rate-limits off, --fields %s, pool of %d connections, %d searches at once",
		o.clients, o.fields, o.maxConns, o.searchConcurrency)
	return res, nil
}

// sbPostSearch posts one search and reports its totalCount and hits on the
// page; any GraphQL error or non-200 answer is an error. It scans the answer
// rather than decoding it, to leave the CPU to the API.
func sbPostSearch(client *http.Client, endpoint, token string, body []byte) (total, hits int, err error) {
	req, _ := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, 0, err
	}
	const totalKey = `"totalCount":`
	at := bytes.Index(raw, []byte(totalKey))
	if res.StatusCode != http.StatusOK || at < 0 || bytes.Contains(raw, []byte(`"errors":`)) {
		return 0, 0, fmt.Errorf("HTTP %d: %.300s", res.StatusCode, raw)
	}
	digits := raw[at+len(totalKey):]
	if end := bytes.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); end >= 0 {
		digits = digits[:end]
	}
	if total, err = strconv.Atoi(string(digits)); err != nil {
		return 0, 0, fmt.Errorf("totalCount: %w: %.300s", err, raw)
	}
	return total, bytes.Count(raw, []byte(`"cursor":`)), nil
}

// sbLoad runs call from o.clients goroutines for o.warmup+o.duration and
// records the calls started after the warm-up.
func sbLoad(ctx context.Context, o sbOpts, pool *pgxpool.Pool, call func(client int, rng *mrand.Rand) error) *sbRun {
	rec := &sbRecorder{}
	begin := time.Now()
	measureFrom, deadline := begin.Add(o.warmup), begin.Add(o.warmup+o.duration)
	var cpu0 cpuSample
	var pg0 map[int]uint64
	time.AfterFunc(o.warmup, func() {
		pg := sbBackendTicks(ctx, pool, "")
		rec.mu.Lock()
		cpu0, pg0 = sampleCPU(), pg
		rec.mu.Unlock()
	})
	var wg sync.WaitGroup
	for c := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(uint64(o.seed), uint64(c)))
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				err := call(c, rng)
				if !t0.Before(measureFrom) {
					rec.add(t0, time.Since(t0), err)
				}
			}
		}()
	}
	wg.Wait()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	res := rec.result(measureFrom)
	cpu1 := sampleCPU()
	res.CPU = sbCPUShare(cpu0, cpu1, true)
	if res.Count > 0 && cpu1.self > cpu0.self {
		// /proc counts clock ticks of 10 ms (USER_HZ is 100 on Linux)
		res.CPU += fmt.Sprintf("; per search: %.1f ms CPU of this process", float64(cpu1.self-cpu0.self)*10/float64(res.Count))
		if ticks, ok := sbTicksSince(pg0, sbBackendTicks(ctx, pool, "")); ok {
			res.CPU += fmt.Sprintf(", %.1f ms of PostgreSQL's", float64(ticks)*10/float64(res.Count))
		}
	}
	return res
}

// sbRecorder collects latencies and errors from many goroutines.
type sbRecorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	errors    int
	example   string
	last      time.Time
}

func (r *sbRecorder) add(start time.Time, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latencies = append(r.latencies, d)
	if err != nil {
		r.errors++
		if r.example == "" {
			r.example = err.Error()
		}
	}
	if end := start.Add(d); end.After(r.last) {
		r.last = end
	}
}

// result summarises the calls recorded since from; r.mu is held.
func (r *sbRecorder) result(from time.Time) *sbRun {
	secs := r.last.Sub(from).Seconds()
	res := sbSummarise(r.latencies, secs)
	res.Errors, res.Example = r.errors, r.example
	return res
}

// sbSummarise gives count, throughput and latency percentiles of calls made
// over secs seconds.
func sbSummarise(latencies []time.Duration, secs float64) *sbRun {
	slices.Sort(latencies)
	res := &sbRun{Count: len(latencies), Seconds: sbRound(secs, 2), LatencyMS: map[string]float64{}}
	if secs > 0 {
		res.PerSecond = sbRound(float64(res.Count)/secs, 1)
	}
	var sum time.Duration
	for _, d := range latencies {
		sum += d
	}
	if len(latencies) > 0 {
		res.LatencyMS["avg"] = sbRound(float64(sum.Microseconds())/float64(len(latencies))/1000, 1)
	}
	for name, q := range map[string]float64{"p50": 0.50, "p90": 0.90, "p99": 0.99, "max": 1} {
		res.LatencyMS[name] = sbPercentileMS(latencies, q)
	}
	return res
}

// sbPercentileMS is the nearest-rank q-quantile of sorted, in milliseconds.
func sbPercentileMS(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := max(0, int(math.Ceil(q*float64(len(sorted))))-1)
	return sbRound(float64(sorted[i].Microseconds())/1000, 1)
}

// ---------------------------------------------------------------- part B

// sbBenchPgbench is part B: pgbench runs search.sql with -M prepared, each
// transaction reading one query's parameters from bench_queries with \gset
// first (pgbench variables cannot hold arrays, dates or NULLs otherwise).
func sbBenchPgbench(ctx context.Context, pool *pgxpool.Pool, dbURL string, o sbOpts, work *sbWork) *sbRun {
	res := &sbRun{LatencyMS: map[string]float64{}}
	bin, err := exec.LookPath("pgbench")
	if found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench"); err != nil && len(found) > 0 {
		bin, err = found[len(found)-1], nil
	}
	if err != nil {
		res.Note = "skipped: pgbench is neither on PATH nor in /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql-client)"
		return res
	}
	dir, err := os.MkdirTemp("", "staygraph-benchsearch-")
	if err != nil {
		res.Note = "skipped: " + err.Error()
		return res
	}
	defer os.RemoveAll(dir)
	lookup, script := sbPgbenchScripts(len(work.queries))
	searchFile, lookupFile := filepath.Join(dir, "search.sql"), filepath.Join(dir, "lookup.sql")
	if err := os.WriteFile(searchFile, []byte(script), 0o644); err != nil {
		res.Note = "skipped: " + err.Error()
		return res
	}
	if err := os.WriteFile(lookupFile, []byte(lookup), 0o644); err != nil {
		res.Note = "skipped: " + err.Error()
		return res
	}
	secs := func(d time.Duration) string { return strconv.Itoa(max(1, int(d.Round(time.Second).Seconds()))) }
	base := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(o.clients), "-j", strconv.Itoa(o.pgbenchJobs)}
	run := func(file string, d time.Duration, extra ...string) ([]byte, error) {
		args := append(append(slices.Clone(base), "-T", secs(d), "-f", file), extra...)
		cmd := exec.CommandContext(ctx, bin, append(args, dbURL)...)
		cmd.Dir = dir
		// the engine runs its statement with generic plans
		cmd.Env = append(os.Environ(), "PGOPTIONS=-c plan_cache_mode=force_generic_plan")
		return cmd.CombinedOutput()
	}
	sbProgress("part B: pgbench -M prepared, %d clients, %s warm-up + %s", o.clients, o.warmup, o.duration)
	if o.warmup > 0 {
		if out, err := run(searchFile, o.warmup); err != nil {
			res.Note = fmt.Sprintf("pgbench (warm-up) failed: %v: %s", err, sbTail(out))
			res.Errors = 1
			return res
		}
	}
	cpu0 := sampleCPU()
	pgTicks := sbPollBackends(ctx, pool, "pgbench")
	out, err := run(searchFile, o.duration, "-l", "--log-prefix", filepath.Join(dir, "tx"))
	cpu1 := sampleCPU()
	ticks, pgOK := pgTicks()
	if err != nil {
		res.Note = fmt.Sprintf("pgbench failed: %v: %s", err, sbTail(out))
		res.Errors = 1
		return res
	}
	tps, avg, failed := sbParsePgbench(out)
	lat, bad, err := sbReadPgbenchLogs(dir, "tx")
	if err != nil {
		res.Note = err.Error()
		res.Errors = 1
		return res
	}
	res = sbSummarise(lat, o.duration.Seconds())
	res.PerSecond = sbRound(tps, 1) // pgbench's own figure: without the time to connect
	res.LatencyMS["avg"] = avg
	res.Errors = failed + bad
	res.CPU = sbCPUShare(cpu0, cpu1, false)
	if pgOK && res.Count > 0 {
		res.CPU += fmt.Sprintf("; per search: %.1f ms CPU of PostgreSQL (sampled every 0.5s)", float64(ticks)*10/float64(res.Count))
	}
	res.Setup = fmt.Sprintf("pgbench %s -T %s -f <search.sql with \\gset of one of %d queries>", strings.Join(base, " "), secs(o.duration), len(work.queries))
	// What the \gset lookup alone costs, to judge its share of B.
	if out, err := run(lookupFile, 5*time.Second); err == nil {
		ltps, lavg, _ := sbParsePgbench(out)
		res.Note = fmt.Sprintf("the \\gset lookup alone: %.0f tps, %.2f ms average", ltps, lavg)
	}
	return res
}

var sbParamRE = regexp.MustCompile(`\$(\d+)`)

// sbPgbenchScripts are the pgbench scripts: lookup reads one query's
// parameters; search is lookup with \gset followed by search.sql, its $n
// replaced by those variables (or typed NULLs) and its comments removed.
func sbPgbenchScripts(queries int) (lookup, script string) {
	var cols []string
	for n := 1; n <= 28; n++ {
		if _, ok := sbParamColumns[n]; ok {
			cols = append(cols, fmt.Sprintf("p%d", n))
		}
		if n == 22 {
			cols = append(cols, "now() AS p22")
		}
	}
	sel := fmt.Sprintf("\\set q random(1, %d)\nSELECT %s FROM bench_queries WHERE id = :q", queries, strings.Join(cols, ", "))
	var lines []string
	// the statement for a search without text, as every query of the
	// workload is (sbStoreParams refuses others)
	for _, line := range strings.Split(searchpg.SQL(search.Query{}), "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) != "" {
			lines = append(lines, line)
		}
	}
	body := sbParamRE.ReplaceAllStringFunc(strings.Join(lines, "\n"), func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		if t, ok := sbNullParams[n]; ok {
			return "NULL::" + t
		}
		return fmt.Sprintf(":p%d", n)
	})
	return sel + ";\n", sel + " \\gset\n" + body + "\n"
}

var (
	sbTPSRE     = regexp.MustCompile(`tps = ([0-9.]+)`)
	sbAvgRE     = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
	sbFailedRE  = regexp.MustCompile(`number of failed transactions: (\d+)`)
	sbTxCountRE = regexp.MustCompile(`number of transactions actually processed: (\d+)`)
)

// sbParsePgbench reads tps (the last line: without connection time), the
// average latency and the failed transactions from pgbench's report.
func sbParsePgbench(out []byte) (tps, avgMS float64, failed int) {
	if m := sbTPSRE.FindAllSubmatch(out, -1); m != nil {
		tps, _ = strconv.ParseFloat(string(m[len(m)-1][1]), 64)
	}
	if m := sbAvgRE.FindSubmatch(out); m != nil {
		avgMS, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	if m := sbFailedRE.FindSubmatch(out); m != nil {
		failed, _ = strconv.Atoi(string(m[1]))
	}
	if sbTxCountRE.Find(out) == nil {
		failed++
	}
	return tps, avgMS, failed
}

// sbReadPgbenchLogs reads the per-transaction logs of pgbench -l (one file
// per thread): "client tx latency_us script epoch us"; a latency that is not
// a number (failed, skipped) counts as bad.
func sbReadPgbenchLogs(dir, prefix string) ([]time.Duration, int, error) {
	files, _ := filepath.Glob(filepath.Join(dir, prefix+".*"))
	if len(files) == 0 {
		return nil, 0, errors.New("pgbench wrote no transaction log")
	}
	var lat []time.Duration
	bad := 0
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, 0, fmt.Errorf("read pgbench log: %w", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			us, err := strconv.ParseInt(fields[2], 10, 64)
			if err != nil {
				bad++
				continue
			}
			lat = append(lat, time.Duration(us)*time.Microsecond)
		}
		f.Close()
	}
	return lat, bad, nil
}

func sbTail(out []byte) string {
	out = bytes.TrimSpace(out)
	if len(out) > 600 {
		out = out[len(out)-600:]
	}
	return string(out)
}

// ---------------------------------------------------------------- part C

// sbBenchEngine is part C: the search router over the postgres engine, as the
// API wires it, called from --clients goroutines.
func sbBenchEngine(ctx context.Context, pool *pgxpool.Pool, o sbOpts, work *sbWork) *sbRun {
	eng := searchpg.NewEngine(pool, searchpg.Opts{MaxConcurrent: o.searchConcurrency})
	router := search.NewRouter(search.RouterOpts{Primary: eng, Fallback: eng})
	sbProgress("part C: the engine in-process, %d goroutines, %s warm-up + %s", o.clients, o.warmup, o.duration)
	res := sbLoad(ctx, o, pool, func(_ int, rng *mrand.Rand) error {
		_, err := router.Search(ctx, work.queries[rng.IntN(len(work.queries))].query())
		return err
	})
	res.Setup = fmt.Sprintf("%d goroutines calling search.Router.Search (postgres engine), pool of %d connections, %d searches at once",
		o.clients, o.maxConns, o.searchConcurrency)
	return res
}

// ---------------------------------------------------------------- machine

// sbCPUShare describes how busy the machine was between two samples and,
// when self, this process's share of it.
func sbCPUShare(a, b cpuSample, self bool) string {
	if b.total <= a.total {
		return ""
	}
	total := float64(b.total - a.total)
	s := fmt.Sprintf("machine %.0f%% busy", 100*(1-float64(b.idle-a.idle)/total))
	if self {
		s += fmt.Sprintf(", this process (API or engine, and the load) %.0f%% of all CPU time", 100*float64(b.self-a.self)/total)
	}
	return s
}

// sbBackendTicks reads the CPU clock ticks (user + system) of the server
// processes connected to the bench database, by pid, from /proc: nil when
// the server runs elsewhere. application, when set, keeps only those sessions.
func sbBackendTicks(ctx context.Context, pool *pgxpool.Pool, application string) map[int]uint64 {
	rows, err := pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
		AND backend_type = 'client backend' AND ($1 = '' OR application_name = $1)`, application)
	if err != nil {
		return nil
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil
	}
	ticks := map[int]uint64{}
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || !bytes.Contains(b, []byte("(postgres)")) {
			continue // another machine's pid, or gone
		}
		if f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(f) > 12 {
			u, _ := strconv.ParseUint(f[11], 10, 64)
			s, _ := strconv.ParseUint(f[12], 10, 64)
			ticks[int(pid)] = u + s
		}
	}
	if len(ticks) == 0 {
		return nil
	}
	return ticks
}

// sbTicksSince is the CPU the backends used between two samples; a backend
// first seen in the second sample counts whole.
func sbTicksSince(before, after map[int]uint64) (uint64, bool) {
	if before == nil || after == nil {
		return 0, false
	}
	var sum uint64
	for pid, t := range after {
		if t >= before[pid] {
			sum += t - before[pid]
		}
	}
	return sum, true
}

// sbPollBackends samples the ticks of the sessions named application every
// half second until the returned func is called, which reports the CPU they
// used (from the first to the last sample of each: a session's last half
// second may be missed).
func sbPollBackends(ctx context.Context, pool *pgxpool.Pool, application string) func() (uint64, bool) {
	first, last := map[int]uint64{}, map[int]uint64{}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			for pid, v := range sbBackendTicks(ctx, pool, application) {
				if _, ok := first[pid]; !ok {
					first[pid] = v
				}
				last[pid] = v
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, bool) {
		close(stop)
		<-done
		if len(last) == 0 {
			return 0, false
		}
		return sbTicksSince(first, last)
	}
}

// sbMachineFacts describes where the figures were measured.
func sbMachineFacts(ctx context.Context, pool *pgxpool.Pool) map[string]string {
	facts := map[string]string{"cpus": strconv.Itoa(runtime.NumCPU()), "go": runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		"loadavg at start": sbLoadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`model name\s*: (.*)`).FindSubmatch(b); m != nil {
			facts["cpu"] = string(m[1])
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if m := regexp.MustCompile(`MemTotal:\s*(\d+) kB`).FindSubmatch(b); m != nil {
			kb, _ := strconv.ParseFloat(string(m[1]), 64)
			facts["memory"] = fmt.Sprintf("%.1f GiB", kb/(1<<20))
		}
	}
	var version, settings string
	if err := pool.QueryRow(ctx, `SELECT version(), concat_ws(' ', 'shared_buffers=' || current_setting('shared_buffers'),
		'work_mem=' || current_setting('work_mem'), 'effective_cache_size=' || current_setting('effective_cache_size'),
		'jit=' || current_setting('jit'), 'max_connections=' || current_setting('max_connections'))`).Scan(&version, &settings); err == nil {
		facts["postgres"], facts["postgres settings"] = version, settings
	}
	return facts
}

func sbLoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

func sbRound(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// ---------------------------------------------------------------- report

// sbPrintReport writes the report as a compact table.
func sbPrintReport(w io.Writer, r sbReport) {
	m := r.Machine
	fmt.Fprintf(w, "staygraph bench search\n\nmachine   %s CPUs (%s), %s, %s; load average %s at start, %s at end\npostgres  %s\n          %s; the search statement runs with generic plans (plan_cache_mode force_generic_plan)\n",
		m["cpus"], m["cpu"], m["memory"], m["go"], m["loadavg at start"], m["loadavg at end"], m["postgres"], m["postgres settings"])
	if m["prewarm"] != "" {
		fmt.Fprintf(w, "cache     %s\n", m["prewarm"])
	}
	c := r.Catalog
	how := fmt.Sprintf("generated in %.0fs", c.Seconds)
	if c.Reused {
		how = fmt.Sprintf("reused (generated %s in %.0fs)", c.GeneratedAt.Format(time.DateOnly), c.Seconds)
	}
	var steps []string
	for _, s := range c.Steps {
		steps = append(steps, fmt.Sprintf("%s %.0fs", s.Name, s.Seconds))
	}
	fmt.Fprintf(w, "catalog   %s\n          %s, %d nights from %s\n          %s\n", sbRowsLine(c), how, c.Nights, c.FirstNight, strings.Join(steps, ", "))
	fmt.Fprintf(w, "workload  %d queries: %s\n", r.Workload.Queries, r.Workload.Description)
	if r.Workload.AvgTotal > 0 || r.Workload.Empty > 0 {
		fmt.Fprintf(w, "          answers (part A): %.0f hotels match on average, %.1f on the page, %.1f%% match none\n",
			r.Workload.AvgTotal, r.Workload.AvgHits, 100*r.Workload.Empty)
	}
	part := func(title string, res *sbRun) {
		if res == nil {
			return
		}
		fmt.Fprintf(w, "\n%s\n", title)
		if res.Setup != "" {
			fmt.Fprintf(w, "  setup       %s\n", res.Setup)
		}
		if res.Count > 0 {
			l := res.LatencyMS
			fmt.Fprintf(w, "  searches    %d in %.1fs = %.1f/s, %d errors\n  latency     avg %.1f ms  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n",
				res.Count, res.Seconds, res.PerSecond, res.Errors, l["avg"], l["p50"], l["p90"], l["p99"], l["max"])
		}
		if res.CPU != "" {
			fmt.Fprintf(w, "  cpu         %s\n", res.CPU)
		}
		if res.Example != "" {
			fmt.Fprintf(w, "  e.g. error  %.300s\n", res.Example)
		}
		if res.Note != "" {
			fmt.Fprintf(w, "  note        %s\n", res.Note)
		}
	}
	part("A  searchHotels over HTTP (the API in-process)", r.API)
	part("B  the engine's SQL, pgbench -M prepared (baseline)", r.SQL)
	part("C  the engine in-process (router + postgres engine, no HTTP/GraphQL)", r.Engine)
	fmt.Fprintf(w, "\ntargets\n")
	p99 := r.API.LatencyMS["p99"]
	// A run with failed searches measured something else: no verdict.
	clean := r.API.Errors == 0 && (r.SQL == nil || r.SQL.Errors == 0)
	fmt.Fprintf(w, "  API p99 under 50 ms:               %.1f ms  %s\n", p99, sbVerdict(p99 < 50, clean))
	if r.SQL != nil && r.SQL.PerSecond > 0 {
		fmt.Fprintf(w, "  API throughput >= 0.5 x raw SQL:   %.1f / %.1f = %.2f  %s\n", r.API.PerSecond, r.SQL.PerSecond, r.Ratio, sbVerdict(r.Ratio >= 0.5, clean))
	}
}

func sbVerdict(ok, clean bool) string {
	switch {
	case !clean:
		return "NOT MEASURED (searches failed)"
	case ok:
		return "met"
	}
	return "MISSED"
}
