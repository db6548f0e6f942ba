package postgres_test

import (
	"strings"
	"testing"

	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// The search engines' SQL prices a room with tax as the booking core does
// (money.TaxedTotal), in every currency: a hotel's search total is what its
// quote and hold charge, in KWD tens of fils as in EUR cents.
func TestTaxedTotalIsTheBookingCores(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	var codes []string
	for _, a := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
		for _, b := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
			for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ" {
				if code := string([]rune{a, b, c}); money.Valid(code) {
					codes = append(codes, code)
				}
			}
		}
	}
	var amounts []int64
	var bps []int32
	var currencies []string
	for _, code := range codes {
		for _, a := range []int64{0, 1, 4, 5, 9, 10, 49, 50, 51, 99, 45000, 45003, 45006, 135000, 12345, 999999, 123456789} {
			for _, b := range []int32{0, 1, 5, 500, 740, 750, 1000, 2150, 10000} {
				amounts, bps, currencies = append(amounts, a), append(bps, b), append(currencies, code)
			}
		}
	}
	rows, err := pool.Query(t.Context(), `SELECT taxed_total(a, b, c) FROM unnest($1::bigint[], $2::int[], $3::char(3)[]) x(a, b, c)`,
		amounts, bps, currencies)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i, wrong := 0, 0
	for rows.Next() {
		var got int64
		if err := rows.Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := money.TaxedTotal(amounts[i], int(bps[i]), currencies[i]); got != want && wrong < 10 {
			wrong++
			t.Errorf("taxed_total(%d, %d, %s) = %d, money.TaxedTotal %d", amounts[i], bps[i], currencies[i], got, want)
		}
		i++
	}
	if err := rows.Err(); err != nil || i != len(amounts) {
		t.Fatalf("%d of %d rows: %v", i, len(amounts), err)
	}

	// PostgreSQL inlines it: search.sql computes a CASE per row, and calls
	// no function.
	var plan strings.Builder
	rows, err = pool.Query(t.Context(), `EXPLAIN (VERBOSE) SELECT taxed_total(12345, tax_rate_bps, currency) FROM hotels`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plan.String(), "taxed_total") || !strings.Contains(plan.String(), "CASE") {
		t.Errorf("taxed_total is not inlined:\n%s", plan.String())
	}
}
