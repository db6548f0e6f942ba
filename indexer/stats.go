package indexer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
)

// Stats is how the change stream is doing, for metrics and admin queries.
// As JSON (MarshalJSON: GET /stats of 'staygraph indexer --stats-addr') it
// has the fields of the GraphQL type ChangeStream, and the same figures:
// durations in milliseconds (fields ending in Ms), WAL positions in
// PostgreSQL's text form (0/16B3748).
type Stats struct {
	Slot  string
	State State
	// LastError is the last error that interrupted the stream, if any.
	LastError string
	// ReceivedLSN is the end of the last transaction read by this process;
	// ConfirmedLSN the last position it acknowledged to PostgreSQL.
	ReceivedLSN  LSN
	ConfirmedLSN LSN
	// Snapshots counts the consumer snapshots this process took.
	Snapshots int
	// Lag is the largest Lag of the consumers: how long the oldest change
	// not yet applied has been committed (0 when every consumer is idle).
	Lag time.Duration
	// Server is the slot as PostgreSQL sees it (replicationSlot in JSON).
	Server    SlotStats
	Consumers []ConsumerStats
}

// SlotStats is the replication slot as pg_replication_slots shows it.
type SlotStats struct {
	Exists bool
	// Active says a process streams from the slot (this one, or another);
	// ActivePID is its server process.
	Active    bool
	ActivePID *int32
	// ConfirmedFlushLSN is the acknowledged position; CurrentWALLSN the
	// server's current WAL position.
	ConfirmedFlushLSN LSN
	CurrentWALLSN     LSN
	// RetainedWALBytes is how far the acknowledged position is behind the
	// current WAL (pg_current_wal_lsn() − confirmed_flush_lsn): what a
	// restart would have to read again.
	RetainedWALBytes int64
	// RestartWALBytes is the WAL the server keeps for the slot
	// (pg_current_wal_lsn() − restart_lsn), which disk usage follows.
	RestartWALBytes int64
	// WALStatus is reserved, extended, unreserved or lost (see
	// max_slot_wal_keep_size); SafeWALSizeBytes how much more WAL may be
	// written before the slot is invalidated (nil: no limit).
	WALStatus        string
	SafeWALSizeBytes *int64
}

// ConsumerStats is how one consumer keeps up.
type ConsumerStats struct {
	Name string
	// AppliedLSN is the end of the last transaction it applied.
	AppliedLSN LSN
	// LastAppliedAt is when it last applied a batch (zero before its first).
	LastAppliedAt time.Time
	// Queued counts the transactions waiting for it.
	Queued int
	// Lag is how long ago the oldest change it is applying was committed
	// (0 when idle): it grows while Apply fails or is slow.
	Lag time.Duration
	// LastLag, LagP50 and LagP99 measure commit → applied, for the last
	// transaction and over the last 1024 transactions.
	LastLag time.Duration
	LagP50  time.Duration
	LagP99  time.Duration
	Batches uint64
	Events  uint64
	// Failures counts failed Apply calls; LastError is the last one's error.
	Failures    uint64
	LastError   string
	LastErrorAt time.Time
}

// MarshalJSON writes the stats with the field names of the GraphQL type
// ChangeStream, plus snapshots; lastError is left out when there is none.
func (s Stats) MarshalJSON() ([]byte, error) {
	consumers := s.Consumers
	if consumers == nil {
		consumers = []ConsumerStats{}
	}
	return json.Marshal(struct {
		Slot            string          `json:"slot"`
		State           State           `json:"state"`
		LastError       string          `json:"lastError,omitempty"`
		ReceivedLSN     string          `json:"receivedLsn"`
		ConfirmedLSN    string          `json:"confirmedLsn"`
		Snapshots       int             `json:"snapshots"`
		LagMs           float64         `json:"lagMs"`
		ReplicationSlot SlotStats       `json:"replicationSlot"`
		Consumers       []ConsumerStats `json:"consumers"`
	}{s.Slot, s.State, s.LastError, s.ReceivedLSN.String(), s.ConfirmedLSN.String(), s.Snapshots,
		millis(s.Lag), s.Server, consumers})
}

// MarshalJSON writes the slot with the field names of the GraphQL type
// ReplicationSlot, plus activePid; activePid and safeWalSizeBytes are left
// out when null.
func (s SlotStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Exists            bool   `json:"exists"`
		Active            bool   `json:"active"`
		ActivePID         *int32 `json:"activePid,omitempty"`
		ConfirmedFlushLSN string `json:"confirmedFlushLsn"`
		CurrentWALLSN     string `json:"currentWalLsn"`
		RetainedWALBytes  int64  `json:"retainedWalBytes"`
		RestartWALBytes   int64  `json:"restartWalBytes"`
		WALStatus         string `json:"walStatus"`
		SafeWALSizeBytes  *int64 `json:"safeWalSizeBytes,omitempty"`
	}{s.Exists, s.Active, s.ActivePID, s.ConfirmedFlushLSN.String(), s.CurrentWALLSN.String(),
		s.RetainedWALBytes, s.RestartWALBytes, s.WALStatus, s.SafeWALSizeBytes})
}

// MarshalJSON writes the consumer with the field names of the GraphQL type
// ChangeConsumer; lastAppliedAt, lastError and lastErrorAt are left out
// when there is none.
func (c ConsumerStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name          string    `json:"name"`
		AppliedLSN    string    `json:"appliedLsn"`
		LastAppliedAt time.Time `json:"lastAppliedAt,omitzero"`
		Queued        int       `json:"queued"`
		LagMs         float64   `json:"lagMs"`
		LastLagMs     float64   `json:"lastLagMs"`
		LagP50Ms      float64   `json:"lagP50Ms"`
		LagP99Ms      float64   `json:"lagP99Ms"`
		Batches       uint64    `json:"batches"`
		Events        uint64    `json:"events"`
		Failures      uint64    `json:"failures"`
		LastError     string    `json:"lastError,omitempty"`
		LastErrorAt   time.Time `json:"lastErrorAt,omitzero"`
	}{c.Name, c.AppliedLSN.String(), c.LastAppliedAt, c.Queued, millis(c.Lag), millis(c.LastLag),
		millis(c.LagP50), millis(c.LagP99), c.Batches, c.Events, c.Failures, c.LastError, c.LastErrorAt})
}

// millis is d in milliseconds, as the GraphQL fields ending in Ms have it.
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

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
