package indexer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
// the body of every bulk request and answers it "no errors", or, with
// answer, item by item as answer says. It is not a server: it knows nothing
// of Elasticsearch but the shape of that answer, and refuses every other
// request.
type bulkRecorder struct {
	mu     sync.Mutex
	bodies []string
	// answer, when set, is the response item of operation op ("index" or
	// "delete") of document id in index, in the n-th bulk request (from 0):
	// the item as Elasticsearch 8 writes it, "" for a success.
	answer func(n int, op, index, id string) string
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
	n := len(r.bodies)
	r.bodies = append(r.bodies, string(body))
	answer := r.answer
	r.mu.Unlock()
	res := `{"took":1,"errors":false,"items":[]}`
	if answer != nil {
		if res, err = answerItems(body, func(op, index, id string) string { return answer(n, op, index, id) }); err != nil {
			return nil, err
		}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Elastic-Product", "Elasticsearch")
	return &http.Response{StatusCode: http.StatusOK, Header: h, Request: req,
		Body: io.NopCloser(strings.NewReader(res))}, nil
}

// answerItems is the response to bulk request body with an item for each
// of its operations, answer's or a success.
func answerItems(body []byte, answer func(op, index, id string) string) (string, error) {
	var items []string
	failed := false
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		var action map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &action); err != nil || len(action) != 1 {
			return "", fmt.Errorf("bulk line %d is no action: %q", i, lines[i])
		}
		for op, a := range action {
			item := answer(op, a.Index, a.ID)
			if item == "" {
				result := "updated"
				if op == "delete" {
					result = "deleted"
				}
				item = fmt.Sprintf(`{%q:{"_index":"staygraph-hotels-v2-20270618t000000.000000","_id":%q,"_version":1,"result":%q,`+
					`"_shards":{"total":2,"successful":1,"failed":0},"_seq_no":%d,"_primary_term":1,"status":200}}`, op, a.ID, result, i)
			} else {
				failed = true
			}
			items = append(items, item)
			if op == "index" {
				i++ // the document
			}
		}
	}
	return fmt.Sprintf(`{"took":3,"errors":%v,"items":[%s]}`, failed, strings.Join(items, ",")), nil
}

// Items of Elasticsearch 8 bulk responses.
const (
	// noRebuildAlias refuses a write to the rebuild alias when no rebuild runs.
	noRebuildAlias = `{%q:{"_index":%[2]q,"_id":%[3]q,"status":404,"error":{"type":"index_not_found_exception",` +
		`"reason":"no such index [%[2]s] and [require_alias] request flag is [true] and [%[2]s] is not an alias",` +
		`"resource.type":"index_or_alias","resource.id":%[2]q,"index_uuid":"_na_","index":%[2]q}}}`
	// olderVersion refuses a document older than the one indexed.
	olderVersion = `{%q:{"_index":"staygraph-hotels-v2-20270618t000000.000000","_id":%[3]q,"status":409,"error":{"type":"version_conflict_engine_exception",` +
		`"reason":"[%[3]s]: version conflict, current version [90000000] is higher than the provided version [30401216]",` +
		`"index_uuid":"Jq3kLbZ5SLy8aC4n2sXo1Q","shard":"0","index":"staygraph-hotels-v2-20270618t000000.000000"}}}`
	// notFound is the delete of a document already gone.
	notFound = `{%q:{"_index":"staygraph-hotels-v2-20270618t000000.000000","_id":%[3]q,"_version":1,"result":"not_found",` +
		`"_shards":{"total":2,"successful":1,"failed":0},"_seq_no":7,"_primary_term":1,"status":404}}`
	// rejected is a write Elasticsearch has no room for now.
	rejected = `{%q:{"_index":"staygraph-hotels-v2-20270618t000000.000000","_id":%[3]q,"status":429,"error":{"type":"es_rejected_execution_exception",` +
		`"reason":"rejected execution of primary operation [coordinating_and_primary_bytes=106954752, replica_bytes=0, all_bytes=106954752, primary_operation_bytes=48213, max_coordinating_and_primary_bytes=107374182]"}}}`
	// unparsable is a document the index's mapping refuses.
	unparsable = `{%q:{"_index":"staygraph-hotels-v2-20270618t000000.000000","_id":%[3]q,"status":400,"error":{"type":"document_parsing_exception",` +
		`"reason":"[1:412] failed to parse field [stars] of type [integer] in document with id '%[3]s'. Preview of field's value: 'five'",` +
		`"caused_by":{"type":"number_format_exception","reason":"For input string: \"five\""}}}}`
)

func (r *bulkRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

func (r *bulkRecorder) body(i int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bodies[i]
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
		fmt.Fprintf(&got, "# %s\n%s", step.name, rec.body(i))
	}
	_ = ctx
	golden(t, "eswriter_sequence.golden.ndjson", readable(b, got.String()))
}

// item fills in a response item of the constants above.
func item(format, op, index, id string) string { return fmt.Sprintf(format, op, index, id) }

// newESWriter is an Elasticsearch writer over the bundle's database whose
// bulk requests go to rec, running in an indexer that retries a failed
// batch after 10 to 40 ms.
func newESWriter(t *testing.T, b bundle, rec *bulkRecorder) running {
	t.Helper()
	client, err := es8.NewTypedClient(es8.Config{Transport: rec})
	if err != nil {
		t.Fatal(err)
	}
	engine := elasticsearch.NewEngine(client, b.pool, elasticsearch.Opts{})
	writer := eswriter.New(engine, b.pool, eswriter.Opts{From: func() time.Time { return day("2027-06-18") }, Nights: 5})
	// Without its Snapshot, which rebuilds a whole index: not what these tests answer.
	return start(t, b, indexer.Opts{RetryMin: 10 * time.Millisecond, RetryMax: 40 * time.Millisecond}, struct{ indexer.Consumer }{writer})
}

// esStats are the statistics of the Elasticsearch writer of ix.
func esStats(t *testing.T, ix *indexer.Indexer) indexer.ConsumerStats {
	t.Helper()
	st, err := ix.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cs := consumerStats(st, "elasticsearch")
	if cs.Name == "" {
		t.Fatalf("no elasticsearch consumer in %+v", st.Consumers)
	}
	return cs
}

// What Elasticsearch refuses rightly is no failure of the writer: an older
// document arriving late (409), a write to the rebuild alias when no
// rebuild runs (404 require_alias), the delete of a document already gone.
// Each change is written once, and the indexer moves on.
func TestElasticsearchWriterTakesRightfulRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rec := &bulkRecorder{answer: func(_ int, op, index, id string) string {
		switch {
		case index == "staygraph-hotels-next":
			return item(noRebuildAlias, op, index, id)
		case op == "delete":
			return item(notFound, op, index, id)
		default:
			return item(olderVersion, op, index, id)
		}
	}}
	r := newESWriter(t, b, rec)
	for i, step := range []struct {
		name   string
		change func()
		op     string
	}{
		{"hold Montmartre's only double on 2027-06-19", func() {
			b.cat.Hold(t, "montmartre/Double", 1, day("2027-06-19"), day("2027-06-20"))
		}, `{"index":`},
		{"delete Ginza Stay", func() {
			execSQL(t, b, "DELETE FROM hotels WHERE id = $1", b.cat.Hotels["tokyo"])
		}, `{"delete":`},
	} {
		step.change()
		eventually(t, 10*time.Second, func() (bool, string) {
			return rec.count() > i, fmt.Sprintf("no bulk request after %q", step.name)
		})
		eventually(t, 10*time.Second, func() (bool, string) {
			cs := esStats(t, r.ix)
			return cs.Batches == uint64(i+1) && cs.Lag == 0, fmt.Sprintf("after %q: %+v", step.name, cs)
		})
		time.Sleep(200 * time.Millisecond) // a retry would show here
		if n := rec.count(); n != i+1 {
			t.Fatalf("%d bulk requests after %d steps, want one each", n, i+1)
		}
		if !strings.HasPrefix(rec.body(i), step.op) {
			t.Errorf("%s: request %q", step.name, rec.body(i))
		}
		if cs := esStats(t, r.ix); cs.Failures != 0 || cs.LastError != "" {
			t.Fatalf("after %q: %d failures, last %q", step.name, cs.Failures, cs.LastError)
		}
	}
}

// A write Elasticsearch fails (a rejection, 429) fails the batch: the
// indexer records the error, naming the hotel, holds the batch's position
// and writes the hotel again, rebuilt. A document the mapping refuses for
// what it is (400) is not sent again: the batch is applied, the refusal
// recorded in search_index_refusals, and the hotel's next accepted document
// clears it.
func TestElasticsearchWriterRetriesFailedWrites(t *testing.T) {
	t.Parallel()
	b := setup(t)
	montmartre := b.cat.Hotels["montmartre"].String()
	var mu sync.Mutex
	accept := false
	rec := &bulkRecorder{answer: func(n int, op, index, id string) string {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case index == "staygraph-hotels-next":
			return item(noRebuildAlias, op, index, id)
		case accept || id != montmartre:
			return ""
		case n == 0:
			return item(rejected, op, index, id)
		default:
			return item(unparsable, op, index, id)
		}
	}}
	r := newESWriter(t, b, rec)
	before := esStats(t, r.ix)
	refusals := func() (n int, errType string) {
		t.Helper()
		if err := b.pool.QueryRow(context.Background(), `SELECT count(*), coalesce(max(error_type), '') FROM search_index_refusals
			WHERE index_alias = 'staygraph-hotels' AND hotel_id = $1`, montmartre).Scan(&n, &errType); err != nil {
			t.Fatal(err)
		}
		return n, errType
	}

	b.cat.Hold(t, "montmartre/Double", 1, day("2027-06-19"), day("2027-06-20"))
	eventually(t, 10*time.Second, func() (bool, string) {
		cs := esStats(t, r.ix)
		return cs.Batches == 1 && cs.Lag == 0 && cs.AppliedLSN > before.AppliedLSN, fmt.Sprintf("after a rejection and a refusal: %+v", cs)
	})
	time.Sleep(200 * time.Millisecond) // another retry would show here
	applied := esStats(t, r.ix)
	if n := rec.count(); n != 2 || applied.Failures != 1 {
		t.Errorf("%d bulk requests, %d failures; want the rejected one, and the refused one not sent again", n, applied.Failures)
	}
	if !strings.Contains(applied.LastError, "index "+montmartre+" in ") ||
		!strings.Contains(applied.LastError, "429 es_rejected_execution_exception") {
		t.Errorf("last error %q does not name Montmartre's document and its rejection", applied.LastError)
	}
	if n, errType := refusals(); n != 1 || errType != "document_parsing_exception" {
		t.Errorf("%d refusals recorded (%q), want Montmartre's document_parsing_exception", n, errType)
	}
	// Each attempt rebuilds the documents: the same body, with the WAL
	// position of its own read as version, never older.
	var last int64
	for i := range rec.count() {
		if got, first := versionRE.ReplaceAllString(rec.body(i), ""), versionRE.ReplaceAllString(rec.body(0), ""); got != first {
			t.Fatalf("request %d differs from the first beyond its version:\n%s\n%s", i, got, first)
		}
		for _, m := range versionRE.FindAllStringSubmatch(rec.body(i), -1) {
			v, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			if v < last {
				t.Errorf("request %d writes version %d after %d", i, v, last)
			}
			last = v
		}
	}
	if !strings.Contains(rec.body(0), `"_id":"`+montmartre+`"`) {
		t.Errorf("the request does not write Montmartre: %s", rec.body(0))
	}

	mu.Lock()
	accept = true
	mu.Unlock()
	b.cat.Hold(t, "montmartre/Double", 1, day("2027-06-21"), day("2027-06-22"))
	eventually(t, 10*time.Second, func() (bool, string) {
		n, _ := refusals()
		return n == 0, fmt.Sprintf("%d refusals once Montmartre's document is accepted", n)
	})
	if cs := esStats(t, r.ix); cs.Failures != 1 {
		t.Errorf("%d failures, want the one rejection", cs.Failures)
	}
}

var versionRE = regexp.MustCompile(`"version":(\d+)`)

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
