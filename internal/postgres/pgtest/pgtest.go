// Package pgtest gives each test its own freshly migrated PostgreSQL database,
// cloned from a template built once per schema version.
//
// The server is STAYGRAPH_TEST_DATABASE_URL when set; else the PostgreSQL at
// 127.0.0.1:5432 when it answers; else a private cluster that pgtest starts
// from the installed PostgreSQL binaries in $TMPDIR/staygraph-test-postgres
// (port 54330) and leaves running for the next test run. Tests never mock
// the database.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/devserver"
)

// DefaultURL is the server used when STAYGRAPH_TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

var (
	serverOnce sync.Once
	serverURL  string
)

// ServerURL is the admin connection string of the test server.
func ServerURL() string {
	serverOnce.Do(func() { serverURL = findServer() })
	return serverURL
}

func findServer() string {
	if u := os.Getenv("STAYGRAPH_TEST_DATABASE_URL"); u != "" {
		return u
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, DefaultURL); err == nil {
		conn.Close(ctx)
		return DefaultURL
	}
	url, err := privateServer()
	if err != nil {
		// Tests then fail connecting, naming DefaultURL and this reason.
		fmt.Fprintf(os.Stderr, "pgtest: no PostgreSQL at %s and no private one: %v\n", DefaultURL, err)
		return DefaultURL
	}
	return url
}

// privateServer starts (or reuses) a cluster shared by every test binary;
// a file lock keeps concurrent packages from initialising it twice.
func privateServer() (string, error) {
	dir := filepath.Join(os.TempDir(), "staygraph-test-postgres")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck
	srv, err := devserver.Start(context.Background(), devserver.Opts{
		DataDir: filepath.Join(dir, "data"), Port: 54330, Database: "postgres",
	})
	if err != nil {
		return "", err
	}
	return srv.URL(), nil
}

// NewDB creates an empty, fully migrated database for t and returns a pool to
// it. The database is dropped when the test ends.
func NewDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, _ := NewDBURL(t)
	return pool
}

// NewDBURL is NewDB that also returns the database's connection string, for
// tests that start servers or subprocesses on it.
func NewDBURL(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	ctx := context.Background()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx) })
	if templateErr != nil {
		t.Fatalf("prepare test database template: %v", templateErr)
	}
	name := "staygraph_t_" + randomSuffix()
	admin := adminConn(t, ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, templateName)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	admin.Close(ctx)
	var pool *pgxpool.Pool
	// registered before connecting: a database the test could not reach
	// is dropped too
	t.Cleanup(func() {
		if pool != nil {
			pool.Close()
		}
		admin := adminConn(t, context.Background())
		defer admin.Close(context.Background())
		if _, err := admin.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	url := withDatabase(name)
	var err error
	if pool, err = postgres.Connect(ctx, url, postgres.PoolOpts{MaxConns: 40}); err != nil {
		t.Fatalf("connect test database: %v", err)
	}
	return pool, url
}

// NewEmptyDBURL creates a database with nothing in it (not migrated), for
// tests that fill it themselves (a restore), and returns its connection
// string. It is dropped when the test ends.
func NewEmptyDBURL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	name := "staygraph_e_" + randomSuffix()
	admin := adminConn(t, ctx)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE template0", name)); err != nil {
		t.Fatalf("create empty database: %v", err)
	}
	t.Cleanup(func() {
		admin := adminConn(t, context.Background())
		defer admin.Close(context.Background())
		if _, err := admin.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			t.Logf("drop empty database %s: %v", name, err)
		}
	})
	return withDatabase(name)
}

func adminConn(t testing.TB, ctx context.Context) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		t.Fatalf("connect to test PostgreSQL at %s (set STAYGRAPH_TEST_DATABASE_URL to use another server): %v", ServerURL(), err)
	}
	return conn
}

// withDatabase is the server's URL naming database name, with the
// server's credentials and settings.
func withDatabase(name string) string { return postgres.WithDatabase(ServerURL(), name) }

// ensureTemplate builds the migrated template database for the current schema
// once per server; concurrent test binaries wait on an advisory lock.
func ensureTemplate(ctx context.Context) (string, error) {
	name := "staygraph_tmpl_" + postgres.MigrationsDigest()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return "", fmt.Errorf("connect to test PostgreSQL at %s (set STAYGRAPH_TEST_DATABASE_URL to use another server): %w", ServerURL(), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7426001)"); err != nil {
		return "", fmt.Errorf("lock template: %w", err)
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(7426001)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("look up template: %w", err)
	}
	if exists {
		return name, nil
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s", name)); err != nil {
		return "", fmt.Errorf("drop half-built template: %w", err)
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s", name)); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	url := withDatabase(name)
	mctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pool, err := postgres.Connect(mctx, url, postgres.PoolOpts{MaxConns: 2})
	if err != nil {
		return "", err
	}
	err = postgres.Migrate(mctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pool.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s WITH IS_TEMPLATE true", name)); err != nil {
		return "", fmt.Errorf("mark template: %w", err)
	}
	return name, nil
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
