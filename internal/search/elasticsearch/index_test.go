package elasticsearch

import (
	"fmt"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/create"
)

func TestMapping(t *testing.T) {
	t.Parallel()
	goldenJSON(t, "mapping.golden.json", create.Request{Mappings: mapping(), Settings: indexSettings()})
}

func TestIndexNamesCarryTheMappingVersion(t *testing.T) {
	t.Parallel()
	name := indexName("staygraph-hotels", time.Date(2027, 6, 10, 11, 0, 0, 123456000, time.UTC))
	if want := fmt.Sprintf("staygraph-hotels-v%d-20270610t110000.123456", MappingVersion); name != want {
		t.Errorf("index name %q, want %q", name, want)
	}
	if v, ok := indexVersion("staygraph-hotels", name); !ok || v != MappingVersion {
		t.Errorf("version of %q: %d %v", name, v, ok)
	}
	for _, other := range []string{"staygraph-hotels", "staygraph-hotels-next", "other-v1-20270610t110000.000000", "staygraph-hotels-vx-1"} {
		if v, ok := indexVersion("staygraph-hotels", other); ok {
			t.Errorf("%q read as version %d", other, v)
		}
	}
}

func TestRebuildSwapsTheAliasInOneRequest(t *testing.T) {
	t.Parallel()
	goldenJSON(t, "aliases_swap.golden.json", swapAliases("staygraph-hotels", "staygraph-hotels-v1-20270611t000000.000000",
		[]string{"staygraph-hotels-v1-20270610t110000.000000"}))
}
