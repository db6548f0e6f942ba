package indexer

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Consumer receives the committed changes of the stream, in commit order,
// in batches.
//
// Apply returns only once the batch is durably applied (indexed, queued in
// PostgreSQL, handed to subscribers): the indexer acknowledges a position to
// PostgreSQL only after every consumer applied everything before it. An
// error makes the indexer retry the same batch (with backoff) until it
// succeeds. After a crash or restart the stream resumes from the last
// acknowledged position, so a consumer sees some batches again, possibly
// cut differently: Apply must be idempotent.
type Consumer interface {
	// Name identifies the consumer in logs, statistics and the
	// indexer_snapshots table; keep it stable.
	Name() string
	Apply(ctx context.Context, batch []Event) error
}

// Snapshotter is a Consumer that needs the whole state before it can
// follow changes, like a search index. It is given a Snapshot before the
// stream when it holds none for the slot: when the slot is created (first
// start, or after it was dropped or invalidated), and when a previous
// snapshot did not finish. After Snapshot returns nil it is not asked again
// for this slot.
type Snapshotter interface {
	Consumer
	Snapshot(ctx context.Context, snap Snapshot) error
}

// Snapshot is a consistent view of the database to load the whole state
// from; the stream then continues with the changes committed after LSN.
type Snapshot struct {
	// Tx is a read-only repeatable-read transaction, shared by the
	// consumers being snapshotted (one at a time). Do not commit it.
	Tx pgx.Tx
	// LSN is where the stream continues.
	LSN LSN
	// Position is the WAL position of the state Tx sees: every transaction
	// Tx sees committed before it. It is LSN when Exported, later
	// otherwise. A consumer that versions what it builds from Tx (the
	// Elasticsearch writer) gives it this version.
	Position LSN
	// Exported says Tx sees exactly the state at LSN: the slot was just
	// created and Tx imported its exported snapshot. Otherwise (a consumer
	// added later, or a snapshot interrupted) Tx sees a later state and the
	// changes between LSN and it are streamed again, which an idempotent
	// consumer absorbs.
	Exported bool
}
