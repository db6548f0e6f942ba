package elasticsearch

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/typedapi/core/bulk"
)

// bulkResponse decodes testdata/name as the typed client's Bulk().Do does.
func bulkResponse(t *testing.T, name string) *bulk.Response {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := bulk.NewResponse()
	if err := json.NewDecoder(f).Decode(r); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return r
}

// Bulk responses as Elasticsearch 8 answers them, through DefaultAlias and
// its rebuild alias: an older version refused (409), writes to the rebuild
// alias when no rebuild runs, and deletes of documents already gone are
// fine; every other failed item is an error naming its operation, document,
// index, status and error type. Nothing is retried here: the error fails
// the write, and the indexer retries the whole batch — unless every failure
// is a document refused for what it is (400), which no retry can change:
// then the error is a *RefusedError naming each such document once.
func TestBulkError(t *testing.T) {
	t.Parallel()
	const (
		a = "0190f5a4-1c2d-7e3f-8a4b-000000000a01"
		b = "0190f5a4-1c2d-7e3f-8a4b-000000000a02"
		c = "0190f5a4-1c2d-7e3f-8a4b-000000000a03"
		d = "0190f5a4-1c2d-7e3f-8a4b-000000000a04"
		e = "0190f5a4-1c2d-7e3f-8a4b-000000000a05"
	)
	for _, tc := range []struct {
		file string
		// items is how many operations the response answers.
		items int
		// failed are the errors reported, each as it names its item, and
		// the count line; none means the write succeeded.
		failed []string
		// refused, when set, are the documents of the *RefusedError the
		// response makes, as "id index status type", in the response's
		// order.
		refused []string
		// fine are documents whose items must not be reported.
		fine []string
	}{
		{file: "bulk_response_version_conflict.json", items: 4},
		{file: "bulk_response_no_rebuild.json", items: 4},
		{file: "bulk_response_alias_missing.json", items: 2, failed: []string{
			"1 of 2 operations failed",
			"index " + a + " in staygraph-hotels: 404 index_not_found_exception: no such index [staygraph-hotels] and [require_alias]",
		}},
		{file: "bulk_response_rejected.json", items: 2, failed: []string{
			"1 of 2 operations failed",
			"index " + a + " in staygraph-hotels-v2-20270610t110000.000000: 429 es_rejected_execution_exception: rejected execution of primary operation",
		}, fine: []string{b}},
		{file: "bulk_response_document_parsing.json", items: 2, refused: []string{
			a + " staygraph-hotels-v2-20270610t110000.000000 400 document_parsing_exception",
			b + " staygraph-hotels-v2-20270610t110000.000000 400 strict_dynamic_mapping_exception",
		}},
		{file: "bulk_response_refused_twice.json", items: 4, refused: []string{
			a + " staygraph-hotels-v2-20270610t110000.000000 400 document_parsing_exception",
			a + " staygraph-hotels-v2-20270612t093000.000000 400 document_parsing_exception",
		}, fine: []string{b}},
		// 400s that pass once someone acts are retried, not recorded.
		{file: "bulk_response_index_closed.json", items: 2, failed: []string{
			"2 of 2 operations failed",
			"index " + a + " in staygraph-hotels-v2-20270610t110000.000000: 400 index_closed_exception: closed",
			"index " + b + " in staygraph-hotels-v2-20270610t110000.000000: 400 index_closed_exception: closed",
		}},
		{file: "bulk_response_no_write_index.json", items: 2, failed: []string{
			"1 of 2 operations failed",
			"index " + a + " in staygraph-hotels-next: 400 illegal_argument_exception: no write index is defined for alias [staygraph-hotels-next]",
		}},
		{file: "bulk_response_mixed.json", items: 6, failed: []string{
			"2 of 6 operations failed",
			"index " + c + " in staygraph-hotels-v2-20270610t110000.000000: 429 es_rejected_execution_exception",
			"index " + d + " in staygraph-hotels-v2-20270610t110000.000000: 400 mapper_parsing_exception: failed to parse field [location]",
		}, fine: []string{a, b, e}},
	} {
		t.Run(strings.TrimSuffix(tc.file, ".json"), func(t *testing.T) {
			res := bulkResponse(t, tc.file)
			if !res.Errors || len(res.Items) != tc.items {
				t.Fatalf("decoded errors %v, %d items; want true, %d", res.Errors, len(res.Items), tc.items)
			}
			err := bulkError(DefaultAlias, res)
			if len(tc.refused) > 0 {
				var refused *RefusedError
				if !errors.As(err, &refused) {
					t.Fatalf("want a *RefusedError, got %v", err)
				}
				var got []string
				for _, r := range refused.Refusals {
					got = append(got, fmt.Sprintf("%s %s %d %s", r.ID, r.Index, r.Status, r.Type))
					if r.Reason == "" {
						t.Errorf("refusal of %s without its reason", r.ID)
					}
				}
				if !slices.Equal(got, tc.refused) {
					t.Errorf("refused %q, want %q", got, tc.refused)
				}
				for _, id := range tc.fine {
					if strings.Contains(err.Error(), id) {
						t.Errorf("error names %s, whose outcome is fine: %q", id, err)
					}
				}
				return
			}
			if len(tc.failed) == 0 {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want an error naming %q", tc.failed)
			}
			if !errors.Is(err, errWrite) {
				t.Errorf("%v is not errWrite", err)
			}
			var refused *RefusedError
			if errors.As(err, &refused) {
				t.Errorf("%v is a *RefusedError: a retry may succeed", err)
			}
			msg := err.Error()
			for _, want := range tc.failed {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q\ndoes not say %q", msg, want)
				}
			}
			// One line per failed item after the count.
			if n := strings.Count(msg, "\n") + 1; n != len(tc.failed)-1 {
				t.Errorf("error names %d items, want %d: %q", n, len(tc.failed)-1, msg)
			}
			for _, id := range tc.fine {
				if strings.Contains(msg, id) {
					t.Errorf("error names %s, whose outcome is fine: %q", id, msg)
				}
			}
		})
	}
	t.Run("no errors", func(t *testing.T) {
		res := bulk.NewResponse()
		if err := json.Unmarshal([]byte(`{"errors":false,"took":3,"items":[{"index":{"_index":"staygraph-hotels-v2-20270610t110000.000000",`+
			`"_id":"`+a+`","_version":30401216,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}}]}`), res); err != nil {
			t.Fatal(err)
		}
		if err := bulkError(DefaultAlias, res); err != nil {
			t.Fatal(err)
		}
	})
}
