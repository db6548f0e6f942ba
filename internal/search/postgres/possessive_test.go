package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/search/postgres"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

// A one-letter possessive ("K's House") is not an elision: it looks for
// "k" and "house", as Elasticsearch's token "k's" (one edit at three
// letters) finds them, not for "s" and "house", which every hotel with a
// possessive in its name has ("Mel's Guest House").
func TestAOneLetterPossessiveIsNotAnElision(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	searchtest.Load(t, pool)
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "test"})
	cat := catalog.NewService(pool)
	for _, h := range []struct{ name, city, country, zone string }{
		{"K's House Kyoto", "Kyoto", "JP", "Asia/Tokyo"},
		{"Mel's Guest House", "Boston", "US", "America/New_York"},
	} {
		if _, err := cat.CreateHotel(admin, catalog.HotelFields{Name: h.name, TimeZone: h.zone, Location: catalog.GeoPoint{Lat: 20, Lon: 20},
			Address: catalog.Address{Line1: "1 Main Street", City: h.city, CountryCode: h.country}, Currency: "EUR", StarRating: 3,
			CheckInTime: catalog.DefaultCheckIn, CheckOutTime: catalog.DefaultCheckOut}); err != nil {
			t.Fatal(err)
		}
	}
	engine := postgres.NewEngine(pool, postgres.Opts{})
	q := search.Query{Text: "K's House", Now: searchtest.Now}
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	r, err := engine.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range r.Hits {
		got = append(got, h.HotelName)
	}
	if !slices.Contains(got, "K's House Kyoto") || slices.Contains(got, "Mel's Guest House") {
		t.Errorf("\"K's House\" found %q, want K's House Kyoto and not Mel's Guest House", got)
	}
}
