package elasticsearch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/search"
)

// The confirmation reads every hotel-local date as hoteldate.BusinessDate
// does, as search.sql and the request's zones do (the wall clock less the
// cutoff), and offers stays up to search.MaxDaysAhead days after it.
func TestConfirmSQLReadsBusinessDates(t *testing.T) {
	t.Parallel()
	local := "AT TIME ZONE h.time_zone)"
	business := fmt.Sprintf("AT TIME ZONE h.time_zone) - interval '%d hours')::date", hoteldate.Cutoff)
	if n, m := strings.Count(confirmSQL, local), strings.Count(confirmSQL, business); n != 2 || m != n {
		t.Errorf("confirm.sql reads %d local times, %d of them as business dates (%q); want 2, both", n, m, business)
	}
	if window := fmt.Sprintf("BETWEEN 0 AND %d", search.MaxDaysAhead); !strings.Contains(confirmSQL, window) {
		t.Errorf("confirm.sql does not offer stays up to %d days ahead (%q)", search.MaxDaysAhead, window)
	}
}
