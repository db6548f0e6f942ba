package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/postgres/devserver"
)

// LogicalURLEnv names a server with wal_level=logical to test against
// instead of the private cluster RunLogical starts.
const LogicalURLEnv = "STAYGRAPH_TEST_LOGICAL_DATABASE_URL"

// noLogical is why tests that need wal_level=logical skip, when RunLogical
// could not have such a server.
var noLogical string

// RunLogical runs m, from a package's TestMain, against a PostgreSQL server
// with wal_level=logical, which the change stream needs (the shared test
// server runs with replica): LogicalURLEnv when set, else a private cluster
// started from the installed server binaries in a temporary folder, stopped
// and removed when m is done. NewDB then creates each test's database there.
// Without binaries the tests run on the usual server and those that need
// logical replication skip (SkipWithoutLogical). It returns m's exit code.
func RunLogical(m *testing.M) int {
	url := os.Getenv(LogicalURLEnv)
	if url == "" {
		parent, err := os.MkdirTemp("", "staygraph-logical-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(parent)
		// The postgres OS user runs the server when the tests run as root: it must reach the folder.
		if err := os.Chmod(parent, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		port, err := FreePort()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		srv, err := devserver.Start(context.Background(), devserver.Opts{DataDir: filepath.Join(parent, "pgdata"), Port: port, Database: "postgres"})
		switch {
		case errors.Is(err, devserver.ErrNoBinaries):
			noLogical = "PostgreSQL server binaries are not installed and " + LogicalURLEnv + " is not set"
		case err != nil:
			fmt.Fprintf(os.Stderr, "start a private PostgreSQL with wal_level=logical: %v\n", err)
			return 1
		default:
			defer func() {
				if err := srv.Stop(context.Background()); err != nil {
					fmt.Fprintln(os.Stderr, err)
				}
			}()
			url = srv.URL()
		}
	}
	if url != "" {
		os.Setenv("STAYGRAPH_TEST_DATABASE_URL", url)
	}
	return m.Run()
}

// SkipWithoutLogical skips t when RunLogical found no server with
// wal_level=logical.
func SkipWithoutLogical(t testing.TB) {
	t.Helper()
	if noLogical != "" {
		t.Skip(noLogical)
	}
}

// DropReplicationSlot drops slot once the stream that used it released it,
// trying for up to 10 s. A test registers it as a cleanup after its
// database's, so it runs first: a logical slot keeps a database from being
// dropped.
func DropReplicationSlot(t testing.TB, pool *pgxpool.Pool, slot string) {
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := pool.Exec(ctx, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1", slot)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("drop replication slot %s: %v", slot, err)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// FreePort is a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
