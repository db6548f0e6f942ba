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
	sql := postgres.SQL()
	local := "AT TIME ZONE h.time_zone)"
	business := fmt.Sprintf("AT TIME ZONE h.time_zone) - interval '%d hours')::date", hoteldate.Cutoff)
	if n, m := strings.Count(sql, local), strings.Count(sql, business); n != 2 || m != n {
		t.Errorf("search.sql reads %d local times, %d of them as business dates (%q); want 2, both", n, m, business)
	}
	if window := fmt.Sprintf("BETWEEN 0 AND %d", search.MaxDaysAhead); !strings.Contains(sql, window) {
		t.Errorf("search.sql does not offer stays up to %d days ahead (%q)", search.MaxDaysAhead, window)
	}
}
