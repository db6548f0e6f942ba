package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// 'staygraph indexer' needs something to feed.
func TestIndexerCommandNeedsAConsumer(t *testing.T) {
	t.Parallel()
	err := runIndexer(context.Background(), []string{"--database-url", "postgres://127.0.0.1:1/x", "--elasticsearch-url", ""})
	if err == nil || !strings.Contains(err.Error(), "--partner-webhooks") {
		t.Errorf("without consumers: %v", err)
	}
}

// On a server without wal_level=logical, start-up says so and how to fix
// it. The package's tests run on a server with wal_level=logical
// (TestMain); this one reads the shared server at pgtest.DefaultURL, which
// runs with replica, and skips where it is missing or logical.
func TestIndexerCommandExplainsWALLevel(t *testing.T) {
	t.Parallel()
	url := pgtest.DefaultURL
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Skipf("no shared server at %s: %v", url, err)
	}
	defer conn.Close(context.Background())
	var level string
	if err := conn.QueryRow(t.Context(), "SHOW wal_level").Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level == "logical" {
		t.Skip("the test server has wal_level=logical")
	}
	partners := filepath.Join(t.TempDir(), "partners.json")
	if err := os.WriteFile(partners, []byte(`[{"name":"acme","url":"https://acme.example/hooks","secret":"whsec_0123456789abcdef"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	err = runIndexer(context.Background(), []string{"--database-url", url, "--partner-webhooks", partners, "--log-level", "error"})
	if !errors.Is(err, indexer.ErrWALLevel) || !strings.Contains(err.Error(), "ALTER SYSTEM SET wal_level = logical") {
		t.Errorf("on wal_level=%s: %v", level, err)
	}
}

// standaloneIndexer is 'staygraph indexer' with a partner feed, on a
// database of its own with one hotel, serving --stats-addr.
type standaloneIndexer struct {
	stats string // the --stats-addr
	pool  *pgxpool.Pool
	rt    uuid.UUID // a room type of the hotel
}

// startStandaloneIndexer runs runIndexer until the test ends and waits
// until it streams.
func startStandaloneIndexer(t *testing.T) standaloneIndexer {
	t.Helper()
	pgtest.SkipWithoutLogical(t)
	pool, url := pgtest.NewDBURL(t)
	slot := "sg_test_" + randomHex(6)
	t.Cleanup(func() { pgtest.DropReplicationSlot(t, pool, slot) })
	_, _, plan, _ := londonHotel(t, pool)

	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(partner.Close)
	partners := filepath.Join(t.TempDir(), "partners.json")
	checkErr(t, os.WriteFile(partners, []byte(`[{"name":"acme","url":"`+partner.URL+`","secret":"whsec_0123456789abcdef"}]`), 0o600))
	port, err := pgtest.FreePort()
	checkErr(t, err)
	ix := standaloneIndexer{stats: fmt.Sprintf("127.0.0.1:%d", port), pool: pool, rt: plan.RoomTypeID}

	runInBackground(t, "indexer", runIndexer, []string{"--database-url", url, "--partner-webhooks", partners,
		"--indexer-slot", slot, "--stats-addr", ix.stats, "--log-level", "error"},
		func() bool {
			var st struct{ State string }
			return ix.get(t, "/stats", &st) == nil && st.State == string(indexer.StateStreaming)
		})
	return ix
}

// get fetches path from --stats-addr: JSON decoded into out, or, when out is
// a *string, the text.
func (ix standaloneIndexer) get(t *testing.T, path string, out any) error {
	t.Helper()
	res, err := http.Get("http://" + ix.stats + path)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, res.Status)
	}
	if text, ok := out.(*string); ok {
		b, err := io.ReadAll(res.Body)
		*text = string(b)
		return err
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// lagSeconds scrapes staygraph_indexer_lag_seconds from /metrics.
func (ix standaloneIndexer) lagSeconds(t *testing.T) float64 {
	t.Helper()
	var text string
	checkErr(t, ix.get(t, "/metrics", &text))
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, "staygraph_indexer_lag_seconds "); ok {
			lag, err := strconv.ParseFloat(v, 64)
			checkErr(t, err)
			return lag
		}
	}
	t.Fatalf("no staygraph_indexer_lag_seconds in /metrics:\n%s", text)
	return 0
}

// changeInventory commits a change of the room type's units tonight.
func (ix standaloneIndexer) changeInventory(t *testing.T) {
	t.Helper()
	_, err := ix.pool.Exec(context.Background(), `INSERT INTO inventory (room_type_id, night, capacity, hotel_id)
		SELECT id, current_date, 3, hotel_id FROM room_types WHERE id = $1
		ON CONFLICT (room_type_id, night) DO UPDATE SET version = inventory.version + 1`, ix.rt)
	checkErr(t, err)
}

// lsnText is a WAL position as PostgreSQL writes it.
var lsnText = regexp.MustCompile(`^[0-9A-F]{1,8}/[0-9A-F]{1,8}$`)

// checkStats reads GET /stats while the partner feed is held up, lag
// seconds behind: durations in milliseconds, positions as PostgreSQL
// writes them, the slot under replicationSlot.
func (ix standaloneIndexer) checkStats(t *testing.T, lag float64) {
	t.Helper()
	var st struct {
		State                     string
		ReceivedLsn, ConfirmedLsn string
		LagMs                     float64
		ReplicationSlot           struct {
			Exists, Active                   bool
			ConfirmedFlushLsn, CurrentWalLsn string
			WalStatus                        string
		}
		Consumers []struct {
			Name, AppliedLsn string
			LagMs            float64
			Queued           int
		}
	}
	checkErr(t, ix.get(t, "/stats", &st))
	for _, lsn := range []string{st.ReceivedLsn, st.ConfirmedLsn, st.ReplicationSlot.ConfirmedFlushLsn, st.ReplicationSlot.CurrentWalLsn} {
		if !lsnText.MatchString(lsn) {
			t.Errorf("/stats: position %q, want PostgreSQL's X/X: %+v", lsn, st)
		}
	}
	if !st.ReplicationSlot.Exists || !st.ReplicationSlot.Active || st.ReplicationSlot.WalStatus == "" {
		t.Errorf("/stats: replicationSlot %+v", st.ReplicationSlot)
	}
	if len(st.Consumers) != 1 || st.Consumers[0].Name != "partner-webhooks" || !lsnText.MatchString(st.Consumers[0].AppliedLsn) {
		t.Fatalf("/stats: consumers %+v", st.Consumers)
	}
	// The metric was set up to 5 s before: /stats reads later, so more.
	if c := st.Consumers[0]; c.LagMs < lag*1000 || st.LagMs != c.LagMs {
		t.Errorf("/stats: lagMs %v, the feed's %v, want at least the metric's %v s", st.LagMs, c.LagMs, lag)
	}
}

// 'staygraph indexer --stats-addr' serves Prometheus metrics with the lag
// of its consumers (it runs no Elasticsearch writer here: the partner
// feed's), as 'serve --indexer' does on its /metrics, and /stats in
// milliseconds and PostgreSQL's positions. The feed is held up by a lock on
// the job table it queues deliveries in; the lag shows, then returns to 0
// once the lock goes.
// (Not parallel: the lag gauge is the process's, and 'serve --indexer'
// tests running at the same time would set it too.)
func TestStandaloneIndexerReportsItsLag(t *testing.T) {
	ix := startStandaloneIndexer(t)
	var text string
	checkErr(t, ix.get(t, "/metrics", &text))
	for _, want := range []string{"# TYPE staygraph_indexer_lag_seconds gauge", "staygraph_db_pool_max_conns 8", "go_goroutines ", "process_cpu_seconds_total "} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, text)
		}
	}

	ctx := context.Background()
	tx, err := ix.pool.Begin(ctx)
	checkErr(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, "LOCK TABLE river_job IN SHARE MODE")
	checkErr(t, err)
	ix.changeInventory(t)
	for deadline := time.Now().Add(4 * indexLagInterval); ; time.Sleep(200 * time.Millisecond) {
		if lag := ix.lagSeconds(t); lag >= 1 {
			t.Logf("lag while the partner feed is held up: %.1f s", lag)
			ix.checkStats(t, lag)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("staygraph_indexer_lag_seconds is %v %v after a change the partner feed cannot apply", ix.lagSeconds(t), 4*indexLagInterval)
		}
	}
	checkErr(t, tx.Rollback(ctx))
	for deadline := time.Now().Add(4 * indexLagInterval); ix.lagSeconds(t) != 0; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("staygraph_indexer_lag_seconds is still %v %v after the feed could apply again", ix.lagSeconds(t), 4*indexLagInterval)
		}
	}
}
