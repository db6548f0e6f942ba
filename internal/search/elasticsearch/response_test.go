package elasticsearch

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	essearch "github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/search"
)

var (
	lumiereID    = uuid.MustParse("0190f5a4-0000-7000-8000-000000000001")
	montmartreID = uuid.MustParse("0190f5a4-0000-7000-8000-000000000002")
)

// response decodes testdata/name as the typed client does (typed_keys=true).
func response(t *testing.T, name string) *essearch.Response {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	r := essearch.NewResponse()
	if err := json.Unmarshal(b, r); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return r
}

func normalized(t *testing.T, q search.Query) search.Query {
	t.Helper()
	q.Now = now
	if err := q.Normalize(); err != nil {
		t.Fatal(err)
	}
	return q
}

func TestDecodePriceSortedPageWithFacets(t *testing.T) {
	t.Parallel()
	q := normalized(t, search.Query{CheckIn: day("2027-06-24"), CheckOut: day("2027-06-25"), Sort: search.SortPrice, First: 1,
		Near: &search.Circle{Lat: 48.8566, Lon: 2.3522, RadiusKm: 30}, Price: &search.PriceRange{Currency: "EUR"}})
	p, err := decodePage(response(t, "response_price_facets.json"), q, search.PriceEdges("EUR", 0.92))
	if err != nil {
		t.Fatal(err)
	}
	if p.total != 3 || len(p.hits) != 2 || p.hits[0].id != montmartreID || p.hits[0].key != 6521.739130434783 {
		t.Fatalf("page: %+v", p)
	}
	if d := p.hits[1].distanceKm; d == nil || *d != 0 {
		t.Errorf("Lumiere is at the centre: %v", d)
	}
	if d := p.hits[0].distanceKm; d == nil || math.Abs(*d-3.4) > 0.1 {
		t.Errorf("Montmartre is about 3.4 km from the centre: %v", d)
	}
	wantAmenities := []search.Count{{Value: "free_wifi", Count: 3}, {Value: "spa", Count: 2}, {Value: "pool", Count: 1}}
	if !slices.Equal(p.facets.Amenities, wantAmenities) {
		t.Errorf("amenities %+v", p.facets.Amenities)
	}
	wantStars := []search.Count{{Value: "5", Count: 1}, {Value: "4", Count: 1}, {Value: "2", Count: 1}}
	if !slices.Equal(p.facets.Stars, wantStars) {
		t.Errorf("stars %+v", p.facets.Stars)
	}
	// 60, 100 and 400 EUR a night; Lumiere's family room (180 EUR) does not
	// count it twice.
	want := map[int64]int{5000: 1, 10000: 1, 30000: 1}
	if len(p.facets.Prices) != len(search.PriceBuckets) {
		t.Fatalf("price buckets %+v", p.facets.Prices)
	}
	for i, b := range p.facets.Prices {
		if b.Count != want[b.From] || b.From != search.PriceBuckets[i]*100 || (i+1 < len(search.PriceBuckets)) != (b.To != nil) {
			t.Errorf("bucket %d: %+v", i, b)
		}
	}

	// PostgreSQL knows Montmartre is gone: the page keeps Lumiere, with
	// PostgreSQL's prices and the cursor of the index's order.
	total := int64(10000)
	hits, dropped := p.confirmed(map[uuid.UUID]confirmation{
		lumiereID: {currency: "EUR", checkIn: q.CheckIn, checkOut: q.CheckOut, lowestTotal: &total, inPriceRange: true,
			roomTypes: []search.RoomTypeHit{{RoomTypeID: uuid.New(), Total: 10000, UnitsLeft: 2}}},
	})
	if dropped != 1 || len(hits) != 1 || hits[0].HotelID != lumiereID || *hits[0].LowestTotal != 10000 || hits[0].Currency != "EUR" {
		t.Fatalf("confirmed hits %+v, dropped %d", hits, dropped)
	}
	c, err := search.ParseCursor(hits[0].Cursor, search.SortPrice)
	if err != nil || c.Key != 10869.565217391304 || c.ID != lumiereID {
		t.Errorf("cursor %+v %v", c, err)
	}
	// Out of the price range by PostgreSQL's exact stay price: dropped too.
	if hits, dropped := p.confirmed(map[uuid.UUID]confirmation{lumiereID: {inPriceRange: false}}); len(hits) != 0 || dropped != 2 {
		t.Errorf("out of range kept: %+v", hits)
	}
}

func TestDecodeLaterRoundByDistance(t *testing.T) {
	t.Parallel()
	q := normalized(t, search.Query{Near: paris, First: 1})
	p, err := decodePage(response(t, "response_distance_later_round.json"), q, search.PriceEdges(search.DefaultCurrency, 1))
	if err != nil {
		t.Fatal(err)
	}
	if p.total != 0 || len(p.hits) != 2 || p.hits[1].id != montmartreID || p.hits[1].key != 3.432316582653374 ||
		*p.hits[1].distanceKm != 3.432316582653374 {
		t.Fatalf("page %+v", p)
	}
	// No aggregations in a later round: empty facets, every price bucket at 0.
	if len(p.facets.Amenities) != 0 || len(p.facets.Stars) != 0 || len(p.facets.Prices) != len(search.PriceBuckets) {
		t.Errorf("facets %+v", p.facets)
	}
	hits, _ := p.confirmed(map[uuid.UUID]confirmation{lumiereID: {inPriceRange: true}, montmartreID: {inPriceRange: true}})
	c, err := search.ParseCursor(hits[1].Cursor, search.SortDistance)
	if err != nil || c.Key != 3.432316582653374 {
		t.Errorf("cursor %+v %v", c, err)
	}
}

func TestDecodeRelevancePage(t *testing.T) {
	t.Parallel()
	q := normalized(t, search.Query{Text: "montmarte"})
	p, err := decodePage(response(t, "response_text.json"), q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.hits) != 1 || p.hits[0].key != -2.3862944 || p.hits[0].distanceKm != nil {
		t.Fatalf("page %+v", p)
	}
	// Without dates no price facet is asked for: every bucket reads 0.
	for _, b := range p.facets.Prices {
		if b.Count != 0 {
			t.Errorf("price bucket without dates: %+v", b)
		}
	}
	// The cursor leads back to the same search_after.
	hits, _ := p.confirmed(map[uuid.UUID]confirmation{montmartreID: {inPriceRange: true}})
	c, err := search.ParseCursor(hits[0].Cursor, search.SortRelevance)
	if err != nil {
		t.Fatal(err)
	}
	if sa := searchAfter(search.SortRelevance, *c); sa[0] != 2.3862944 {
		t.Errorf("search_after %v", sa)
	}
}

func TestDecodeZones(t *testing.T) {
	t.Parallel()
	got, err := decodeZones(response(t, "response_zones.json"))
	if err != nil || !slices.Equal(got, zones) {
		t.Errorf("zones %v (%v), want %v", got, err, zones)
	}
}

// An answer some of the index did not give (a shard failed: Elasticsearch
// still answers 200 by default; or the search timed out) misses whole parts
// of the catalog: its hits, total and facets are not the answer, nor its
// zones. It is ErrUnavailable, so the router answers from PostgreSQL. So
// is JSON that is no search answer at all ({}: no shards, no hits), as a
// proxy or another service at the address may give: it is not "no hotel
// matches".
func TestPartialAnswersAreUnavailable(t *testing.T) {
	t.Parallel()
	q := normalized(t, search.Query{Text: "montmarte"})
	for name, why := range map[string]string{
		"response_not_a_search.json":  "no search answer",
		"response_shard_failure.json": "1 of 2 elasticsearch shards failed: [es-2][10.0.0.12:9300] Node not connected",
		"response_timed_out.json":     "timed_out",
	} {
		p, err := decodePage(response(t, name), q, nil)
		if !errors.Is(err, search.ErrUnavailable) || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: page of %d hits (total %d), %v; want ErrUnavailable saying %q", name, len(p.hits), p.total, err, why)
		}
		if zones, err := decodeZones(response(t, name)); !errors.Is(err, search.ErrUnavailable) {
			t.Errorf("%s: zones %v, %v; want ErrUnavailable", name, zones, err)
		}
	}
}

func TestSortValuesMayBeStrings(t *testing.T) {
	t.Parallel()
	if v, err := sortNumber("Infinity"); err != nil || !math.IsInf(v, 1) {
		t.Errorf("Infinity: %v %v", v, err)
	}
	if _, err := sortNumber(true); err == nil {
		t.Error("a boolean sort value was accepted")
	}
}
