package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults of Opts.
const (
	DefaultSlot           = "staygraph_indexer"
	DefaultPublication    = "staygraph_changes"
	DefaultBatchWait      = 50 * time.Millisecond
	DefaultBatchEvents    = 500
	DefaultQueueTxns      = 4096
	DefaultStatusInterval = 10 * time.Second
	DefaultSlotRetry      = 3 * time.Second
)

// ErrWALLevel means the server does not run with wal_level=logical, which
// the change stream needs. Its message says how to fix it.
var ErrWALLevel = errors.New("PostgreSQL must run with wal_level=logical for the change stream")

// ErrNoPublication means the publication is missing: migrations were not applied.
var ErrNoPublication = errors.New("the change stream's publication is missing")

// Opts tunes an Indexer. Zero values take the defaults.
type Opts struct {
	// Slot is the name of the replication slot (DefaultSlot): one process
	// at a time streams from it, others wait to take over.
	Slot string
	// Publication is the publication read (DefaultPublication).
	Publication string
	// BatchWait is how long a consumer's batch waits for more transactions
	// after its first one (DefaultBatchWait).
	BatchWait time.Duration
	// BatchEvents closes a batch early once it holds this many events
	// (DefaultBatchEvents). A transaction is never split.
	BatchEvents int
	// QueueTxns bounds the transactions queued for each consumer
	// (DefaultQueueTxns); when one is full the stream waits.
	QueueTxns int
	// StatusInterval is the longest time between two standby status
	// messages to the server, even when idle (DefaultStatusInterval).
	StatusInterval time.Duration
	// SlotRetry is how often a process waiting for a slot in use by
	// another one tries again (DefaultSlotRetry).
	SlotRetry time.Duration
	// RetryMin and RetryMax bound the backoff between attempts after a
	// failure: of a consumer's batch, or of the stream (100ms and 30s).
	RetryMin, RetryMax time.Duration
	// Logger receives progress and errors; nil discards them.
	Logger *slog.Logger
}

var slotNameRE = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

func (o *Opts) defaults() error {
	if o.Slot == "" {
		o.Slot = DefaultSlot
	}
	if !slotNameRE.MatchString(o.Slot) {
		return fmt.Errorf("replication slot name %q: use 1 to 63 lower-case letters, digits and underscores", o.Slot)
	}
	if o.Publication == "" {
		o.Publication = DefaultPublication
	}
	if !slotNameRE.MatchString(o.Publication) {
		return fmt.Errorf("publication name %q: use 1 to 63 lower-case letters, digits and underscores", o.Publication)
	}
	if o.BatchWait <= 0 {
		o.BatchWait = DefaultBatchWait
	}
	if o.BatchEvents <= 0 {
		o.BatchEvents = DefaultBatchEvents
	}
	if o.QueueTxns <= 0 {
		o.QueueTxns = DefaultQueueTxns
	}
	if o.StatusInterval <= 0 {
		o.StatusInterval = DefaultStatusInterval
	}
	if o.SlotRetry <= 0 {
		o.SlotRetry = DefaultSlotRetry
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 100 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Indexer streams the committed changes of the publication from a logical
// replication slot to its consumers, and acknowledges each position to
// PostgreSQL once every consumer applied it.
type Indexer struct {
	pool      *pgxpool.Pool
	consumers []Consumer
	opts      Opts
	log       *slog.Logger
	resolver  *resolver // used by the streaming goroutine only

	mu        sync.Mutex
	state     State
	lastErr   string
	lanes     []*lane
	received  LSN // highest WAL position read from the stream
	confirmed LSN // last position acknowledged to the server
	snapshots int // snapshots taken by this process
}

// State is what an Indexer is doing.
type State string

// The states of an Indexer.
const (
	StateStarting  State = "starting"
	StateWaiting   State = "waiting for the slot" // another process streams from it
	StateSnapshot  State = "snapshot"             // consumers load the whole state
	StateStreaming State = "streaming"
	StateRetrying  State = "retrying" // after an error, see Stats.LastError
	StateStopped   State = "stopped"
)

// New returns an indexer that reads pool's database (the replication
// connection uses pool's connection settings) and feeds consumers, whose
// names must differ.
func New(pool *pgxpool.Pool, consumers []Consumer, opts Opts) (*Indexer, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, c := range consumers {
		if names[c.Name()] {
			return nil, fmt.Errorf("two consumers are named %q", c.Name())
		}
		names[c.Name()] = true
	}
	return &Indexer{pool: pool, consumers: consumers, opts: opts, log: opts.Logger.With("slot", opts.Slot),
		resolver: newResolver(pool), state: StateStarting}, nil
}

// Check reports whether pool's server and database can run the change
// stream: wal_level=logical (ErrWALLevel otherwise, saying how to fix it)
// and the publication in place (ErrNoPublication: run the migrations).
func Check(ctx context.Context, pool *pgxpool.Pool, publication string) error {
	if publication == "" {
		publication = DefaultPublication
	}
	var level string
	if err := pool.QueryRow(ctx, walLevelSQL).Scan(&level); err != nil {
		return fmt.Errorf("read wal_level: %w", err)
	}
	if level != "logical" {
		return fmt.Errorf("%w, and this server runs with wal_level=%s. As a superuser run\n"+
			"    ALTER SYSTEM SET wal_level = logical;\n"+
			"then restart PostgreSQL (a reload is not enough). 'staygraph dev' without DATABASE_URL starts a private PostgreSQL that has it. "+
			"Or do without the change stream (serve and dev: --indexer=false): search with PostgreSQL, which is never stale",
			ErrWALLevel, level)
	}
	var exists bool
	if err := pool.QueryRow(ctx, publicationExistsSQL, publication).Scan(&exists); err != nil {
		return fmt.Errorf("look up publication %s: %w", publication, err)
	}
	if !exists {
		return fmt.Errorf("%w: publication %s does not exist in this database; run 'staygraph migrate'", ErrNoPublication, publication)
	}
	return nil
}

// Run streams until ctx ends, then returns nil. It survives what can be
// survived: a lost connection or a restarted server (it reconnects and
// resumes from the acknowledged position), a slot in use by another process
// (it waits and takes over when that one stops), a dropped or invalidated
// slot (it recreates it and gives the consumers a snapshot). It returns an
// error only for what needs a person: ErrWALLevel, ErrNoPublication, a slot
// of the wrong kind.
func (ix *Indexer) Run(ctx context.Context) error {
	defer ix.setState(StateStopped, nil)
	backoff := ix.opts.RetryMin
	for {
		err := ix.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var inUse *slotInUseError
		switch {
		case errors.Is(err, ErrWALLevel), errors.Is(err, ErrNoPublication), errors.Is(err, errSlotMisfit):
			ix.log.Error("change stream cannot run", "err", err)
			return err
		case errors.As(err, &inUse):
			if ix.stateIs(StateWaiting) {
				ix.log.Debug("replication slot still in use", "pid", inUse.pid)
			} else {
				ix.log.Info("replication slot in use by another process; waiting to take over", "pid", inUse.pid, "retry_every", ix.opts.SlotRetry)
			}
			ix.setState(StateWaiting, nil)
			backoff = ix.opts.RetryMin
			if !sleep(ctx, ix.opts.SlotRetry) {
				return nil
			}
			continue
		case err == nil:
			err = errors.New("stream ended")
		}
		if ix.stateIs(StateStreaming) {
			backoff = ix.opts.RetryMin // it ran: start over from a short wait
		}
		ix.log.Warn("change stream interrupted; reconnecting", "retry_in", backoff, "err", err)
		ix.setState(StateRetrying, err)
		if !sleep(ctx, backoff) {
			return nil
		}
		backoff = min(2*backoff, ix.opts.RetryMax)
	}
}

// runOnce checks the server, prepares the slot, snapshots the consumers
// that need it and streams until an error.
func (ix *Indexer) runOnce(ctx context.Context) error {
	if err := Check(ctx, ix.pool, ix.opts.Publication); err != nil {
		return err
	}
	slot, err := ix.slotStatus(ctx)
	if err != nil {
		return err
	}
	if slot.exists && slot.activePID != nil {
		return &slotInUseError{pid: *slot.activePID}
	}
	if slot.exists && slot.lost {
		ix.log.Warn("replication slot was invalidated: PostgreSQL removed WAL it still needed (max_slot_wal_keep_size). " +
			"Recreating it; consumers that keep the whole state rebuild it from a snapshot, changes in between are not replayed")
		if err := ix.dropSlot(ctx); err != nil {
			return err
		}
		slot.exists = false
	}
	conn, err := ix.replicationConn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))

	start := slot.confirmed
	var taken []string
	if !slot.exists {
		if start, taken, err = ix.createSlot(ctx, conn); err != nil {
			return err
		}
	} else if taken, err = ix.snapshotMissing(ctx, start); err != nil {
		return err
	}
	s := newStream(ix, conn, start, taken)
	return s.run(ctx)
}

func (ix *Indexer) setState(s State, err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.state = s
	if err != nil {
		ix.lastErr = err.Error()
	}
}

func (ix *Indexer) stateIs(s State) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.state == s
}

// replicationConn opens a logical replication connection with the pool's settings.
func (ix *Indexer) replicationConn(ctx context.Context) (*pgconn.PgConn, error) {
	cfg := ix.pool.Config().ConnConfig.Config.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["replication"] = "database"
	cfg.RuntimeParams["application_name"] = "staygraph-indexer"
	// pgoutput writes dates in the session's style: the decoder reads ISO,
	// whatever the database or role sets.
	cfg.RuntimeParams["datestyle"] = "ISO"
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open replication connection (the database user needs the REPLICATION attribute): %w", err)
	}
	return conn, nil
}

// sleep waits d or until ctx ends, and reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
