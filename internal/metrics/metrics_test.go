package metrics

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/apperr"
)

// Operation names past the cap are labelled "other"; known names and
// unnamed operations always keep their label.
func TestOperationNamesAreBounded(t *testing.T) {
	t.Parallel()
	m := New(Opts{MaxOperationNames: 3, KnownOperations: []string{"Persisted"}})
	for i := range 10 {
		m.ObserveOperation(fmt.Sprint("Op", i), "query", time.Millisecond)
	}
	m.ObserveOperation("Persisted", "query", time.Millisecond)
	m.ObserveOperation("", "query", time.Millisecond)
	m.ObserveOperation(strings.Repeat("x", 500), "query", time.Millisecond)
	if n := strings.Count(gather(t, m), "\n"); n != 3+1+1+1 {
		t.Fatalf("%d series, want 3 names + other + known + anonymous:\n%s", n, gather(t, m))
	}
	want := `staygraph_graphql_operation_duration_seconds_count{operation="other",type="query"} 8`
	if !strings.Contains(gather(t, m), want) {
		t.Fatalf("want %s in\n%s", want, gather(t, m))
	}
}

func gather(t *testing.T, m *Metrics) string {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, metric := range mf.Metric {
			if h := metric.Histogram; h != nil {
				var labels []string
				for _, l := range metric.Label {
					labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
				}
				fmt.Fprintf(&b, "%s_count{%s} %d\n", mf.GetName(), strings.Join(labels, ","), h.GetSampleCount())
			}
		}
	}
	return b.String()
}

// A search refused as the query's fault is not an engine failure.
func TestSearchOutcomes(t *testing.T) {
	t.Parallel()
	m := New(Opts{})
	m.CountSearch("postgres", nil)
	m.CountSearch("postgres", apperr.Invalid("bad cursor", "after"))
	m.CountSearch("postgres", errors.New("connection refused"))
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "staygraph_search_requests_total" {
			continue
		}
		for _, metric := range mf.Metric {
			for _, l := range metric.Label {
				if l.GetName() == "outcome" {
					got[l.GetValue()] = metric.GetCounter().GetValue()
				}
			}
		}
	}
	if fmt.Sprint(got) != "map[error:1 invalid:1 ok:1]" {
		t.Fatalf("outcomes %v, want one of each", got)
	}
}
