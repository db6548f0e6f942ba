package indexer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/partnerfeed"
)

// The child process's settings, from TestCrash.
const (
	childURLEnv     = "STAYGRAPH_INDEXER_TEST_CHILD_URL"
	childSlotEnv    = "STAYGRAPH_INDEXER_TEST_CHILD_SLOT"
	childPartnerEnv = "STAYGRAPH_INDEXER_TEST_CHILD_PARTNER"
)

// TestCrashChild is the indexer process TestCrash kills: what
// 'staygraph indexer --partner-webhooks' runs (the parent delivers the
// queued posts). It skips unless TestCrash started it.
func TestCrashChild(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("run by TestCrash")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv(childURLEnv))
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{}) // inserts only
	if err != nil {
		t.Fatal(err)
	}
	feed, err := partnerfeed.New(pool, jobs, []partnerfeed.Partner{{Name: "acme", URL: os.Getenv(childPartnerEnv), Secret: partnerSecret}}, partnerfeed.Opts{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := indexer.New(pool, []indexer.Consumer{feed}, indexer.Opts{Slot: os.Getenv(childSlotEnv), SlotRetry: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(ctx); err != nil { // until killed
		t.Fatal(err)
	}
}

// An indexer process killed with SIGKILL while it streams a burst of
// changes loses none: restarted, it replays from the acknowledged
// position, and the partner ends with every change at least once, each
// under one event id.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel()
	b := setup(t)

	type night struct {
		roomType uuid.UUID
		from     string
	}
	var mu sync.Mutex
	ids := map[night]map[string]bool{} // the event ids each changed night was announced under
	deliveries, resyncs := 0, 0
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev partnerfeed.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		deliveries++
		if ev.Type == partnerfeed.TypeResync {
			resyncs++
		}
		if ev.Type == partnerfeed.TypeRates && len(ev.Data.RoomTypeIDs) == 1 {
			k := night{ev.Data.RoomTypeIDs[0], ev.Data.From}
			if ids[k] == nil {
				ids[k] = map[string]bool{}
			}
			ids[k][ev.ID] = true
		}
	}))
	defer partner.Close()
	newFeed(t, b, &partnerReceiver{Server: partner}) // delivers what the children queue

	var logs bytes.Buffer
	var logMu sync.Mutex
	child := func() *exec.Cmd {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"=1", childURLEnv+"="+b.url, childSlotEnv+"="+b.slot, childPartnerEnv+"="+partner.URL)
		w := &lockedWriter{mu: &logMu, w: &logs}
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		return cmd
	}
	defer func() {
		if t.Failed() {
			logMu.Lock()
			t.Logf("child logs:\n%s", logs.String())
			logMu.Unlock()
		}
	}()
	// The first child announces a resync once it created the slot: changes
	// committed from then on are in its stream (those before are in the
	// snapshot, which a partner feed does not replay).
	waitStreaming := func() {
		eventually(t, 30*time.Second, func() (bool, string) {
			mu.Lock()
			defer mu.Unlock()
			return resyncs > 0, "the indexer never created its slot"
		})
	}

	first := child()
	waitStreaming()
	// A burst of rate changes, one transaction each, on distinct nights;
	// the indexer is killed a third of the way, once half of those reached
	// the partner.
	plans := []uuid.UUID{}
	roomTypeOf := map[uuid.UUID]uuid.UUID{}
	for key, plan := range b.cat.RatePlans {
		plans = append(plans, plan)
		roomTypeOf[plan] = b.cat.RoomTypes[key]
	}
	const changes = 300
	want := map[night]bool{}
	for i := range changes {
		plan := plans[i%len(plans)]
		n := day("2027-06-01").AddDate(0, 0, i/len(plans))
		execSQL(t, b, "UPDATE nightly_rates SET amount = amount + 1 WHERE rate_plan_id = $1 AND night = $2", plan, n)
		want[night{roomTypeOf[plan], n.Format(time.DateOnly)}] = true
		if i == changes/3 {
			// Killed while it streams: some changes delivered, others in flight.
			eventually(t, 20*time.Second, func() (bool, string) {
				mu.Lock()
				defer mu.Unlock()
				return len(ids) >= changes/6, fmt.Sprintf("%d changes delivered before the crash", len(ids))
			})
			if err := first.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	_ = first.Wait()
	mu.Lock()
	before := len(ids)
	mu.Unlock()
	t.Logf("%d of %d changes reached the partner before the crash", before, changes)

	child()
	eventually(t, 60*time.Second, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		missing := 0
		for k := range want {
			if len(ids[k]) == 0 {
				missing++
			}
		}
		return missing == 0, fmt.Sprintf("%d of %d changes never reached the partner", missing, changes)
	})
	mu.Lock()
	defer mu.Unlock()
	for k, set := range ids {
		if len(set) != 1 {
			t.Errorf("the change of %v came under %d event ids: %v", k, len(set), set)
		}
	}
	t.Logf("%d deliveries for %d changes", deliveries, len(ids))
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
