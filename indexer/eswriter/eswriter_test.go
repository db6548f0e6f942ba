package eswriter_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/eswriter"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/search/elasticsearch"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

// index records what the writer asks of the search index. It refuses the
// documents of refuse as Elasticsearch refuses a document for what it is,
// and fails every write with fail when set.
type index struct {
	mu       sync.Mutex
	upserted []uuid.UUID
	deleted  []uuid.UUID
	// newest is the highest version upserted; deletedAt the versions of
	// the deletes
	newest    int64
	deletedAt []int64
	rebuilt   []uuid.UUID
	refuse    []uuid.UUID
	fail      error
	// rebuilds counts Rebuild's calls; answer, when set, is what a rebuild
	// answers after loading, as when the alias moved but the old index
	// could not be deleted.
	rebuilds int
	answer   error
}

func (x *index) Upsert(_ context.Context, docs []elasticsearch.Document) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.fail != nil {
		return x.fail
	}
	refused := &elasticsearch.RefusedError{}
	for _, d := range docs {
		if d.Version <= 0 {
			panic("a document without its WAL position")
		}
		if slices.Contains(x.refuse, d.ID) {
			refused.Refusals = append(refused.Refusals, elasticsearch.Refusal{ID: d.ID, Status: 400, Type: "document_parsing_exception"})
			continue
		}
		x.upserted = append(x.upserted, d.ID)
		x.newest = max(x.newest, d.Version)
	}
	if len(refused.Refusals) > 0 {
		return refused
	}
	return nil
}

func (x *index) Delete(_ context.Context, ids []uuid.UUID, version int64) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleted = append(x.deleted, ids...)
	x.deletedAt = append(x.deletedAt, version)
	return nil
}

func (x *index) Rebuild(_ context.Context, load func(yield func(elasticsearch.Document) error) error, _ func(int, int)) error {
	x.rebuilds++
	refused := &elasticsearch.RefusedError{}
	err := load(func(d elasticsearch.Document) error {
		x.mu.Lock()
		defer x.mu.Unlock()
		if slices.Contains(x.refuse, d.ID) {
			refused.Refusals = append(refused.Refusals, elasticsearch.Refusal{ID: d.ID, Status: 400})
			return nil
		}
		x.rebuilt = append(x.rebuilt, d.ID)
		return nil
	})
	if err == nil && len(refused.Refusals) > 0 {
		return refused
	}
	if err == nil && x.answer != nil {
		return x.answer
	}
	return err
}

func sorted(ids []uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	indexer.SortIDs(out)
	return out
}

func TestWriter(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	cat := searchtest.Load(t, pool)
	ctx := t.Context()
	x := &index{}
	w := eswriter.New(x, pool, eswriter.Opts{From: func() time.Time { return time.Date(2027, 6, 18, 0, 0, 0, 0, time.UTC) }, Nights: 3, BatchHotels: 2})

	// A snapshot rebuilds the index with every hotel of the snapshot.
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if err := w.Snapshot(ctx, indexer.Snapshot{Tx: tx, LSN: 1}); err != nil {
		t.Fatal(err)
	}
	var all []uuid.UUID
	for _, id := range cat.Hotels {
		all = append(all, id)
	}
	if !slices.Equal(sorted(x.rebuilt), sorted(all)) {
		t.Errorf("rebuilt %d hotels, want the %d of the catalog", len(x.rebuilt), len(all))
	}

	// A batch upserts the hotels it touched and deletes those that are gone;
	// bookings alone touch nothing.
	gone := uuid.New()
	lumiere, tokyo := cat.Hotels["lumiere"], cat.Hotels["tokyo"]
	batch := []indexer.Event{
		{Table: indexer.Inventory, Op: indexer.Update, Key: indexer.Key{HotelID: lumiere}},
		{Table: indexer.Bookings, Op: indexer.Insert, Key: indexer.Key{HotelID: tokyo}},
		{Table: indexer.Hotels, Op: indexer.Delete, Key: indexer.Key{HotelID: gone, ID: gone}},
		{Table: indexer.NightlyRates, Op: indexer.Update, Key: indexer.Key{}}, // hotel unknown
		{Table: indexer.Rooms, Op: indexer.Update, Key: indexer.Key{HotelID: lumiere}},
	}
	if got := eswriter.Affected(batch); !slices.Equal(got, sorted([]uuid.UUID{lumiere, gone})) {
		t.Errorf("affected %v", got)
	}
	if err := w.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x.upserted, []uuid.UUID{lumiere}) || !slices.Equal(x.deleted, []uuid.UUID{gone}) {
		t.Errorf("upserted %v, deleted %v", x.upserted, x.deleted)
	}
	// the delete is versioned past every document built before it, so a
	// document of the hotel built while it existed cannot bring it back
	if len(x.deletedAt) != 1 || x.deletedAt[0] <= x.newest {
		t.Errorf("deleted at versions %v, want one above the documents' %d", x.deletedAt, x.newest)
	}

	// A truncated table rebuilds everything.
	x.rebuilt = nil
	if err := w.Apply(ctx, []indexer.Event{{Table: indexer.Inventory, Op: indexer.Truncate}}); err != nil {
		t.Fatal(err)
	}
	if len(x.rebuilt) != len(all) {
		t.Errorf("a truncate rebuilt %d hotels", len(x.rebuilt))
	}
}

// A document the index refuses for what it is does not hold the stream: the
// batch is applied with the other documents written, a snapshot whose
// rebuild was refused is passed over (the index stays as it was), while any
// other failure fails the batch, which the indexer then retries.
func TestWriterGoesOnPastRefusedDocuments(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	cat := searchtest.Load(t, pool)
	ctx := t.Context()
	lumiere, tokyo := cat.Hotels["lumiere"], cat.Hotels["tokyo"]
	x := &index{refuse: []uuid.UUID{lumiere}}
	w := eswriter.New(x, pool, eswriter.Opts{From: func() time.Time { return time.Date(2027, 6, 18, 0, 0, 0, 0, time.UTC) }, Nights: 3})
	batch := []indexer.Event{
		{Table: indexer.Inventory, Op: indexer.Update, Key: indexer.Key{HotelID: lumiere}},
		{Table: indexer.Inventory, Op: indexer.Update, Key: indexer.Key{HotelID: tokyo}},
	}
	if err := w.Apply(ctx, batch); err != nil {
		t.Fatalf("a refused document failed the batch: %v", err)
	}
	if !slices.Equal(x.upserted, []uuid.UUID{tokyo}) {
		t.Errorf("upserted %v, want tokyo's document", x.upserted)
	}

	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if err := w.Snapshot(ctx, indexer.Snapshot{Tx: tx, LSN: 1}); err != nil {
		t.Fatalf("a refused document failed the snapshot: %v", err)
	}
	if len(x.rebuilt) != len(cat.Hotels)-1 || slices.Contains(x.rebuilt, lumiere) {
		t.Errorf("rebuilt %d hotels, want the %d accepted", len(x.rebuilt), len(cat.Hotels)-1)
	}

	x.fail = errors.New("es_rejected_execution_exception")
	if err := w.Apply(ctx, batch); err == nil || !strings.Contains(err.Error(), "es_rejected_execution_exception") {
		t.Errorf("a failed write applied the batch: %v", err)
	}
}

// A rebuild that moved the alias but could not delete the index it replaced
// succeeded: the snapshot is taken as applied, not rebuilt again and again.
func TestWriterTakesARebuildWithGarbageLeftAsDone(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	searchtest.Load(t, pool)
	ctx := t.Context()
	x := &index{answer: &elasticsearch.CleanupError{Index: "staygraph-hotels-2", Err: errors.New("delete the old index staygraph-hotels-1: security_exception")}}
	w := eswriter.New(x, pool, eswriter.Opts{From: func() time.Time { return time.Date(2027, 6, 18, 0, 0, 0, 0, time.UTC) }, Nights: 3})
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if err := w.Snapshot(ctx, indexer.Snapshot{Tx: tx, LSN: 1}); err != nil || x.rebuilds != 1 {
		t.Fatalf("snapshot: %v after %d rebuilds, want done after 1", err, x.rebuilds)
	}
	x.answer = errors.New("cluster_block_exception")
	if err := w.Snapshot(ctx, indexer.Snapshot{Tx: tx, LSN: 2}); err == nil {
		t.Error("a rebuild that failed was taken as done")
	}
}
