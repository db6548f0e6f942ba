// Package eswriter keeps the Elasticsearch catalog current: a consumer of
// the change stream that reloads every hotel a batch touched from
// PostgreSQL (elasticsearch.BuildDocuments) and writes it with an external
// version, the WAL position of the snapshot it was built from; a hotel that
// is gone has its document deleted. Reloading instead of patching makes
// every write idempotent, so replays after a restart are harmless and an
// older build arriving late never replaces a newer one. A document an
// index refuses for what it is (elasticsearch.RefusedError) is recorded and
// passed over, not retried: no retry could change the answer, and waiting
// would hold the stream. A snapshot's rebuild that is refused leaves the
// index as it was, and the stream goes on over it.
//
// On its first start (and whenever the slot is recreated) it is given the
// slot's exported snapshot: it builds every hotel's document inside that
// snapshot (elasticsearch.BuildDocumentsTx) and rebuilds the index behind its
// alias (elasticsearch.Engine.Rebuild), then follows the stream from the
// snapshot's position.
package eswriter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/internal/search/elasticsearch"
)

// Index is where documents go; *elasticsearch.Engine is one.
type Index interface {
	Upsert(ctx context.Context, docs []elasticsearch.Document) error
	Delete(ctx context.Context, ids []uuid.UUID, version int64) error
	Rebuild(ctx context.Context, load func(yield func(elasticsearch.Document) error) error, progress func(done, total int)) error
}

var _ Index = (*elasticsearch.Engine)(nil)

// DefaultBatchHotels is how many hotels one document build reads.
const DefaultBatchHotels = 100

// Opts tunes a Writer. Zero values take the defaults.
type Opts struct {
	// Name distinguishes writers of several aliases ("elasticsearch").
	Name string
	// From is the first night documents describe (default: yesterday in
	// UTC, on or before every hotel's business date, as staygraph reindex).
	From func() time.Time
	// Nights is the window documents describe (elasticsearch.DefaultNights).
	Nights int
	// BatchHotels bounds the hotels of one BuildDocuments (DefaultBatchHotels).
	BatchHotels int
	// Logger receives snapshot progress and refused documents; nil discards.
	Logger *slog.Logger
}

// Writer is the Elasticsearch consumer of the change stream.
type Writer struct {
	index Index
	pool  *pgxpool.Pool
	opts  Opts
}

var (
	_ indexer.Consumer    = (*Writer)(nil)
	_ indexer.Snapshotter = (*Writer)(nil)
)

// New returns a writer that reads documents from pool and writes them to index.
func New(index Index, pool *pgxpool.Pool, opts Opts) *Writer {
	if opts.Name == "" {
		opts.Name = "elasticsearch"
	}
	if opts.From == nil {
		opts.From = func() time.Time { return time.Now().UTC().AddDate(0, 0, -1) }
	}
	if opts.Nights <= 0 {
		opts.Nights = elasticsearch.DefaultNights
	}
	if opts.BatchHotels <= 0 {
		opts.BatchHotels = DefaultBatchHotels
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Writer{index: index, pool: pool, opts: opts}
}

// Name implements indexer.Consumer.
func (w *Writer) Name() string { return w.opts.Name }

// Apply implements indexer.Consumer: the hotels the batch touched are
// rebuilt from PostgreSQL and written, those gone deleted. A truncated
// table means every hotel changed: the index is rebuilt.
func (w *Writer) Apply(ctx context.Context, batch []indexer.Event) error {
	for _, e := range batch {
		if e.Op == indexer.Truncate {
			ids, err := allHotels(ctx, w.pool)
			if err != nil {
				return err
			}
			return w.rebuild(ctx, ids, w.current)
		}
	}
	ids := Affected(batch)
	for chunk := range slices.Chunk(ids, w.opts.BatchHotels) {
		if err := w.write(ctx, chunk); err != nil {
			return err
		}
	}
	return nil
}

// Affected are the hotels whose documents a batch may change, sorted:
// every change but a booking's (whose effect on availability arrives as
// inventory changes of the same transaction).
func Affected(batch []indexer.Event) []uuid.UUID {
	var relevant []indexer.Event
	for _, e := range batch {
		if e.Table != indexer.Bookings {
			relevant = append(relevant, e)
		}
	}
	ids := indexer.HotelIDs(relevant)
	indexer.SortIDs(ids)
	return ids
}

// write rebuilds the documents of hotels and writes them; hotels without a
// document (deleted) are deleted from the index.
func (w *Writer) write(ctx context.Context, ids []uuid.UUID) error {
	docs, err := w.current(ctx, ids, w.opts.From())
	if err != nil {
		return fmt.Errorf("build documents: %w", err)
	}
	if err := w.refused(w.index.Upsert(ctx, docs)); err != nil {
		return fmt.Errorf("index %d hotels: %w", len(docs), err)
	}
	var gone []uuid.UUID
	for _, id := range ids {
		if !slices.ContainsFunc(docs, func(d elasticsearch.Document) bool { return d.ID == id }) {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	version, err := elasticsearch.DeleteVersion(ctx, w.pool)
	if err != nil {
		return fmt.Errorf("delete %d hotels: %w", len(gone), err)
	}
	if err := w.index.Delete(ctx, gone, version); err != nil {
		return fmt.Errorf("delete %d hotels: %w", len(gone), err)
	}
	return nil
}

// Snapshot implements indexer.Snapshotter: the index is rebuilt with the
// hotels of the snapshot, their documents built inside the snapshot's
// transaction and versioned with its WAL position. With the slot's exported
// snapshot they describe exactly the state the stream continues from: a
// change committed later is not in them but arrives through the stream.
func (w *Writer) Snapshot(ctx context.Context, snap indexer.Snapshot) error {
	rows, err := snap.Tx.Query(ctx, hotelIDsSQL)
	if err != nil {
		return fmt.Errorf("read hotels of the snapshot: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return fmt.Errorf("read hotels of the snapshot: %w", err)
	}
	return w.rebuild(ctx, ids, func(ctx context.Context, chunk []uuid.UUID, from time.Time) ([]elasticsearch.Document, error) {
		return elasticsearch.BuildDocumentsTx(ctx, snap.Tx, chunk, from, w.opts.Nights, int64(snap.Position))
	})
}

// buildFunc builds the documents of hotels for the Opts.Nights nights from from.
type buildFunc func(ctx context.Context, hotelIDs []uuid.UUID, from time.Time) ([]elasticsearch.Document, error)

// current builds documents from the database as it is now.
func (w *Writer) current(ctx context.Context, hotelIDs []uuid.UUID, from time.Time) ([]elasticsearch.Document, error) {
	return elasticsearch.BuildDocuments(ctx, w.pool, hotelIDs, from, w.opts.Nights)
}

// rebuild fills a new index with the documents of ids and moves the alias to it.
func (w *Writer) rebuild(ctx context.Context, ids []uuid.UUID, build buildFunc) error {
	w.opts.Logger.Info("rebuilding the elasticsearch index", "hotels", len(ids))
	from := w.opts.From()
	load := func(yield func(elasticsearch.Document) error) error {
		for chunk := range slices.Chunk(ids, w.opts.BatchHotels) {
			docs, err := build(ctx, chunk, from)
			if err != nil {
				return fmt.Errorf("build documents: %w", err)
			}
			for _, d := range docs {
				if err := yield(d); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := w.index.Rebuild(ctx, load, nil)
	var refused *elasticsearch.RefusedError
	if errors.As(err, &refused) {
		// Rebuilding again would be refused again: the stream goes on over
		// the index as it was, whose documents later changes rewrite.
		w.opts.Logger.Error("elasticsearch refused documents of the rebuild; the index was not rebuilt and serves its previous documents (fix them, then run staygraph reindex)",
			"documents", len(refused.Refusals), "err", err)
		return nil
	}
	var cleanup *elasticsearch.CleanupError
	if errors.As(err, &cleanup) {
		// The index is rebuilt and serves searches: rebuilding again would
		// leave the same garbage.
		w.opts.Logger.Warn("elasticsearch index rebuilt, but what it replaced was not cleared (delete it by hand)", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("rebuild the elasticsearch index: %w", err)
	}
	return nil
}

// refused logs the documents an index refused for what they are (the
// engine recorded them) and returns nil for them: sending them again cannot
// succeed, and holding the stream for them would hold the WAL. Any other
// error it returns, and the batch is retried.
func (w *Writer) refused(err error) error {
	var refused *elasticsearch.RefusedError
	if !errors.As(err, &refused) {
		return err
	}
	w.opts.Logger.Error("elasticsearch refused documents; they stay as they were in the index (see search_index_refusals)",
		"documents", len(refused.Refusals), "err", refused)
	return nil
}

func allHotels(ctx context.Context, pool *pgxpool.Pool) ([]uuid.UUID, error) {
	rows, err := pool.Query(ctx, hotelIDsSQL)
	if err != nil {
		return nil, fmt.Errorf("list hotels: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("list hotels: %w", err)
	}
	return ids, nil
}
