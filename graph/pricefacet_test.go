package graph_test

import (
	"testing"

	"github.com/staygraph/staygraph/internal/search/searchtest"
)

// Each price facet counts what filtering by its bucket lists, as the schema
// says to filter: [from, to) is price {min: from, max: to - 1} (max is
// inclusive: Lumiere at exactly 100 EUR is in the next bucket, and in a
// range up to 100 EUR).
func TestPriceBucketAgreesWithItsFilter(t *testing.T) {
	t.Parallel()
	b := setupSearchAt(t, searchtest.Now)
	searchtest.Load(t, b.pool)
	in := map[string]any{"near": map[string]any{"lat": 48.8566, "lon": 2.3522, "radiusKm": 30}, "checkIn": "2027-06-24", "checkOut": "2027-06-25",
		"price": map[string]any{"currency": "EUR"}}
	all := decode[struct {
		SearchHotels struct {
			Facets struct {
				Prices []struct {
					From  struct{ Amount int }
					To    *struct{ Amount int }
					Count int
				}
			}
		}
	}](t, b.do(t, "", `query($in: HotelSearchInput!) { searchHotels(input: $in, first: 0) { facets { prices { from { amount } to { amount } count } } } }`,
		map[string]any{"in": in}))
	checked := 0
	for _, bucket := range all.SearchHotels.Facets.Prices {
		if bucket.To == nil || bucket.Count == 0 {
			continue
		}
		checked++
		in["price"] = map[string]any{"currency": "EUR", "min": bucket.From.Amount, "max": bucket.To.Amount - 1}
		got := decode[struct{ SearchHotels struct{ TotalCount int } }](t,
			b.do(t, "", `query($in: HotelSearchInput!) { searchHotels(input: $in, first: 0) { totalCount } }`, map[string]any{"in": in}))
		if got.SearchHotels.TotalCount != bucket.Count {
			t.Errorf("bucket [%d, %d) EUR counts %d hotels; filtering by it lists %d", bucket.From.Amount, bucket.To.Amount, bucket.Count, got.SearchHotels.TotalCount)
		}
	}
	if checked < 2 {
		t.Fatalf("%d buckets with hotels and an upper bound: %+v", checked, all.SearchHotels.Facets.Prices)
	}
}
