package indexer_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

// helperEnv marks a child process of TestCrash.
const helperEnv = "STAYGRAPH_INDEXER_TEST_CHILD"

// TestMain runs the package's tests against a server with
// wal_level=logical (pgtest.RunLogical); pgtest then creates each test's
// database there.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(m.Run()) // a child process of TestCrash: the parent gave it its server
	}
	os.Exit(pgtest.RunLogical(m))
}

// bundle is a test's database, with the search suite's catalog, and the
// name of its replication slot.
type bundle struct {
	pool *pgxpool.Pool
	url  string
	cat  searchtest.Catalog
	slot string
}

func setup(t testing.TB) bundle {
	t.Helper()
	pgtest.SkipWithoutLogical(t)
	pool, url := pgtest.NewDBURL(t)
	b := bundle{pool: pool, url: url, slot: "sg_test_" + randomHex(6)}
	// Registered after the database, so it runs before the database is
	// dropped (which a logical slot would prevent), and after the indexers
	// of the test stopped.
	t.Cleanup(func() { pgtest.DropReplicationSlot(t, pool, b.slot) })
	b.cat = searchtest.Load(t, pool)
	return b
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// running is an indexer running in the background of a test.
type running struct {
	ix   *indexer.Indexer
	stop func() error // stops it and returns what Run returned
}

// start runs an indexer on the bundle's slot until the test ends (or stop),
// and waits until it streams.
func start(t testing.TB, b bundle, opts indexer.Opts, consumers ...indexer.Consumer) running {
	t.Helper()
	r := startNoWait(t, b, opts, consumers...)
	waitState(t, r.ix, indexer.StateStreaming)
	return r
}

func startNoWait(t testing.TB, b bundle, opts indexer.Opts, consumers ...indexer.Consumer) running {
	t.Helper()
	if opts.Slot == "" {
		opts.Slot = b.slot
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	ix, err := indexer.New(b.pool, consumers, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ix.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(30 * time.Second):
				runErr = errors.New("indexer did not stop within 30s")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("indexer: %v", err)
		}
	})
	return running{ix: ix, stop: stop}
}

// waitState waits until the indexer is in state s.
func waitState(t testing.TB, ix *indexer.Indexer, s indexer.State) {
	t.Helper()
	eventually(t, 20*time.Second, func() (bool, string) {
		st, err := ix.Stats(context.Background())
		if err != nil {
			return false, err.Error()
		}
		return st.State == s, fmt.Sprintf("state %q (want %q), last error %q", st.State, s, st.LastError)
	})
}

// eventually polls cond until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// recorder is a consumer that keeps what it is given. With a gate, Apply
// waits until the gate is opened.
type recorder struct {
	name string

	mu        sync.Mutex
	batches   [][]indexer.Event
	snapshots []indexer.Snapshot
	gate      chan struct{}
	applying  bool
}

func newRecorder(name string) *recorder { return &recorder{name: name} }

func (r *recorder) Name() string { return r.name }

func (r *recorder) Apply(ctx context.Context, batch []indexer.Event) error {
	r.mu.Lock()
	gate := r.gate
	r.applying = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.applying = false
		r.mu.Unlock()
	}()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, slices.Clone(batch))
	return nil
}

// closeGate makes Apply wait; the returned function opens it again.
func (r *recorder) closeGate() (open func()) {
	g := make(chan struct{})
	r.mu.Lock()
	r.gate = g
	r.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			r.gate = nil
			r.mu.Unlock()
			close(g)
		})
	}
}

func (r *recorder) events() []indexer.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []indexer.Event
	for _, b := range r.batches {
		out = append(out, b...)
	}
	return out
}

// waitFor waits until an event matching pred was applied and returns it.
func (r *recorder) waitFor(t *testing.T, what string, pred func(indexer.Event) bool) indexer.Event {
	t.Helper()
	var found indexer.Event
	eventually(t, 10*time.Second, func() (bool, string) {
		for _, e := range r.events() {
			if pred(e) {
				found = e
				return true, ""
			}
		}
		return false, fmt.Sprintf("%s never reached %s; it got %d events", what, r.name, len(r.events()))
	})
	return found
}

// snapshotter is a recorder that needs snapshots.
type snapshotter struct {
	*recorder
	onSnapshot func(ctx context.Context, snap indexer.Snapshot) error
}

func (s *snapshotter) Snapshot(ctx context.Context, snap indexer.Snapshot) error {
	if s.onSnapshot != nil {
		if err := s.onSnapshot(ctx, snap); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.snapshots = append(s.snapshots, snap)
	return nil
}

func (s *snapshotter) snapshotCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.snapshots)
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}
