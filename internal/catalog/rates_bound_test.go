package catalog_test

import (
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/catalog"
)

// The bound on a nightly rate is 10,000,000,000 minor units whatever the
// currency: 100 million euros, but only 100 million Lebanese pounds (about
// 1,100 US dollars at the catalog's own rate of 89,500 LBP per dollar). A
// Beirut hotel cannot price a 1,700-dollar suite; the IRR, LAK, UZS and IDR
// bounds are likewise a few thousand dollars.
func TestRateBoundDoesNotRefuseOrdinaryPricesInWeakCurrencies(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := hotelFields("Beirut Corniche")
	f.TimeZone, f.Currency = "Asia/Beirut", "LBP"
	f.Address = catalog.Address{Line1: "Avenue de Paris", City: "Beirut", CountryCode: "LB"}
	h, err := b.svc.CreateHotel(b.admin, f)
	if err != nil {
		t.Fatal(err)
	}
	_, rp := doubleWithPlan(t, b, staffOf(h.ID), h.ID)
	night := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC) // after testNow
	const suite = 150_000_000_00                         // 150,000,000.00 LBP, about 1,676 USD
	if _, n, err := b.svc.SetRates(staffOf(h.ID), rp.ID, night, night, suite); err != nil || n != 1 {
		t.Fatalf("a night at 150,000,000 LBP (about 1,700 USD): %d nights, %v (%v); want it priced", n, err, codes(err))
	}
}
