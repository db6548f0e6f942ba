package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	es8 "github.com/elastic/go-elasticsearch/v8"

	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/search/elasticsearch"
	searchpg "github.com/staygraph/staygraph/internal/search/postgres"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

// setupSearchAt is setup with searches made at now: the suite's catalog is
// priced for dates that will one day lie in the past.
func setupSearchAt(t *testing.T, now time.Time) testBundle {
	t.Helper()
	b := setup(t)
	pg := searchpg.NewEngine(b.pool, searchpg.Opts{})
	b.resolver.Search = search.NewRouter(search.RouterOpts{Primary: pg, Fallback: pg, Now: func() time.Time { return now }})
	return b
}

func TestSearchHotelsOverHTTP(t *testing.T) {
	t.Parallel()
	b := setupSearchAt(t, searchtest.Now)
	searchtest.Load(t, b.pool)
	// The suite's catalog is priced for June–July 2027, searched from its clock.
	checkIn := "2027-06-24"
	query := `query($input: HotelSearchInput!, $after: String) {
  searchHotels(input: $input, first: 2, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { hotel { name } distanceKm lowestTotal { amount currency } checkIn checkOut
            roomTypes { roomType { name } ratePlan { name } total { amount } unitsLeft } } }
    facets { amenities { value count } stars { value count } prices { from { amount currency } to { amount } count } }
  }
}`
	vars := map[string]any{"input": map[string]any{
		"near": map[string]any{"lat": 48.8566, "lon": 2.3522, "radiusKm": 30}, "checkIn": checkIn, "checkOut": "2027-06-26",
		"rooms": []map[string]any{{"adults": 2}}, "amenities": []string{"free_wifi"}, "price": map[string]any{"currency": "EUR"},
	}}
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res, err := http.Post(b.server.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data struct {
			SearchHotels struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct {
					Node struct {
						Hotel       struct{ Name string }
						DistanceKm  float64
						LowestTotal struct {
							Amount   int
							Currency string
						}
						CheckIn   string
						RoomTypes []struct {
							RoomType  struct{ Name string }
							RatePlan  struct{ Name string }
							Total     struct{ Amount int }
							UnitsLeft int
						}
					}
				}
				Facets struct {
					Amenities []struct {
						Value string
						Count int
					}
					Prices []struct {
						From struct {
							Amount   int
							Currency string
						}
						Count int
					}
				}
			}
		}
		Errors     []map[string]any
		Extensions map[string]any
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("decode: %v %v", err, out.Errors)
	}
	if out.Extensions["searchEngine"] != "postgres" {
		t.Fatalf("extensions %v", out.Extensions)
	}
	s := out.Data.SearchHotels
	if s.TotalCount != 3 || !s.PageInfo.HasNextPage || len(s.Edges) != 2 {
		t.Fatalf("connection %+v", s)
	}
	first := s.Edges[0].Node
	if first.Hotel.Name != "Hotel Lumiere" || first.DistanceKm != 0 || first.CheckIn != checkIn ||
		first.LowestTotal.Amount != 20000 || first.LowestTotal.Currency != "EUR" {
		t.Fatalf("first hit %+v", first)
	}
	if rt := first.RoomTypes; len(rt) != 2 || rt[0].RoomType.Name != "Double" || rt[0].RatePlan.Name != "Flexible" || rt[0].UnitsLeft != 2 {
		t.Fatalf("room types %+v", rt)
	}
	if f := s.Facets.Amenities; len(f) == 0 || f[0].Value != "free_wifi" || f[0].Count != 3 {
		t.Fatalf("amenity facets %+v", f)
	}
	if p := s.Facets.Prices; len(p) == 0 || p[0].From.Currency != "EUR" {
		t.Fatalf("price facets %+v", p)
	}
	// first: 0 counts without a page; 101 is refused.
	count := b.do(t, "", `{ searchHotels(input: {text: "paris"}, first: 0) { totalCount edges { cursor } pageInfo { hasNextPage endCursor } } }`, nil)
	if len(count.Errors) > 0 || string(count.Data) != `{"searchHotels":{"totalCount":2,"edges":[],"pageInfo":{"hasNextPage":true,"endCursor":null}}}` {
		t.Fatalf("first: 0: %s %+v", count.Data, count.Errors)
	}
	if tooMany := b.do(t, "", `{ searchHotels(input: {}, first: 101) { totalCount } }`, nil); tooMany.code() != "INVALID_INPUT" {
		t.Fatalf("first: 101: %+v", tooMany.Errors)
	}
	// A bad query is an input error, not an internal one.
	bad := b.do(t, "", `{ searchHotels(input: {sort: PRICE}) { totalCount } }`, nil)
	if bad.code() != "INVALID_INPUT" {
		t.Fatalf("price sort without dates: %+v", bad.Errors)
	}
}

// A hotel without room types is a hit of a search without dates: its
// offers are an empty list, never null, and it has no price.
func TestSearchHitWithoutOffers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.newHotel(t, "Empty Nest")
	res := b.do(t, "", `{ searchHotels(input: {text: "empty nest"}) { edges { node { hotel { name } lowestTotal { amount } roomTypes { unitsLeft } } } } }`, nil)
	want := `{"searchHotels":{"edges":[{"node":{"hotel":{"name":"Empty Nest"},"lowestTotal":null,"roomTypes":[]}}]}}`
	if len(res.Errors) > 0 || string(res.Data) != want {
		t.Fatalf("got %s %+v, want %s", res.Data, res.Errors, want)
	}
}

// Elasticsearch is configured but nothing listens: searches fall back to
// PostgreSQL within the timeout and say so; with fallback off they answer
// SEARCH_UNAVAILABLE fast; reads by id keep working either way.
func TestSearchDegradesWhenElasticsearchIsDown(t *testing.T) {
	t.Parallel()
	for _, fallback := range []bool{true, false} {
		b := setup(t)
		client, err := es8.NewTypedClient(es8.Config{Addresses: []string{"http://127.0.0.1:1"}})
		if err != nil {
			t.Fatal(err)
		}
		down := elasticsearch.NewEngine(client, b.pool, elasticsearch.Opts{})
		pg := searchpg.NewEngine(b.pool, searchpg.Opts{})
		b.resolver.Search = search.NewRouter(search.RouterOpts{Primary: down, Fallback: pg, Timeout: 300 * time.Millisecond, NoFallback: !fallback})
		gid := b.newHotel(t, "Still Here")

		start := time.Now()
		res := b.do(t, "", `{ searchHotels(input: {text: "still here"}) { totalCount } }`, nil)
		took := time.Since(start)
		if took > 2*time.Second {
			t.Errorf("fallback=%v: answered after %v", fallback, took)
		}
		if fallback {
			if len(res.Errors) > 0 || string(res.Data) != `{"searchHotels":{"totalCount":1}}` || res.Extensions["searchEngine"] != "postgres" {
				t.Errorf("fallback: %s %+v %v", res.Data, res.Errors, res.Extensions)
			}
		} else if res.code() != "SEARCH_UNAVAILABLE" {
			t.Errorf("no fallback: %+v", res.Errors)
		}
		if res := b.do(t, "", `query($id: ID!) { hotel(id: $id) { name } }`, map[string]any{"id": gid}); string(res.Data) != `{"hotel":{"name":"Still Here"}}` {
			t.Errorf("read by id while search is down: %s", res.Data)
		}
	}
}

// A results page's names come with the engine's hits; an operation that
// also selects other fields of the page's hotels, room types and rate plans
// gets them from the catalog. Both give the same names and sizes.
func TestSearchPageCatalogFields(t *testing.T) {
	t.Parallel()
	b := setupSearchAt(t, searchtest.Now)
	searchtest.Load(t, b.pool)
	page := func(extra string) string {
		return `{ searchHotels(input: {near: {lat: 48.8566, lon: 2.3522, radiusKm: 30}, checkIn: "2027-06-24", checkOut: "2027-06-26",
			rooms: [{adults: 2}]}) { edges { node {
			hotel { __typename id name starRating currency ` + extra + ` }
			roomTypes { roomType { id name maxAdults maxChildren maxOccupancy ` + extra + ` } ratePlan { id name ` + extra + ` } } } } } }`
	}
	named := b.do(t, "", page(""), nil)
	loaded := b.do(t, "", page("x_version: version"), nil)
	if len(named.Errors) > 0 || len(loaded.Errors) > 0 {
		t.Fatalf("errors: %+v %+v", named.Errors, loaded.Errors)
	}
	var got, want any
	if err := json.Unmarshal(named.Data, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(loaded.Data, &want); err != nil {
		t.Fatal(err)
	}
	// hotels, room types and rate plans came from the catalog
	if n := dropKey(want, "x_version"); n < 5 {
		t.Fatalf("the loaded page has %d versions: %s", n, loaded.Data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("named page\n%s\ndiffers from the catalog's\n%s", named.Data, loaded.Data)
	}
	if !bytes.Contains(named.Data, []byte(`"name":"Hotel Lumiere","starRating":`)) || !bytes.Contains(named.Data, []byte(`"name":"Double","maxAdults":2`)) {
		t.Fatalf("page %s", named.Data)
	}
}

// dropKey deletes key from every object in v and counts the deletions.
func dropKey(v any, key string) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v[key]; ok {
			delete(v, key)
			n++
		}
		for _, e := range v {
			n += dropKey(e, key)
		}
	case []any:
		for _, e := range v {
			n += dropKey(e, key)
		}
	}
	return n
}

// Two searches in one operation both answer, and the response names the
// engine once.
func TestTwoSearchesInOneOperation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	searchtest.Load(t, b.pool)
	res := b.do(t, "", `{ paris: searchHotels(input: {text: "lumiere"}) { totalCount }
		london: searchHotels(input: {text: "london"}) { totalCount } }`, nil)
	if len(res.Errors) > 0 || string(res.Data) != `{"paris":{"totalCount":1},"london":{"totalCount":1}}` {
		t.Fatalf("got %s %+v", res.Data, res.Errors)
	}
	if res.Extensions["searchEngine"] != "postgres" {
		t.Fatalf("extensions %v", res.Extensions)
	}
}
