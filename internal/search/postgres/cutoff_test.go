package postgres_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/search/postgres"
)

// The statement reads every hotel-local date as hoteldate.BusinessDate does,
// the wall clock less the cutoff (an arrival's night and the hotel's today
// alike), and offers stays up to search.MaxDaysAhead days after it.
func TestSearchSQLReadsBusinessDates(t *testing.T) {
	t.Parallel()
	for _, q := range []search.Query{{}, {Text: "lisbon"}} {
		sql := postgres.SQL(q)
		local := "AT TIME ZONE h.time_zone)"
		business := fmt.Sprintf("AT TIME ZONE h.time_zone) - interval '%d hours')::date", hoteldate.Cutoff)
		if n, m := strings.Count(sql, local), strings.Count(sql, business); n != 2 || m != n {
			t.Errorf("search.sql (text %q) reads %d local times, %d of them as business dates (%q); want 2, both", q.Text, n, m, business)
		}
		if window := fmt.Sprintf("BETWEEN 0 AND %d", search.MaxDaysAhead); !strings.Contains(sql, window) {
			t.Errorf("search.sql (text %q) does not offer stays up to %d days ahead (%q)", q.Text, search.MaxDaysAhead, window)
		}
	}
}

// A search without text runs the statement without the parts for text, one
// with text the statement without the arm that lists hotels by amenities
// alone; both are whole statements.
func TestSearchSQLVariants(t *testing.T) {
	t.Parallel()
	plain, text := postgres.SQL(search.Query{}), postgres.SQL(search.Query{Text: "lisbon"})
	if strings.Contains(plain, "FROM words") || strings.Contains(plain, "search_fold(") {
		t.Error("the statement for a search without text reads the text's words")
	}
	if !strings.Contains(text, "FROM words") || !strings.Contains(text, "search_fold(") {
		t.Error("the statement for a search with text does not read its words")
	}
	for _, sql := range []string{plain, text} {
		if strings.Contains(sql, "{{") || strings.Contains(sql, "}}") {
			t.Error("template actions left in the statement")
		}
	}
}
