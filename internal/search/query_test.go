package search_test

import (
	"math"
	"testing"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/search"
)

// A query's places must be numbers in range: NaN and infinities, which
// compare false with every bound, are refused like any value out of range.
func TestQueryRefusesPlacesOutOfRange(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for name, q := range map[string]search.Query{
		"NaN latitude":      {Near: &search.Circle{Lat: nan, Lon: 2, RadiusKm: 5}},
		"NaN radius":        {Near: &search.Circle{Lat: 48, Lon: 2, RadiusKm: nan}},
		"infinite radius":   {Near: &search.Circle{Lat: 48, Lon: 2, RadiusKm: inf}},
		"latitude past 90":  {Near: &search.Circle{Lat: 91, Lon: 2, RadiusKm: 5}},
		"NaN north":         {Within: &search.Box{North: nan, South: 48, East: 3, West: 2}},
		"NaN west":          {Within: &search.Box{North: 49, South: 48, East: 3, West: nan}},
		"south above north": {Within: &search.Box{North: 48, South: 49, East: 3, West: 2}},
	} {
		if err := q.Normalize(); !apperr.HasCode(err, apperr.InvalidInput) {
			t.Errorf("%s: %v, want INVALID_INPUT", name, err)
		}
	}
	ok := search.Query{Near: &search.Circle{Lat: 48, Lon: 2, RadiusKm: 5}, Within: &search.Box{North: 49, South: 48, East: 3, West: 2}}
	if err := ok.Normalize(); err != nil {
		t.Errorf("a query in range: %v", err)
	}
}
