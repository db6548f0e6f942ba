package indexer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
)

// Stats is how the change stream is doing, for metrics and admin queries.
type Stats struct {
	Slot  string `json:"slot"`
	State State  `json:"state"`
	// LastError is the last error that interrupted the stream, if any.
	LastError string `json:"lastError,omitempty"`
	// ReceivedLSN is the end of the last transaction read by this process;
	// ConfirmedLSN the last position it acknowledged to PostgreSQL.
	ReceivedLSN  LSN `json:"receivedLsn"`
	ConfirmedLSN LSN `json:"confirmedLsn"`
	// Snapshots counts the consumer snapshots this process took.
	Snapshots int `json:"snapshots"`
	// Lag is the largest Lag of the consumers: how long the oldest change
	// not yet applied has been committed (0 when every consumer is idle).
	Lag time.Duration `json:"lag"`
	// Server is the slot as PostgreSQL sees it.
	Server    SlotStats       `json:"server"`
	Consumers []ConsumerStats `json:"consumers"`
}

// SlotStats is the replication slot as pg_replication_slots shows it.
type SlotStats struct {
	Exists bool `json:"exists"`
	// Active says a process streams from the slot (this one, or another);
	// ActivePID is its server process.
	Active    bool   `json:"active"`
	ActivePID *int32 `json:"activePid,omitempty"`
	// ConfirmedFlushLSN is the acknowledged position; CurrentWALLSN the
	// server's current WAL position.
	ConfirmedFlushLSN LSN `json:"confirmedFlushLsn"`
	CurrentWALLSN     LSN `json:"currentWalLsn"`
	// RetainedWALBytes is how far the acknowledged position is behind the
	// current WAL (pg_current_wal_lsn() − confirmed_flush_lsn): what a
	// restart would have to read again.
	RetainedWALBytes int64 `json:"retainedWalBytes"`
	// RestartWALBytes is the WAL the server keeps for the slot
	// (pg_current_wal_lsn() − restart_lsn), which disk usage follows.
	RestartWALBytes int64 `json:"restartWalBytes"`
	// WALStatus is reserved, extended, unreserved or lost (see
	// max_slot_wal_keep_size); SafeWALSizeBytes how much more WAL may be
	// written before the slot is invalidated (nil: no limit).
	WALStatus        string `json:"walStatus"`
	SafeWALSizeBytes *int64 `json:"safeWalSizeBytes,omitempty"`
}

// ConsumerStats is how one consumer keeps up.
type ConsumerStats struct {
	Name string `json:"name"`
	// AppliedLSN is the end of the last transaction it applied.
	AppliedLSN LSN `json:"appliedLsn"`
	// LastAppliedAt is when it last applied a batch (zero before its first).
	LastAppliedAt time.Time `json:"lastAppliedAt,omitzero"`
	// Queued counts the transactions waiting for it.
	Queued int `json:"queued"`
	// Lag is how long ago the oldest change it is applying was committed
	// (0 when idle): it grows while Apply fails or is slow.
	Lag time.Duration `json:"lag"`
	// LastLag, LagP50 and LagP99 measure commit → applied, for the last
	// transaction and over the last 1024 transactions.
	LastLag time.Duration `json:"lastLag"`
	LagP50  time.Duration `json:"lagP50"`
	LagP99  time.Duration `json:"lagP99"`
	Batches uint64        `json:"batches"`
	Events  uint64        `json:"events"`
	// Failures counts failed Apply calls; LastError is the last one's error.
	Failures    uint64    `json:"failures"`
	LastError   string    `json:"lastError,omitempty"`
	LastErrorAt time.Time `json:"lastErrorAt,omitzero"`
}

// Stats reports the stream's state, each consumer's progress and what the
// slot costs the server (one query). It is safe to call at any time.
func (ix *Indexer) Stats(ctx context.Context) (Stats, error) {
	now := time.Now()
	ix.mu.Lock()
	st := Stats{Slot: ix.opts.Slot, State: ix.state, LastError: ix.lastErr, ReceivedLSN: ix.received,
		ConfirmedLSN: ix.confirmed, Snapshots: ix.snapshots}
	lanes := ix.lanes
	ix.mu.Unlock()
	for _, l := range lanes {
		cs := l.stats(now)
		st.Lag = max(st.Lag, cs.Lag)
		st.Consumers = append(st.Consumers, cs)
	}
	server, err := SlotUsage(ctx, ix.pool, ix.opts.Slot)
	st.Server = server
	return st, err
}

// SlotUsage reads what a slot costs the server, from pg_replication_slots.
func SlotUsage(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, slot string) (SlotStats, error) {
	var s SlotStats
	var confirmed, current string
	err := q.QueryRow(ctx, slotStatsSQL, slot).Scan(&s.Active, &s.ActivePID, &confirmed, &current,
		&s.RetainedWALBytes, &s.RestartWALBytes, &s.WALStatus, &s.SafeWALSizeBytes)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read replication slot %s: %w", slot, err)
	}
	s.Exists = true
	if s.ConfirmedFlushLSN, err = pglogrepl.ParseLSN(confirmed); err != nil {
		return s, fmt.Errorf("read replication slot %s: %w", slot, err)
	}
	if s.CurrentWALLSN, err = pglogrepl.ParseLSN(current); err != nil {
		return s, fmt.Errorf("read replication slot %s: %w", slot, err)
	}
	return s, nil
}
