package elasticsearch

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

// The confirmation converts prices as the postgres engine does
// (postgres.TestPriceInAWeakCurrencyDoesNotOverflow): a rate the API takes,
// in a currency of a billion a dollar, is a page, not "bigint out of range".
func TestConfirmPricesInAWeakCurrency(t *testing.T) {
	t.Parallel()
	b := setupCatalog(t)
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "test"})
	cat := catalog.NewService(b.pool).WithClock(func() time.Time { return searchtest.Now })
	night := time.Date(2027, 6, 24, 0, 0, 0, 0, time.UTC)
	if _, _, err := cat.SetRates(admin, b.cat.RatePlans["london/Double"], night, night, catalog.MaxRate); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.SetExchangeRates(admin, []catalog.ExchangeRateInput{{Currency: "IRR", PerUSD: 1e9}}); err != nil {
		t.Fatal(err)
	}
	next := night.AddDate(0, 0, 1)
	q := search.Query{CheckIn: &night, CheckOut: &next, Now: searchtest.Now, Price: &search.PriceRange{Currency: "IRR", Min: ptr(int64(1))}}
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	c, err := NewEngine(nil, b.pool, Opts{}).confirm(context.Background(), q, []uuid.UUID{b.cat.Hotels["london"]})
	if err != nil {
		t.Fatalf("confirming a page priced in IRR with a hotel at catalog.MaxRate: %v", err)
	}
	if london, ok := c[b.cat.Hotels["london"]]; !ok || !london.inPriceRange {
		t.Errorf("London, a billion pounds a night, is not on a page of at least 0.01 IRR: %+v", london)
	}
}
