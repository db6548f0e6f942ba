// Package indexer is the change stream of staygraph: every committed change
// to hotels, room types, rooms, rate plans, nightly rates, maintenance
// blocks, inventory and bookings flows out of PostgreSQL through one logical
// replication slot and reaches every consumer — the Elasticsearch writer
// (indexer/eswriter), the event hub of GraphQL subscriptions (indexer/hub)
// and the partner webhook feed (indexer/partnerfeed).
//
// # From WAL to events
//
// Migration 00009 publishes the eight tables (publication
// staygraph_changes). The Indexer reads them from a named slot with the
// pgoutput plugin (protocol 1, which sends a transaction only once it has
// committed, so a rolled-back transaction never produces anything), and
// turns each committed transaction into Events: {Table, Op, Key, Nights,
// CommitLSN, CommitTime}. The Key holds the row's id or composite key and
// its hotel: the row's own hotel_id, or resolved through the room type
// (inventory) or rate plan (nightly rates) — from the rows of the stream
// first, then PostgreSQL, cached. Changes of one transaction to consecutive
// nights of the same room type or rate plan are merged into one event.
//
// # To consumers
//
// Each Consumer has a lane: a bounded queue of transactions, cut into
// batches of Opts.BatchWait (50 ms) or Opts.BatchEvents (500 events),
// applied in commit order. Apply returns once the batch is durably applied;
// a failed batch is retried with backoff. A slow consumer delays only
// itself until its queue (Opts.QueueTxns) is full; then the stream waits.
// Changes (this package) sums events up per transaction and hotel into
// availability and rate changes, with the nights concerned.
//
// # Acknowledgement
//
// The position acknowledged to PostgreSQL (standby status "flush") is the
// end of the last transaction every consumer applied — or, when every
// consumer applied everything it was given, the server's WAL end between
// transactions, so unrelated traffic does not pile up WAL. Status goes out
// when that position advances and every Opts.StatusInterval (10 s) even when
// idle. After a crash the slot replays from the acknowledged position:
// consumers see some transactions again and must be idempotent (the
// Elasticsearch writer reloads hotels and writes with external versions,
// the hub's subscribers get a notification twice, the partner feed derives
// event ids from the commit LSN).
//
// # Snapshot, then stream
//
// A consumer that needs the whole state is a Snapshotter. When the slot is
// created (first start, or after it was dropped or invalidated), the
// indexer creates it with EXPORT_SNAPSHOT and gives each Snapshotter a
// repeatable-read transaction that imported that snapshot, then streams
// from the slot's consistent point: nothing is missed, nothing counted
// twice. The table indexer_snapshots records which consumers hold the
// state; one that does not (added later, or interrupted) gets a fresh
// snapshot at the next start.
//
// # One process per slot
//
// A slot serves one session at a time. A second indexer on the same slot
// (staygraph indexer, or serve --indexer) finds it in use, waits
// (Opts.SlotRetry) and takes over when the first stops or dies. Run
// survives lost connections and server restarts; it stops with an error
// only for what needs a person (ErrWALLevel, with the fix, and
// ErrNoPublication). Stats reports lag and the WAL the slot retains; see
// docs/operations.md.
package indexer
