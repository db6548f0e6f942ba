package indexer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/devserver"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

// privateCluster is a bundle in a PostgreSQL cluster of the test's own,
// for a test that changes server settings.
func privateCluster(t *testing.T) bundle {
	t.Helper()
	pgtest.SkipWithoutLogical(t)
	ctx := context.Background()
	// Not t.TempDir: the postgres OS user runs the server when the tests
	// run as root, and must reach the folder.
	dir, err := os.MkdirTemp("", "staygraph-indexer-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	port, err := pgtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := devserver.Start(ctx, devserver.Opts{DataDir: filepath.Join(dir, "pgdata"), Port: port, Database: "postgres"})
	if errors.Is(err, devserver.ErrNoBinaries) {
		t.Skip("PostgreSQL server binaries are not installed")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	pool, err := postgres.Connect(ctx, srv.URL(), postgres.PoolOpts{MaxConns: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := postgres.Migrate(ctx, pool, testLogger(t)); err != nil {
		t.Fatal(err)
	}
	return bundle{pool: pool, url: srv.URL(), cat: searchtest.Load(t, pool), slot: "sg_test_" + randomHex(6)}
}

// A slot that PostgreSQL invalidates because it held more WAL than
// max_slot_wal_keep_size (wal_status 'lost'), here while a consumer is
// stuck, is detected: the indexer drops it, creates a new one and gives
// the consumers a snapshot of it, then streams again.
func TestInvalidatedSlotIsRecreatedWithASnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	t.Parallel()
	b := privateCluster(t)
	ctx := t.Context()
	// At most one WAL segment for a slot: one left behind is invalidated at the next checkpoint.
	execSQL(t, b, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'")
	execSQL(t, b, "SELECT pg_reload_conf()")

	search := &snapshotter{recorder: newRecorder("search")}
	r := start(t, b, indexer.Opts{RetryMin: 50 * time.Millisecond}, search)
	if search.snapshotCount() != 1 {
		t.Fatalf("%d snapshots on the first start", search.snapshotCount())
	}
	// The consumer is stuck (Elasticsearch unreachable): the slot keeps
	// the WAL since this change while the server writes more.
	open := search.closeGate()
	defer open()
	tokyo := b.cat.Hotels["tokyo"]
	execSQL(t, b, "UPDATE hotels SET name = 'stuck' WHERE id = $1", tokyo)
	for range 3 {
		execSQL(t, b, "UPDATE hotels SET name = name")
		execSQL(t, b, "SELECT pg_switch_wal()")
	}
	execSQL(t, b, "CHECKPOINT")
	eventually(t, 20*time.Second, func() (bool, string) {
		st, err := r.ix.Stats(ctx)
		if err != nil {
			return false, err.Error()
		}
		return search.snapshotCount() == 2 && st.State == indexer.StateStreaming,
			fmt.Sprintf("%d snapshots, state %q, slot %+v", search.snapshotCount(), st.State, st.Server)
	})
	if s := search.snapshots[1]; !s.Exported || s.LSN <= search.snapshots[0].LSN {
		t.Errorf("snapshot after the slot was lost: %+v, after %+v", s, search.snapshots[0])
	}
	if got := slotUsage(t, b); got.WALStatus == "lost" {
		t.Errorf("the new slot: %+v", got)
	}

	open()
	execSQL(t, b, "UPDATE hotels SET name = 'after' WHERE id = $1", tokyo)
	search.waitFor(t, "a change after the slot was recreated", func(e indexer.Event) bool { return e.Key.HotelID == tokyo })
}
