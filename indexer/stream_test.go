package indexer_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/hub"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// A hold commits inventory for its nights: a subscriber of that hotel's
// availability hears about exactly those nights within a second, and a
// subscriber of the booking about the booking.
func TestHoldReachesSubscribersWithinASecond(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := hub.New(hub.Opts{})
	start(t, b, indexer.Opts{}, h)
	ctx := t.Context()
	hotel := b.cat.Hotels["montmartre"]
	avail, cancel := h.Subscribe(ctx, hub.Filter{Kinds: []hub.Kind{hub.AvailabilityChanged}, HotelID: hotel,
		From: day("2027-06-20"), To: day("2027-06-23")})
	defer cancel()
	bookings, cancelBookings := h.Subscribe(ctx, hub.Filter{Kinds: []hub.Kind{hub.BookingUpdated}, HotelID: hotel})
	defer cancelBookings()
	elsewhere, cancelElsewhere := h.Subscribe(ctx, hub.Filter{HotelID: b.cat.Hotels["tokyo"]})
	defer cancelElsewhere()

	b.cat.Hold(t, "montmartre/Double", 1, day("2027-06-20"), day("2027-06-22"))
	committed := time.Now()
	select {
	case e := <-avail:
		latency := time.Since(committed)
		t.Logf("availabilityChanged %s nights %s, %s after the commit", e.HotelID, e.Nights, latency)
		if latency > time.Second {
			t.Errorf("availabilityChanged arrived %s after the commit, want within 1s", latency)
		}
		if e.Nights != indexer.NightsOf(day("2027-06-20"), day("2027-06-22")) || e.Rates ||
			!slices.Equal(e.RoomTypeIDs, []uuid.UUID{b.cat.RoomTypes["montmartre/Double"]}) {
			t.Errorf("availabilityChanged %+v, want the double's nights 06-20 and 06-21", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no availabilityChanged for the held nights")
	}
	select {
	case e := <-bookings:
		var id uuid.UUID
		if err := b.pool.QueryRow(ctx, "SELECT id FROM bookings WHERE hotel_id = $1", hotel).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if e.BookingID != id || e.Nights != indexer.NightsOf(day("2027-06-20"), day("2027-06-22")) {
			t.Errorf("bookingUpdated %+v, want booking %s", e, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no bookingUpdated for the hold")
	}
	select {
	case e := <-elsewhere:
		t.Errorf("a subscriber of another hotel got %+v", e)
	case <-time.After(200 * time.Millisecond):
	}
}

// Nothing of a transaction that rolls back, or has not committed yet,
// reaches a consumer; what commits after it does.
func TestOnlyCommittedChangesAreStreamed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := newRecorder("recorder")
	start(t, b, indexer.Opts{}, rec)
	ctx := t.Context()
	lumiere, london, tokyo := b.cat.Hotels["lumiere"], b.cat.Hotels["london"], b.cat.Hotels["tokyo"]

	rolledBack, err := b.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rolledBack.Exec(ctx, "UPDATE hotels SET name = 'never' WHERE id = $1", lumiere); err != nil {
		t.Fatal(err)
	}
	if _, err := rolledBack.Exec(ctx, "UPDATE inventory SET version = version + 1"); err != nil {
		t.Fatal(err)
	}
	if err := rolledBack.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	open, err := b.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Rollback(ctx) //nolint:errcheck
	if _, err := open.Exec(ctx, "UPDATE hotels SET name = 'not yet' WHERE id = $1", london); err != nil {
		t.Fatal(err)
	}

	if _, err := b.pool.Exec(ctx, "UPDATE hotels SET name = 'Ginza Stay Annex' WHERE id = $1", tokyo); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "the committed update", func(e indexer.Event) bool { return e.Key.HotelID == tokyo })
	for _, e := range rec.events() {
		if e.Key.HotelID != tokyo {
			t.Errorf("streamed a change that did not commit: %+v", e)
		}
	}

	// Once the open transaction commits, its change follows.
	if err := open.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	e := rec.waitFor(t, "the change committed later", func(e indexer.Event) bool { return e.Key.HotelID == london })
	if e.Table != indexer.Hotels || e.Op != indexer.Update || e.Key.ID != london || e.CommitTime.IsZero() || e.CommitLSN == 0 {
		t.Errorf("event %+v", e)
	}
}

// The position acknowledged to PostgreSQL never passes what every consumer
// applied: a consumer that blocks holds confirmed_flush_lsn back (others
// go on), and a restart replays from there.
func TestAcknowledgesOnlyWhatEveryConsumerApplied(t *testing.T) {
	t.Parallel()
	b := setup(t)
	fast, slow := newRecorder("fast"), newRecorder("slow")
	openGate := slow.closeGate()
	defer openGate()
	r := start(t, b, indexer.Opts{StatusInterval: 200 * time.Millisecond}, fast, slow)
	ctx := t.Context()
	tokyo := b.cat.Hotels["tokyo"]
	before := slotUsage(t, b).ConfirmedFlushLSN

	if _, err := b.pool.Exec(ctx, "UPDATE hotels SET stars = 5 WHERE id = $1", tokyo); err == nil {
		t.Fatal("expected the column to be star_rating") // guards the statement below from a silent typo
	}
	if _, err := b.pool.Exec(ctx, "UPDATE hotels SET star_rating = 5 WHERE id = $1", tokyo); err != nil {
		t.Fatal(err)
	}
	change := fast.waitFor(t, "the update", func(e indexer.Event) bool { return e.Key.HotelID == tokyo })

	// The slow consumer is applying it; the acknowledged position stays put
	// over several status intervals, while the server's WAL moves on.
	eventually(t, 5*time.Second, func() (bool, string) {
		slow.mu.Lock()
		defer slow.mu.Unlock()
		return slow.applying, "the slow consumer never started applying"
	})
	time.Sleep(time.Second)
	held := slotUsage(t, b)
	// Acknowledging up to the commit record's start is fine (PostgreSQL
	// skips only transactions that committed before the confirmed
	// position); past it the change would be lost in a restart.
	if held.ConfirmedFlushLSN > change.CommitLSN {
		t.Fatalf("confirmed_flush_lsn %s passed the commit %s that a consumer has not applied", held.ConfirmedFlushLSN, change.CommitLSN)
	}
	if held.ConfirmedFlushLSN < before || held.RetainedWALBytes <= 0 {
		t.Errorf("slot while held: %+v (before: %s)", held, before)
	}
	st, err := r.ix.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := consumerStats(st, "slow"); c.Lag <= 0 || c.AppliedLSN >= change.CommitLSN {
		t.Errorf("stats of the blocked consumer: %+v", c)
	}
	if c := consumerStats(st, "fast"); c.AppliedLSN < change.CommitLSN || c.Lag != 0 || c.LastLag <= 0 {
		t.Errorf("stats of the fast consumer: %+v", c)
	}

	// Stopped before the slow consumer applied it, the next run replays it.
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if got := slotUsage(t, b).ConfirmedFlushLSN; got > change.CommitLSN {
		t.Fatalf("after stopping, confirmed_flush_lsn %s passed the unapplied commit %s", got, change.CommitLSN)
	}
	again := newRecorder("slow")
	r2 := start(t, b, indexer.Opts{StatusInterval: 200 * time.Millisecond}, again)
	replayed := again.waitFor(t, "the replay of the update", func(e indexer.Event) bool { return e.Key.HotelID == tokyo })
	if replayed.CommitLSN != change.CommitLSN || replayed.Key != change.Key {
		t.Errorf("replayed %+v, first %+v", replayed, change)
	}
	// Applied now: the acknowledgement passes it.
	eventually(t, 5*time.Second, func() (bool, string) {
		got := slotUsage(t, b).ConfirmedFlushLSN
		return got > change.CommitLSN, fmt.Sprintf("confirmed_flush_lsn %s, commit %s", got, change.CommitLSN)
	})
	st, err = r2.ix.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.ConfirmedLSN <= change.CommitLSN || !st.Server.Active || st.Server.WALStatus == "" {
		t.Errorf("stats after the replay: %+v", st)
	}
}

func slotUsage(t *testing.T, b bundle) indexer.SlotStats {
	t.Helper()
	s, err := indexer.SlotUsage(context.Background(), b.pool, b.slot)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Exists {
		t.Fatalf("slot %s does not exist", b.slot)
	}
	return s
}

func consumerStats(st indexer.Stats, name string) indexer.ConsumerStats {
	for _, c := range st.Consumers {
		if c.Name == name {
			return c
		}
	}
	return indexer.ConsumerStats{}
}

// A second indexer on the same slot waits while the first streams, and
// takes over when it stops.
func TestSecondIndexerTakesOverTheSlot(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	first, second := newRecorder("recorder"), newRecorder("recorder")
	r1 := start(t, b, indexer.Opts{}, first)
	r2 := startNoWait(t, b, indexer.Opts{SlotRetry: 200 * time.Millisecond}, second)
	waitState(t, r2.ix, indexer.StateWaiting)

	tokyo, london := b.cat.Hotels["tokyo"], b.cat.Hotels["london"]
	if _, err := b.pool.Exec(ctx, "UPDATE hotels SET name = 'one' WHERE id = $1", tokyo); err != nil {
		t.Fatal(err)
	}
	first.waitFor(t, "the first update", func(e indexer.Event) bool { return e.Key.HotelID == tokyo })
	if err := r1.stop(); err != nil {
		t.Fatal(err)
	}
	waitState(t, r2.ix, indexer.StateStreaming)
	if _, err := b.pool.Exec(ctx, "UPDATE hotels SET name = 'two' WHERE id = $1", london); err != nil {
		t.Fatal(err)
	}
	second.waitFor(t, "the second update", func(e indexer.Event) bool { return e.Key.HotelID == london })
	for _, e := range first.events() {
		if e.Key.HotelID == london {
			t.Errorf("the stopped indexer got %+v", e)
		}
	}
}

// On the first start a Snapshotter gets the slot's exported snapshot: it
// sees the database as of the slot's creation, not a change committed
// while it loads, and the stream then delivers that change.
func TestSnapshotThenStream(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	newHotel := uuid.New()
	var seen int
	snap := &snapshotter{recorder: newRecorder("search"), onSnapshot: func(ctx context.Context, s indexer.Snapshot) error {
		if _, err := b.pool.Exec(ctx, `INSERT INTO hotels (id, name, time_zone, latitude, longitude, address_line1, city,
			country_code, star_rating, currency) SELECT $1, 'Created during the snapshot', time_zone, latitude, longitude,
			address_line1, city, country_code, star_rating, currency FROM hotels WHERE id = $2`, newHotel, b.cat.Hotels["tokyo"]); err != nil {
			return err
		}
		return s.Tx.QueryRow(ctx, "SELECT count(*) FROM hotels").Scan(&seen)
	}}
	start(t, b, indexer.Opts{}, snap)
	if snap.snapshotCount() != 1 || !snap.snapshots[0].Exported || snap.snapshots[0].LSN == 0 {
		t.Fatalf("snapshots: %+v", snap.snapshots)
	}
	if seen != len(b.cat.Hotels) {
		t.Errorf("the snapshot saw %d hotels, want the %d that existed when the slot was created", seen, len(b.cat.Hotels))
	}
	e := snap.waitFor(t, "the hotel created during the snapshot", func(e indexer.Event) bool { return e.Key.HotelID == newHotel })
	if e.Op != indexer.Insert || e.CommitLSN <= snap.snapshots[0].LSN {
		t.Errorf("event %+v after a snapshot at %s", e, snap.snapshots[0].LSN)
	}
	var recorded int
	if err := b.pool.QueryRow(ctx, "SELECT count(*) FROM indexer_snapshots WHERE slot_name = $1 AND consumer = 'search'", b.slot).Scan(&recorded); err != nil || recorded != 1 {
		t.Errorf("recorded snapshots: %d, %v", recorded, err)
	}
}

// Consumers write through the pool while the snapshot's transaction is open
// (the partner feed queues its resync, the Elasticsearch writer clears the
// refusals of the index it replaced): the transaction holds no connection of
// that pool, so a pool of one connection is enough for both.
func TestSnapshotLeavesThePoolToItsConsumers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cfg := b.pool.Config().Copy()
	cfg.MaxConns = 1
	small, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(small.Close)
	wrote := false
	snap := &snapshotter{recorder: newRecorder("writes"), onSnapshot: func(ctx context.Context, s indexer.Snapshot) error {
		bounded, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := small.Exec(bounded, "SELECT 1"); err != nil {
			return fmt.Errorf("a write through the pool during the snapshot: %w", err)
		}
		wrote = true
		return nil
	}}
	one := b
	one.pool = small
	start(t, one, indexer.Opts{}, snap)
	if !wrote || snap.snapshotCount() != 1 {
		t.Fatalf("snapshots %d, wrote %v", snap.snapshotCount(), wrote)
	}
}

// A consumer added to an existing slot, or whose snapshot did not finish,
// gets a snapshot at the next start; one that has its snapshot does not.
func TestMissingSnapshotIsTakenAtNextStart(t *testing.T) {
	t.Parallel()
	b := setup(t)
	failing := &snapshotter{recorder: newRecorder("search"), onSnapshot: func(context.Context, indexer.Snapshot) error {
		return errors.New("elasticsearch unreachable")
	}}
	r := startNoWait(t, b, indexer.Opts{}, failing)
	waitState(t, r.ix, indexer.StateRetrying)
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	slotUsage(t, b) // the slot exists: created before the snapshot failed

	search, hubLike := &snapshotter{recorder: newRecorder("search")}, &snapshotter{recorder: newRecorder("hub")}
	r = start(t, b, indexer.Opts{}, search, hubLike)
	if search.snapshotCount() != 1 || search.snapshots[0].Exported || hubLike.snapshotCount() != 1 {
		t.Fatalf("snapshots after an interrupted one: search %+v, hub %+v", search.snapshots, hubLike.snapshots)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	search2 := &snapshotter{recorder: newRecorder("search")}
	start(t, b, indexer.Opts{}, search2)
	if search2.snapshotCount() != 0 {
		t.Errorf("a consumer that holds its snapshot got another: %+v", search2.snapshots)
	}
}

// A slot dropped behind the indexer's back is recreated, and the
// consumers that keep the whole state rebuild it from its new snapshot.
func TestDroppedSlotIsRecreatedWithASnapshot(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	snap := &snapshotter{recorder: newRecorder("search")}
	// A long retry leaves time to drop the slot between two sessions.
	r := start(t, b, indexer.Opts{RetryMin: 3 * time.Second}, snap)
	if snap.snapshotCount() != 1 {
		t.Fatalf("%d snapshots on the first start", snap.snapshotCount())
	}
	pid := *slotUsage(t, b).ActivePID
	if _, err := b.pool.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() (bool, string) {
		_, err := b.pool.Exec(ctx, "SELECT pg_drop_replication_slot($1)", b.slot)
		return err == nil, fmt.Sprintf("drop slot: %v", err)
	})
	eventually(t, 20*time.Second, func() (bool, string) {
		return snap.snapshotCount() == 2, fmt.Sprintf("%d snapshots", snap.snapshotCount())
	})
	if !snap.snapshots[1].Exported || snap.snapshots[1].LSN <= snap.snapshots[0].LSN {
		t.Errorf("second snapshot %+v after %+v", snap.snapshots[1], snap.snapshots[0])
	}
	waitState(t, r.ix, indexer.StateStreaming)
	tokyo := b.cat.Hotels["tokyo"]
	if _, err := b.pool.Exec(ctx, "UPDATE hotels SET name = 'after' WHERE id = $1", tokyo); err != nil {
		t.Fatal(err)
	}
	snap.waitFor(t, "a change after the slot was recreated", func(e indexer.Event) bool { return e.Key.HotelID == tokyo })
}

// On a server without wal_level=logical the indexer says so, and how to
// fix it. It uses the shared test server, which runs with wal_level=replica.
func TestWALLevelReplicaSaysHowToFixIt(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, pgtest.DefaultURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var level string
	if err := pool.QueryRow(ctx, "SHOW wal_level").Scan(&level); err != nil {
		t.Skipf("no server at %s: %v", pgtest.DefaultURL, err)
	}
	if level == "logical" {
		t.Skip("the server at " + pgtest.DefaultURL + " has wal_level=logical")
	}
	err = indexer.Check(ctx, pool, "")
	if !errors.Is(err, indexer.ErrWALLevel) || !strings.Contains(err.Error(), "ALTER SYSTEM SET wal_level = logical") ||
		!strings.Contains(err.Error(), "restart") {
		t.Errorf("Check on wal_level=%s: %v", level, err)
	}
	ix, err := indexer.New(pool, nil, indexer.Opts{Slot: "never_created"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Run(ctx); !errors.Is(err, indexer.ErrWALLevel) {
		t.Errorf("Run on wal_level=%s: %v", level, err)
	}
}

// Changes of one transaction to consecutive nights (a rate load) arrive
// as one event per rate plan with the nights it covers, resolved to the
// room type and hotel.
func TestRateLoadIsOneEventPerRatePlan(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := newRecorder("recorder")
	start(t, b, indexer.Opts{}, rec)
	ctx := t.Context()
	plan := b.cat.RatePlans["lumiere/Family"]
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE nightly_rates SET amount = amount + 100 WHERE rate_plan_id = $1 AND night >= '2027-06-10' AND night < '2027-06-20'", plan)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e := rec.waitFor(t, "the rate change", func(e indexer.Event) bool { return e.Table == indexer.NightlyRates })
	want := indexer.Key{HotelID: b.cat.Hotels["lumiere"], RoomTypeID: b.cat.RoomTypes["lumiere/Family"], RatePlanID: plan, Night: day("2027-06-10")}
	if e.Key != want || e.Nights != indexer.NightsOf(day("2027-06-10"), day("2027-06-20")) || e.Op != indexer.Update {
		t.Errorf("event %+v, want key %+v and nights 06-10..06-20", e, want)
	}
	var n int
	for _, e := range rec.events() {
		if e.Table == indexer.NightlyRates {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d nightly rate events for one rate load", n)
	}
}

// A database whose dates are written day first (DateStyle SQL, DMY) still
// streams: the replication session asks for ISO dates.
func TestStreamsWhateverTheDatabasesDateStyle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	var db string
	if err := b.pool.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(ctx, fmt.Sprintf("ALTER DATABASE %q SET datestyle = 'SQL, DMY'", db)); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder("witness")
	start(t, b, indexer.Opts{}, rec)
	b.cat.Hold(t, "montmartre/Double", 1, day("2027-06-20"), day("2027-06-22"))
	rec.waitFor(t, "the hold's booking", func(e indexer.Event) bool {
		return e.Table == indexer.Bookings && e.Nights == indexer.NightsOf(day("2027-06-20"), day("2027-06-22"))
	})
}

// Processes may share a slot with different consumers: while one without
// the search consumer streams, the search consumer misses changes, so a
// process that runs it again rebuilds its state from a snapshot.
func TestAConsumerLeftOutOfTheStreamSnapshotsAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	search := &snapshotter{recorder: newRecorder("search")}
	r := start(t, b, indexer.Opts{}, search)
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	hubOnly := newRecorder("hub")
	r = start(t, b, indexer.Opts{}, hubOnly)
	tokyo := b.cat.Hotels["tokyo"]
	if _, err := b.pool.Exec(ctx, "UPDATE hotels SET name = 'renamed while search was away' WHERE id = $1", tokyo); err != nil {
		t.Fatal(err)
	}
	hubOnly.waitFor(t, "the rename", func(e indexer.Event) bool { return e.Key.HotelID == tokyo })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	again := &snapshotter{recorder: newRecorder("search")}
	start(t, b, indexer.Opts{}, again)
	if again.snapshotCount() != 1 {
		t.Fatalf("the search consumer came back without a snapshot: %+v", again.snapshots)
	}
}

// An emptied table names no row: subscribers get RESYNC and partners
// feed.resync, so neither keeps what the table held.
func TestTruncateTellsEveryoneToRefetch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	h := hub.New(hub.Opts{})
	receiver := newPartnerReceiver(t)
	feed := newFeed(t, b, receiver)
	start(t, b, indexer.Opts{}, h, feed)
	events, cancel := h.Subscribe(ctx, hub.Filter{HotelID: b.cat.Hotels["tokyo"]})
	defer cancel()
	if _, err := b.pool.Exec(ctx, "TRUNCATE nightly_rates"); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e.Kind != hub.Resync {
			t.Fatalf("after TRUNCATE a subscriber got %+v, want RESYNC", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no RESYNC after TRUNCATE")
	}
	eventually(t, 15*time.Second, func() (bool, string) {
		var resyncs int
		for _, id := range receiver.ids() {
			if strings.HasPrefix(id, "resync_") {
				resyncs++
			}
		}
		return resyncs == 2, fmt.Sprintf("partner handled %v, want the first start's resync and the truncate's", receiver.ids())
	})
}

// A process that streams from the slot while another is still loading its
// snapshot (a rolling deploy) does not leave that snapshot counted: the
// loading process finds the slot moved, and snapshots again rather than
// stream on without what the other streamed.
func TestASnapshotOvertakenByAnotherStreamIsTakenAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	entered, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	search := &snapshotter{recorder: newRecorder("search")}
	search.onSnapshot = func(ctx context.Context, _ indexer.Snapshot) error {
		held := false
		first.Do(func() { held = true })
		if held {
			close(entered)
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	loading := startNoWait(t, b, indexer.Opts{RetryMin: 100 * time.Millisecond}, search)
	select {
	case <-entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the first snapshot never started")
	}
	hub := newRecorder("hub")
	other := start(t, b, indexer.Opts{}, hub)
	tokyo := b.cat.Hotels["tokyo"]
	if _, err := b.pool.Exec(ctx, "UPDATE hotels SET name = 'renamed meanwhile' WHERE id = $1", tokyo); err != nil {
		t.Fatal(err)
	}
	hub.waitFor(t, "the rename", func(e indexer.Event) bool { return e.Key.HotelID == tokyo })
	if err := other.stop(); err != nil {
		t.Fatal(err)
	}
	close(release)
	waitState(t, loading.ix, indexer.StateStreaming)
	if n := search.snapshotCount(); n != 2 {
		t.Fatalf("%d snapshots, want 2: the one overtaken by the other stream was kept", n)
	}
}
