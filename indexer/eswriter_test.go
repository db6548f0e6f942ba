package indexer_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	es8 "github.com/elastic/go-elasticsearch/v8"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/eswriter"
	"github.com/staygraph/staygraph/internal/search/elasticsearch"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// bulkRecorder is the HTTP transport of an Elasticsearch client that keeps
// the body of every bulk request and answers it "no errors". It is not a
// server: it knows nothing of Elasticsearch but the shape of that answer,
// and refuses every other request.
type bulkRecorder struct {
	mu     sync.Mutex
	bodies []string
}

func (r *bulkRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || !strings.HasSuffix(req.URL.Path, "/_bulk") {
		return nil, fmt.Errorf("unexpected request %s %s", req.Method, req.URL.Path)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, string(body))
	r.mu.Unlock()
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Elastic-Product", "Elasticsearch")
	return &http.Response{StatusCode: http.StatusOK, Header: h, Request: req,
		Body: io.NopCloser(strings.NewReader(`{"took":1,"errors":false,"items":[]}`))}, nil
}

func (r *bulkRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

// The Elasticsearch writer turns a sequence of committed changes into the
// bulk requests of golden file testdata/eswriter_sequence.golden.ndjson:
// the touched hotel rebuilt and upserted with its WAL position as external
// version (through the alias and the rebuild alias), a deleted hotel deleted.
func TestElasticsearchWriterBulkBodies(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	rec := &bulkRecorder{}
	client, err := es8.NewTypedClient(es8.Config{Transport: rec})
	if err != nil {
		t.Fatal(err)
	}
	engine := elasticsearch.NewEngine(client, b.pool, elasticsearch.Opts{})
	writer := eswriter.New(engine, b.pool, eswriter.Opts{From: func() time.Time { return day("2027-06-18") }, Nights: 5})
	// Without its Snapshot, which rebuilds a whole index: that is not what this test records.
	start(t, b, indexer.Opts{}, struct{ indexer.Consumer }{writer})

	steps := []struct {
		name   string
		change func()
	}{
		{"hold Montmartre's only double on 2027-06-19", func() {
			b.cat.Hold(t, "montmartre/Double", 1, day("2027-06-19"), day("2027-06-20"))
		}},
		{"rename Lumiere", func() {
			execSQL(t, b, "UPDATE hotels SET name = 'Hotel Lumiere Rive Gauche' WHERE id = $1", b.cat.Hotels["lumiere"])
		}},
		{"take one of Versailles' suites out of service", func() {
			execSQL(t, b, "UPDATE rooms SET in_service = false WHERE id = (SELECT min(id::text)::uuid FROM rooms WHERE room_type_id = $1)",
				b.cat.RoomTypes["versailles/Suite"])
		}},
		{"raise Lumiere's family rate on 2027-06-20", func() {
			execSQL(t, b, "UPDATE nightly_rates SET amount = 25000 WHERE rate_plan_id = $1 AND night = '2027-06-20'", b.cat.RatePlans["lumiere/Family"])
		}},
		{"delete Ginza Stay", func() {
			execSQL(t, b, "DELETE FROM hotels WHERE id = $1", b.cat.Hotels["tokyo"])
		}},
	}
	var got bytes.Buffer
	for i, step := range steps {
		step.change()
		eventually(t, 10*time.Second, func() (bool, string) {
			return rec.count() > i, fmt.Sprintf("no bulk request after %q", step.name)
		})
		time.Sleep(200 * time.Millisecond) // a second request for the same step would show here
		if n := rec.count(); n != i+1 {
			t.Fatalf("%d bulk requests after %d steps", n, i+1)
		}
		fmt.Fprintf(&got, "# %s\n%s", step.name, rec.bodies[i])
	}
	_ = ctx
	golden(t, "eswriter_sequence.golden.ndjson", readable(b, got.String()))
}

var versionRE = regexp.MustCompile(`"version":\d+`)

// readable replaces the catalog's generated ids with names and WAL
// positions with a placeholder, which differ from run to run.
func readable(b bundle, s string) []byte {
	var pairs []string
	for k, id := range b.cat.Hotels {
		pairs = append(pairs, id.String(), "hotel:"+k)
	}
	for k, id := range b.cat.RoomTypes {
		pairs = append(pairs, id.String(), "room_type:"+k)
	}
	s = strings.NewReplacer(pairs...).Replace(s)
	return []byte(versionRE.ReplaceAllString(s, `"version":"<wal position>"`))
}

func execSQL(t *testing.T, b bundle, sql string, args ...any) {
	t.Helper()
	if _, err := b.pool.Exec(t.Context(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./indexer -run %s -update and review the diff\n--- got\n%s", path, t.Name(), got)
	}
}

// The Elasticsearch writer builds its first index inside the slot's
// exported snapshot: a change committed while the snapshot loads is not in
// the rebuilt documents, which carry the snapshot's position as version,
// and arrives through the stream right after, with a later version.
func TestElasticsearchSnapshotIsTheSlotsSnapshot(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	lumiere := b.cat.Hotels["lumiere"]
	var name string
	if err := b.pool.QueryRow(ctx, "SELECT name FROM hotels WHERE id = $1", lumiere).Scan(&name); err != nil {
		t.Fatal(err)
	}
	x := newDocIndex(nil)
	writer := &snapshotHook{
		Writer: eswriter.New(x, b.pool, eswriter.Opts{From: func() time.Time { return day("2027-06-18") }, Nights: 5}),
		// Committed after the slot's consistent point, before the documents are read.
		before: func(ctx context.Context) error {
			_, err := b.pool.Exec(ctx, "UPDATE hotels SET name = 'Renamed during the snapshot' WHERE id = $1", lumiere)
			return err
		},
	}
	start(t, b, indexer.Opts{}, writer)

	snap := writer.snapshot()
	if !snap.Exported || snap.Position != snap.LSN {
		t.Fatalf("the writer's snapshot: %+v, want the slot's exported one", snap)
	}
	if len(x.rebuilt) != len(b.cat.Hotels) {
		t.Fatalf("the snapshot rebuilt %d documents, want the catalog's %d", len(x.rebuilt), len(b.cat.Hotels))
	}
	for _, d := range x.rebuilt {
		if d.Version != int64(snap.LSN) {
			t.Errorf("%s: version %d, want the snapshot's position %d", d.Name, d.Version, int64(snap.LSN))
		}
		if d.ID == lumiere && d.Name != name {
			t.Errorf("the snapshot's document is named %q, want %q as at the slot's creation", d.Name, name)
		}
	}
	eventually(t, 10*time.Second, func() (bool, string) {
		d, _ := x.doc(lumiere)
		return d.Name == "Renamed during the snapshot" && d.Version > int64(snap.LSN),
			fmt.Sprintf("Lumiere's document: %q at version %d", d.Name, d.Version)
	})
}
