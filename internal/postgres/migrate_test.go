package postgres_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// Several processes starting at once must apply each migration exactly once.
func TestConcurrentMigrateAppliesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("staygraph_migrate_%d", rand.Int64())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	url := postgres.WithDatabase(pgtest.ServerURL(), name)

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := postgres.Connect(ctx, url, postgres.PoolOpts{MaxConns: 2})
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			errs[i] = postgres.Migrate(ctx, pool, log)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent migrate: %v", err)
		}
	}
	pool, err := postgres.Connect(ctx, url, postgres.PoolOpts{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	current, latest, err := postgres.SchemaVersion(ctx, pool)
	if err != nil || current != latest || current == 0 {
		t.Fatalf("schema version %d of %d (%v)", current, latest, err)
	}
	var applied, distinct int
	if err := pool.QueryRow(ctx, "SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0").Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	known, err := postgres.MigrationCount(pool)
	if err != nil {
		t.Fatal(err)
	}
	if applied != distinct || applied != known {
		t.Fatalf("applied %d rows for %d versions, %d migrations known (latest %d)", applied, distinct, known, latest)
	}
	// Every mutable catalog table carries a version column.
	for _, table := range []string{"hotels", "room_types", "rooms", "rate_plans", "nightly_rates", "api_keys"} {
		var ok bool
		if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = 'version')", table).Scan(&ok); err != nil || !ok {
			t.Errorf("table %s has no version column", table)
		}
	}
}

// A hotel saved in CET, EET, MET or WET before the catalog refused those
// names (PostgreSQL reads them as fixed offsets) names the zone they link
// to, so that search keeps its summer time as booking does.
func TestHotelsInZonesPostgreSQLReadsAsOffsetsAreMoved(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := postgres.MigrateWith(ctx, pool, log, postgres.MigrateOpts{To: 36}); err != nil {
		t.Fatal(err)
	}
	zones := map[string]string{"CET": "Europe/Brussels", "EET": "Europe/Athens", "MET": "Europe/Brussels", "WET": "Europe/Lisbon",
		"Europe/Paris": "Europe/Paris", "UTC": "UTC"}
	for old := range zones {
		if _, err := pool.Exec(ctx, `INSERT INTO hotels (id, name, time_zone, latitude, longitude, address_line1, city, country_code, currency, star_rating)
			VALUES (gen_random_uuid(), $1, $1, 50, 4, '1 Rue', 'Ville', 'BE', 'EUR', 3)`, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := postgres.Migrate(ctx, pool, log); err != nil {
		t.Fatal(err)
	}
	summer := time.Date(2027, 7, 15, 4, 30, 0, 0, time.UTC)
	for old, want := range zones {
		var zone string
		var local time.Time
		if err := pool.QueryRow(ctx, `SELECT time_zone, $2::timestamptz AT TIME ZONE time_zone FROM hotels WHERE name = $1`, old, summer).Scan(&zone, &local); err != nil {
			t.Fatal(err)
		}
		loc, err := time.LoadLocation(old)
		if err != nil {
			t.Fatal(err)
		}
		if zone != want || local.Format(time.DateTime) != summer.In(loc).Format(time.DateTime) {
			t.Errorf("a hotel in %s is in %s after migrating (want %s), its local time %s (want %s)", old, zone, want,
				local.Format(time.DateTime), summer.In(loc).Format(time.DateTime))
		}
	}
}

// On a large database an operator builds a migration's indexes beforehand
// without blocking writes (CREATE INDEX CONCURRENTLY, docs/operations.md);
// the migrations that index big tables then find them there.
func TestIndexesBuiltAheadAreFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	create := regexp.MustCompile(`(?s)CREATE INDEX IF NOT EXISTS (\w+ ON [^;]+);`)
	for _, version := range []int64{22, 31, 32, 34} {
		files, err := filepath.Glob(fmt.Sprintf("migrations/%05d_*.sql", version))
		if err != nil || len(files) != 1 {
			t.Fatalf("migration %d: %v %v", version, files, err)
		}
		text, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(text), "-- +goose Down")
		builds := create.FindAllStringSubmatch(up, -1)
		if len(builds) == 0 || strings.Count(up, "CREATE INDEX") != len(builds) {
			t.Fatalf("migration %d builds indexes that are not IF NOT EXISTS", version)
		}
		pool := pgtest.NewDB(t)
		if err := postgres.MigrateWith(ctx, pool, log, postgres.MigrateOpts{To: version - 1}); err != nil {
			t.Fatal(err)
		}
		for _, b := range builds {
			if _, err := pool.Exec(ctx, "CREATE INDEX CONCURRENTLY "+b[1]); err != nil {
				t.Fatalf("migration %d, built ahead: %v", version, err)
			}
		}
		if err := postgres.MigrateWith(ctx, pool, log, postgres.MigrateOpts{To: version}); err != nil {
			t.Errorf("migration %d with its indexes built ahead: %v", version, err)
		}
	}
}
