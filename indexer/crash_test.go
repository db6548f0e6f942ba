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
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/eswriter"
	"github.com/staygraph/staygraph/indexer/partnerfeed"
	"github.com/staygraph/staygraph/internal/search/elasticsearch"
)

// The child process's settings, from TestCrash.
const (
	childURLEnv     = "STAYGRAPH_INDEXER_TEST_CHILD_URL"
	childSlotEnv    = "STAYGRAPH_INDEXER_TEST_CHILD_SLOT"
	childPartnerEnv = "STAYGRAPH_INDEXER_TEST_CHILD_PARTNER"
	childJournalEnv = "STAYGRAPH_INDEXER_TEST_CHILD_JOURNAL"
)

// The burst of TestCrash: crashChanges new nightly rates, one transaction
// each, on the crashNights nights from crashFrom of each of the suite's
// rate plans; the Elasticsearch documents describe those nights.
const (
	crashChanges = 10_000
	crashNights  = 1250
)

var crashFrom = day("2028-01-01")

// TestCrashChild is the indexer process TestCrash kills: what
// 'staygraph indexer --partner-webhooks … --elasticsearch-url …' runs,
// with the Elasticsearch writer's output kept in a journal file instead of
// an index (the parent delivers the queued posts). It skips unless
// TestCrash started it.
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
	journal, err := os.OpenFile(os.Getenv(childJournalEnv), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	writer := eswriter.New(newDocIndex(journal), pool, eswriter.Opts{From: func() time.Time { return crashFrom }, Nights: crashNights})
	ix, err := indexer.New(pool, []indexer.Consumer{feed, writer}, indexer.Opts{Slot: os.Getenv(childSlotEnv), SlotRetry: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(ctx); err != nil { // until killed
		t.Fatal(err)
	}
}

// An indexer process killed with SIGKILL while it streams a burst of
// 10,000 changes loses none: restarted, it replays from the acknowledged
// position. The partner (a real HTTP server) ends with every change at
// least once, each under one event id, and the Elasticsearch documents
// rebuilt from what the writer acknowledged — its snapshot, then its
// writes, replayed from its journal with their versions — equal the
// documents built from PostgreSQL now.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel()
	b := setup(t)
	ctx := t.Context()

	type night struct {
		roomType string // its API id
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
	newFeedWorkers(t, b, partner.URL, 32) // delivers what the children queue
	journal := filepath.Join(t.TempDir(), "elasticsearch.ndjson")

	var logs bytes.Buffer
	var logMu sync.Mutex
	child := func() *exec.Cmd {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"=1", childURLEnv+"="+b.url, childSlotEnv+"="+b.slot,
			childPartnerEnv+"="+partner.URL, childJournalEnv+"="+journal)
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

	// The first child announces a resync once it created the slot and took
	// its snapshot: changes committed from then on are in its stream.
	first := child()
	eventually(t, 60*time.Second, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return resyncs > 0, "the indexer never created its slot"
	})

	// The burst: a new rate on each night of the window of each rate plan,
	// one transaction each, from 8 connections.
	var plans []uuid.UUID
	roomTypeOf := map[uuid.UUID]uuid.UUID{}
	for key, plan := range b.cat.RatePlans {
		plans = append(plans, plan)
		roomTypeOf[plan] = b.cat.RoomTypes[key]
	}
	if crashChanges != len(plans)*crashNights {
		t.Fatalf("the suite has %d rate plans: %d changes do not cover %d nights of each", len(plans), crashChanges, crashNights)
	}
	want := map[night]bool{}
	for i := range crashChanges {
		want[night{relay.ID(relay.KindRoomType, roomTypeOf[plans[i%len(plans)]]), crashFrom.AddDate(0, 0, i/len(plans)).Format(time.DateOnly)}] = true
	}
	const writers = 8
	burst := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := w; i < crashChanges; i += writers {
				if _, err := b.pool.Exec(ctx, "INSERT INTO nightly_rates (rate_plan_id, night, amount, hotel_id, room_type_id) SELECT id, $2::date, $3::bigint, hotel_id, room_type_id FROM rate_plans WHERE id = $1",
					plans[i%len(plans)], crashFrom.AddDate(0, 0, i/len(plans)), 10000+i); err != nil {
					burst <- err
					return
				}
			}
			burst <- nil
		}()
	}

	// Killed while it streams: once it queued a quarter of the burst for the partner.
	var queued int
	eventually(t, 60*time.Second, func() (bool, string) {
		if err := b.pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE queue = $1", partnerfeed.QueueOf("acme")).Scan(&queued); err != nil {
			return false, err.Error()
		}
		return queued >= crashChanges/4, fmt.Sprintf("the indexer queued %d partner events", queued)
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	var committed int
	if err := b.pool.QueryRow(ctx, "SELECT count(*) FROM nightly_rates WHERE night >= $1", crashFrom).Scan(&committed); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed the indexer once it had queued %d partner events, with %d of %d changes committed", queued, committed, crashChanges)
	for range writers {
		if err := <-burst; err != nil {
			t.Fatal(err)
		}
	}

	child()
	began := time.Now()
	eventually(t, 120*time.Second, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		missing := 0
		for k := range want {
			if len(ids[k]) == 0 {
				missing++
			}
		}
		return missing == 0, fmt.Sprintf("%d of %d changes never reached the partner", missing, crashChanges)
	})
	mu.Lock()
	for k, set := range ids {
		if len(set) != 1 {
			t.Errorf("the change of %v came under %d event ids: %v", k, len(set), set)
		}
	}
	t.Logf("%d deliveries for %d changes; all delivered %s after the restart", deliveries, len(ids), time.Since(began).Round(time.Millisecond))
	mu.Unlock()

	// What the writer acknowledged, replayed, is what PostgreSQL says.
	var hotels []uuid.UUID
	for _, id := range b.cat.Hotels {
		hotels = append(hotels, id)
	}
	diff := func() string {
		got, err := readJournal(journal)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := elasticsearch.BuildDocuments(ctx, b.pool, hotels, crashFrom, crashNights)
		if err != nil {
			t.Fatal(err)
		}
		return documentsDiff(got.all(), docs)
	}
	deadline := time.Now().Add(60 * time.Second)
	for d := diff(); d != ""; d = diff() {
		if time.Now().After(deadline) {
			t.Fatalf("the documents the writer acknowledged differ from PostgreSQL's: %s", d)
		}
		time.Sleep(500 * time.Millisecond)
	}
	got, err := readJournal(journal)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range got.all() {
		for _, rt := range d.RoomTypes {
			if len(rt.UnpricedNights) > 0 {
				t.Errorf("%s: %d nights without a rate in the index, want every night of the burst priced", d.Name, len(rt.UnpricedNights))
			}
		}
	}
}

// documentsDiff says how the documents an index holds differ from want
// (versions aside), or "" when they are the same.
func documentsDiff(got map[uuid.UUID]elasticsearch.Document, want []elasticsearch.Document) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d documents, want %d", len(got), len(want))
	}
	for _, w := range want {
		g, ok := got[w.ID]
		if !ok {
			return fmt.Sprintf("no document for %s", w.Name)
		}
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if !bytes.Equal(gj, wj) {
			return fmt.Sprintf("%s: the index holds\n%.2000s\nPostgreSQL says\n%.2000s", w.Name, gj, wj)
		}
	}
	return ""
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
