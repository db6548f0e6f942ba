package elasticsearch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

// elasticsearchURL is the server of the tests that need one; they skip
// without it.
func elasticsearchURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("ELASTICSEARCH_URL")
	if url == "" {
		t.Skip("set ELASTICSEARCH_URL to run against Elasticsearch")
	}
	return url
}

// newTestEngine is an engine over its own alias, whose indices are deleted
// when the test ends.
func newTestEngine(t *testing.T, url string, pool *pgxpool.Pool) *Engine {
	t.Helper()
	client, err := elasticsearch.NewTypedClient(elasticsearch.Config{Addresses: strings.Split(url, ",")})
	if err != nil {
		t.Fatal(err)
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	e := NewEngine(client, pool, Opts{Alias: "staygraph-test-" + hex.EncodeToString(suffix), BatchSize: 3})
	t.Cleanup(func() {
		ctx := context.Background()
		for _, alias := range []string{e.opts.Alias, nextAlias(e.opts.Alias)} {
			indices, _ := e.aliasIndices(ctx, alias)
			for _, index := range indices {
				if _, err := client.Indices.Delete(index).Do(ctx); err != nil {
					t.Logf("delete test index %s: %v", index, err)
				}
			}
		}
	})
	return e
}

func TestEngine(t *testing.T) {
	url := elasticsearchURL(t)
	t.Parallel()
	searchtest.Run(t, func(t *testing.T, pool *pgxpool.Pool) search.Engine {
		ctx := context.Background()
		e := newTestEngine(t, url, pool)
		if existed, err := e.Init(ctx); err != nil || existed {
			t.Fatalf("init a new alias: existed %v, %v", existed, err)
		}
		from := hoteldate.Date(searchtest.Now).AddDate(0, 0, -1)
		done := 0
		if err := e.Rebuild(ctx, LoadAll(ctx, pool, from, DefaultNights, 2), func(n, _ int) { done = n }); err != nil {
			t.Fatal(err)
		}
		if done != 7 {
			t.Fatalf("rebuild indexed %d documents, want the suite's 7 hotels", done)
		}
		if existed, err := e.Init(ctx); err != nil || !existed {
			t.Fatalf("init after rebuild: existed %v, %v", existed, err)
		}
		if err := e.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		return e
	})
}

func TestUpsertKeepsTheNewestDocument(t *testing.T) {
	url := elasticsearchURL(t)
	t.Parallel()
	b := setupCatalog(t)
	ctx := context.Background()
	e := newTestEngine(t, url, b.pool)
	if _, err := e.Init(ctx); err != nil {
		t.Fatal(err)
	}
	id := b.cat.Hotels["montmartre"]
	older, err := BuildDocuments(ctx, b.pool, []uuid.UUID{id}, *day("2027-06-18"), 30)
	if err != nil {
		t.Fatal(err)
	}
	b.cat.Hold(t, "montmartre/Double", 1, *day("2027-06-25"), *day("2027-06-26"))
	newer, err := BuildDocuments(ctx, b.pool, []uuid.UUID{id}, *day("2027-06-18"), 30)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Upsert(ctx, newer); err != nil {
		t.Fatal(err)
	}
	// An older build arriving late is refused, not an error.
	if err := e.Upsert(ctx, older); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Indices.Refresh().Index(e.opts.Alias).Do(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := e.client.Get(e.opts.Alias, id.String()).Do(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version_ == nil || *got.Version_ != newer[0].Version {
		t.Errorf("indexed version %v, want the newer %d", got.Version_, newer[0].Version)
	}
	// A delete is versioned past every build before it: the newer build,
	// arriving after the delete, does not bring the hotel back. Deleting a
	// missing document is no error.
	version, err := DeleteVersion(ctx, b.pool)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Delete(ctx, []uuid.UUID{id, uuid.New()}, version); err != nil {
		t.Fatal(err)
	}
	if err := e.Upsert(ctx, newer); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Indices.Refresh().Index(e.opts.Alias).Do(ctx); err != nil {
		t.Fatal(err)
	}
	if found, err := e.client.Exists(e.opts.Alias, id.String()).Do(ctx); err != nil || found {
		t.Errorf("after its delete, a build from before it is in the index: %v %v", found, err)
	}
}

// A document Elasticsearch refuses for what it is (a latitude of 200) does
// not stop the others: they are written, the refusal is a *RefusedError
// and a row of search_index_refusals, which the hotel's next accepted
// document clears. A rebuild with a refused document leaves the alias on
// its index.
func TestRefusedDocumentsDoNotStopWrites(t *testing.T) {
	url := elasticsearchURL(t)
	t.Parallel()
	b := setupCatalog(t)
	ctx := context.Background()
	e := newTestEngine(t, url, b.pool)
	if _, err := e.Init(ctx); err != nil {
		t.Fatal(err)
	}
	good, bad := b.cat.Hotels["montmartre"], b.cat.Hotels["lumiere"]
	docs, err := BuildDocuments(ctx, b.pool, []uuid.UUID{good, bad}, *day("2027-06-18"), 30)
	if err != nil || len(docs) != 2 {
		t.Fatalf("%d documents, %v", len(docs), err)
	}
	broken := slices.Clone(docs)
	for i := range broken {
		if broken[i].ID == bad {
			broken[i].Location.Lat = 200
		}
	}
	refused := func(err error) []uuid.UUID {
		t.Helper()
		var r *RefusedError
		if !errors.As(err, &r) {
			t.Fatalf("want a *RefusedError, got %v", err)
		}
		var ids []uuid.UUID
		for _, x := range r.Refusals {
			ids = append(ids, x.ID)
		}
		return ids
	}
	rows := func() int {
		var n int
		if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM search_index_refusals WHERE index_alias = $1 AND hotel_id = $2`, e.opts.Alias, bad).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	if ids := refused(e.Upsert(ctx, broken)); !slices.Equal(ids, []uuid.UUID{bad}) {
		t.Errorf("refused %v, want %v", ids, bad)
	}
	if rows() != 1 {
		t.Error("the refusal is not recorded")
	}
	if _, err := e.client.Indices.Refresh().Index(e.opts.Alias).Do(ctx); err != nil {
		t.Fatal(err)
	}
	if found, err := e.client.Exists(e.opts.Alias, good.String()).Do(ctx); err != nil || !found {
		t.Errorf("the accepted document is not indexed: %v, %v", found, err)
	}
	if err := e.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if rows() != 0 {
		t.Error("an accepted document left its hotel's refusal")
	}

	before, err := e.aliasIndices(ctx, e.opts.Alias)
	if err != nil {
		t.Fatal(err)
	}
	err = e.Rebuild(ctx, func(yield func(Document) error) error {
		for _, d := range broken {
			if err := yield(d); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	if ids := refused(err); !slices.Equal(ids, []uuid.UUID{bad}) {
		t.Errorf("rebuild refused %v", ids)
	}
	after, err := e.aliasIndices(ctx, e.opts.Alias)
	if err != nil || !slices.Equal(after, before) {
		t.Errorf("the alias moved from %v to %v (%v)", before, after, err)
	}
	if found, err := e.client.Exists(e.opts.Alias, bad.String()).Do(ctx); err != nil || !found {
		t.Errorf("the alias lost the hotel's document: %v, %v", found, err)
	}
}
