package indexer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATEs the slot handling tells apart.
const (
	sqlstateObjectInUse     = "55006" // the slot is active for another process
	sqlstateNotInState      = "55000" // the slot was invalidated
	sqlstateDuplicateObject = "42710" // the slot was created meanwhile
	sqlstateUndefinedObject = "42704" // the slot is gone
)

// slotInUseError means another process streams from the slot.
type slotInUseError struct{ pid int32 }

func (e *slotInUseError) Error() string {
	if e.pid == 0 {
		return "replication slot is in use by another process"
	}
	return fmt.Sprintf("replication slot is in use by the server process %d", e.pid)
}

// errSlotMisfit means a slot of the name exists but cannot serve the stream.
var errSlotMisfit = errors.New("replication slot exists but does not fit")

// slotStatus is the slot as pg_replication_slots shows it.
type slotStatus struct {
	exists    bool
	activePID *int32
	lost      bool
	confirmed LSN
}

func (ix *Indexer) slotStatus(ctx context.Context) (slotStatus, error) {
	var s slotStatus
	var plugin, kind, database *string
	var sameDB bool
	var confirmed string
	err := ix.pool.QueryRow(ctx, slotSQL, ix.opts.Slot).Scan(&plugin, &kind, &database, &sameDB, &s.activePID, &s.lost, &confirmed)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("look up replication slot %s: %w", ix.opts.Slot, err)
	}
	s.exists = true
	if deref(kind) != "logical" || deref(plugin) != "pgoutput" || !sameDB {
		return s, fmt.Errorf("%w: %s is a %s slot of plugin %q in database %q, the indexer needs a logical pgoutput slot of this database; "+
			"choose another slot name or drop it with SELECT pg_drop_replication_slot('%s')",
			errSlotMisfit, ix.opts.Slot, deref(kind), deref(plugin), deref(database), ix.opts.Slot)
	}
	if s.confirmed, err = pglogrepl.ParseLSN(confirmed); err != nil {
		return s, fmt.Errorf("replication slot %s: confirmed position %q: %w", ix.opts.Slot, confirmed, err)
	}
	return s, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (ix *Indexer) dropSlot(ctx context.Context) error {
	if _, err := ix.pool.Exec(ctx, dropSlotSQL, ix.opts.Slot); err != nil {
		if code := pgCode(err); code == sqlstateObjectInUse {
			return &slotInUseError{}
		} else if code == sqlstateUndefinedObject {
			return nil
		}
		return fmt.Errorf("drop replication slot %s: %w", ix.opts.Slot, err)
	}
	return nil
}

// createSlot creates the slot, exporting a snapshot of the moment its
// stream starts, and hands that snapshot to every Snapshotter before
// anything else runs on conn (which would end the export). It returns
// where the stream starts and the consumers it snapshotted, for claim to
// record.
func (ix *Indexer) createSlot(ctx context.Context, conn *pgconn.PgConn) (LSN, []string, error) {
	// Forget the old slot's snapshots first: should this process stop
	// between the two steps, the next start takes them again rather than
	// stream from a new slot that consumers have no snapshot of.
	if _, err := ix.pool.Exec(ctx, snapshotForgetSQL, ix.opts.Slot); err != nil {
		return 0, nil, fmt.Errorf("reset snapshots of slot %s: %w", ix.opts.Slot, err)
	}
	res, err := pglogrepl.CreateReplicationSlot(ctx, conn, ix.opts.Slot, "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{Mode: pglogrepl.LogicalReplication, SnapshotAction: "EXPORT_SNAPSHOT"})
	if err != nil {
		if pgCode(err) == sqlstateDuplicateObject {
			return 0, nil, &slotInUseError{} // another process just created it
		}
		return 0, nil, fmt.Errorf("create replication slot %s: %w", ix.opts.Slot, err)
	}
	start, err := pglogrepl.ParseLSN(res.ConsistentPoint)
	if err != nil {
		return 0, nil, fmt.Errorf("replication slot %s: consistent point %q: %w", ix.opts.Slot, res.ConsistentPoint, err)
	}
	ix.log.Info("created replication slot", "consistent_point", start)
	taken, err := ix.snapshot(ctx, ix.snapshotters(nil), start, res.SnapshotName)
	if err != nil {
		return 0, nil, err
	}
	return start, taken, nil
}

// snapshotMissing gives a snapshot to the Snapshotters that hold none for
// the slot (added since, or interrupted): a new repeatable-read one, later
// than start, whose difference the stream replays. It returns the consumers
// it snapshotted, for claim to record.
func (ix *Indexer) snapshotMissing(ctx context.Context, start LSN) ([]string, error) {
	rows, err := ix.pool.Query(ctx, snapshotConsumersSQL, ix.opts.Slot)
	if err != nil {
		return nil, fmt.Errorf("read snapshots of slot %s: %w", ix.opts.Slot, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read snapshots of slot %s: %w", ix.opts.Slot, err)
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	return ix.snapshot(ctx, ix.snapshotters(have), start, "")
}

// snapshotters are the consumers that need a snapshot and are not in have.
func (ix *Indexer) snapshotters(have map[string]bool) []Snapshotter {
	var out []Snapshotter
	for _, c := range ix.consumers {
		if s, ok := c.(Snapshotter); ok && !have[c.Name()] {
			out = append(out, s)
		}
	}
	return out
}

// snapshot runs each consumer's Snapshot in one read-only repeatable-read
// transaction, importing the slot's exported snapshot when name is set,
// and returns the names of those it ran. They are recorded by claim, once
// this process streams from the slot: another process may stream from it
// meanwhile, and its changes would be missing from these snapshots.
func (ix *Indexer) snapshot(ctx context.Context, consumers []Snapshotter, start LSN, name string) ([]string, error) {
	if len(consumers) == 0 {
		return nil, nil
	}
	ix.setState(StateSnapshot, nil)
	// The snapshot's transaction runs on a connection of its own, outside the
	// pool: consumers write through the pool while it is open (the partner
	// feed queues its resync, the Elasticsearch writer clears the refusals
	// of the index it replaced), and with every pooled connection taken,
	// one of them held by this transaction, they would wait forever.
	cfg := ix.pool.Config()
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return nil, fmt.Errorf("connect for the snapshot: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx)) //nolint:errcheck // after the rollback below
	if cfg.AfterConnect != nil {
		if err := cfg.AfterConnect(ctx, conn); err != nil {
			return nil, fmt.Errorf("prepare the snapshot's connection: %w", err)
		}
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin snapshot transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	position := start
	if name != "" {
		if _, err := tx.Exec(ctx, importSnapshotSQL+" "+quoteLiteral(name)); err != nil {
			return nil, fmt.Errorf("import the slot's snapshot %s: %w", name, err)
		}
	} else {
		// The first statement fixes the snapshot: every commit it sees is
		// before the position it reads.
		var pos string
		if err := tx.QueryRow(ctx, walPositionSQL).Scan(&pos); err != nil {
			return nil, fmt.Errorf("read the snapshot's wal position: %w", err)
		}
		if position, err = pglogrepl.ParseLSN(pos); err != nil {
			return nil, fmt.Errorf("read the snapshot's wal position %q: %w", pos, err)
		}
	}
	var taken []string
	for _, c := range consumers {
		began := time.Now()
		ix.log.Info("consumer loads the whole state from a snapshot", "consumer", c.Name(), "lsn", start, "exported", name != "")
		if err := c.Snapshot(ctx, Snapshot{Tx: tx, LSN: start, Position: position, Exported: name != ""}); err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", c.Name(), err)
		}
		taken = append(taken, c.Name())
		ix.mu.Lock()
		ix.snapshots++
		ix.mu.Unlock()
		ix.log.Info("snapshot loaded", "consumer", c.Name(), "took", time.Since(began).Round(time.Millisecond))
	}
	return taken, nil
}

// claim runs once this process streams from the slot, so that no other can
// until it stops. The slot must still stand where this process found or
// made it: if another process streamed from it meanwhile, what it streamed
// is in neither this process's snapshots nor its stream, and this attempt
// ends (the next one snapshots again, as nothing was recorded). Then it
// records the snapshots taken and forgets those of consumers this process
// does not run: they miss what it streams, and a process that runs them
// snapshots them again.
func (ix *Indexer) claim(ctx context.Context, start LSN, taken []string) error {
	slot, err := ix.slotStatus(ctx)
	if err != nil {
		return err
	}
	if slot.confirmed != start {
		return fmt.Errorf("replication slot %s moved from %s to %s while this process prepared to stream: another process streamed from it; starting again",
			ix.opts.Slot, start, slot.confirmed)
	}
	for _, name := range taken {
		if _, err := ix.pool.Exec(ctx, snapshotRecordSQL, ix.opts.Slot, name, start.String()); err != nil {
			return fmt.Errorf("record snapshot of %s: %w", name, err)
		}
	}
	var names []string
	for _, c := range ix.consumers {
		names = append(names, c.Name())
	}
	if _, err := ix.pool.Exec(ctx, snapshotOthersSQL, ix.opts.Slot, names); err != nil {
		return fmt.Errorf("forget snapshots of consumers this process does not run: %w", err)
	}
	return nil
}

// pgCode is the SQLSTATE of err, or "".
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
