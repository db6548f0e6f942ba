package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/search/postgres"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

// Every value here is one the API accepts: a nightly rate up to
// catalog.MaxRate (setRates), and an exchange rate up to 1e9 units per US
// dollar (setExchangeRates). The nightly price in that currency is more
// than a bigint holds; it is capped (9e18) and the search answers a page.
// It failed with "bigint out of range" (INTERNAL to the guest) for every
// search priced in that currency that met the hotel.
func TestPriceInAWeakCurrencyDoesNotOverflow(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	c := searchtest.Load(t, pool)
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "test"})
	cat := catalog.NewService(pool).WithClock(func() time.Time { return searchtest.Now })
	night := time.Date(2027, 6, 24, 0, 0, 0, 0, time.UTC)
	next := night.AddDate(0, 0, 1)
	// London (GBP) prices its double at the largest rate setRates takes.
	if _, _, err := cat.SetRates(admin, c.RatePlans["london/Double"], night, night, catalog.MaxRate); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.SetExchangeRates(admin, []catalog.ExchangeRateInput{{Currency: "IRR", PerUSD: 1e9}}); err != nil {
		t.Fatal(err)
	}
	engine := postgres.NewEngine(pool, postgres.Opts{})
	q := search.Query{CheckIn: &night, CheckOut: &next, Now: searchtest.Now, Price: &search.PriceRange{Currency: "IRR"}}
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	r, err := engine.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("a search priced in IRR (1e9 per USD) with a hotel at catalog.MaxRate: %v; want a page", err)
	}
	if r.TotalCount < 1 {
		t.Errorf("%d hits", r.TotalCount)
	}
}
