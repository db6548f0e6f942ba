package elasticsearch

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	essearch "github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/search"
)

// page is one round's candidates as Elasticsearch returned them.
type page struct {
	sort   search.Sort
	hits   []pageHit
	total  int
	facets search.Facets
}

// pageHit is a candidate hotel and its place in the sort order.
type pageHit struct {
	id         uuid.UUID
	key        float64 // cursor key: lower comes first
	distanceKm *float64
}

// source is the part of a Document a page reads.
type source struct {
	ID       uuid.UUID `json:"id"`
	Location GeoPoint  `json:"location"`
}

// decodePage reads hits, their sort keys, the total and the facets.
func decodePage(resp *essearch.Response, q search.Query, priceEdges []int64) (page, error) {
	if err := complete(resp.TimedOut, resp.Shards_); err != nil {
		return page{}, err
	}
	p := page{sort: q.Sort}
	if resp.Hits.Total != nil {
		p.total = int(resp.Hits.Total.Value)
	}
	for _, h := range resp.Hits.Hits {
		var src source
		if err := json.Unmarshal(h.Source_, &src); err != nil {
			return page{}, fmt.Errorf("decode hit %v: %w", h.Id_, err)
		}
		if len(h.Sort) == 0 {
			return page{}, fmt.Errorf("decode hit %s: no sort values", src.ID)
		}
		v, err := sortNumber(h.Sort[0])
		if err != nil {
			return page{}, fmt.Errorf("decode hit %s: %w", src.ID, err)
		}
		hit := pageHit{id: src.ID, key: sortKey(q.Sort, v)}
		if c := q.Near; c != nil {
			d := v
			if q.Sort != search.SortDistance {
				d = distanceKm(c.Lat, c.Lon, src.Location.Lat, src.Location.Lon)
			}
			hit.distanceKm = &d
		}
		p.hits = append(p.hits, hit)
	}
	p.facets = decodeFacets(resp.Aggregations, priceEdges)
	return p, nil
}

// sortNumber reads a numeric sort value; non-finite values come back as
// strings ("Infinity").
func sortNumber(v types.FieldValue) (float64, error) {
	switch n := v.(type) {
	case float64:
		return n, nil
	case json.Number:
		return n.Float64()
	case string:
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return 0, fmt.Errorf("sort value %q is not a number", n)
		}
		return f, nil
	default:
		return 0, fmt.Errorf("sort value %v (%T) is not a number", v, v)
	}
}

// earthRadiusKm is the mean radius Elasticsearch's arc distance uses.
const earthRadiusKm = 6371.0087714

// distanceKm is the great-circle distance (haversine), as Elasticsearch
// computes arc distances.
func distanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

// decodeFacets reads the aggregations of facetAggregations, whose price
// ranges end at edges. Missing ones (later rounds) read as empty facets.
func decodeFacets(aggs map[string]types.Aggregate, edges []int64) search.Facets {
	f := search.Facets{Amenities: []search.Count{}, Stars: []search.Count{}}
	if a, ok := aggs["amenities"].(*types.StringTermsAggregate); ok {
		if buckets, ok := a.Buckets.([]types.StringTermsBucket); ok {
			for _, b := range buckets {
				f.Amenities = append(f.Amenities, search.Count{Value: fmt.Sprint(b.Key), Count: int(b.DocCount)})
			}
		}
	}
	if a, ok := aggs["stars"].(*types.LongTermsAggregate); ok {
		if buckets, ok := a.Buckets.([]types.LongTermsBucket); ok {
			for _, b := range buckets {
				f.Stars = append(f.Stars, search.Count{Value: strconv.FormatInt(b.Key, 10), Count: int(b.DocCount)})
			}
		}
	}
	f.Prices = make([]search.Bucket, len(edges))
	for i := range edges {
		f.Prices[i].From = edges[i]
		if i+1 < len(edges) {
			f.Prices[i].To = ptr(edges[i+1])
		}
	}
	below := priceCounts(aggs)
	if below == nil {
		return f
	}
	// below[i] counts hotels cheaper than edges[i] (i ≥ 1); below[0] is none,
	// below[len(edges)] all priced hotels.
	for i := range f.Prices {
		f.Prices[i].Count = max(0, below[i+1]-below[i])
	}
	return f
}

// priceCounts reads the cumulative hotel counts of the "prices" facet:
// index i is the hotels below edge i, the last one all of them.
func priceCounts(aggs map[string]types.Aggregate) []int {
	n, ok := aggs["prices"].(*types.NestedAggregate)
	if !ok {
		return nil
	}
	stay, ok := n.Aggregations["stay"].(*types.FilterAggregate)
	if !ok {
		return nil
	}
	r, ok := stay.Aggregations["nightly"].(*types.RangeAggregate)
	if !ok {
		return nil
	}
	buckets, ok := r.Buckets.([]types.RangeBucket)
	if !ok {
		return nil
	}
	// Elasticsearch sorts range buckets by their bounds: read them by key.
	counts := make([]int, len(search.PriceBuckets)+1)
	seen := 0
	for _, b := range buckets {
		hotels, ok := b.Aggregations["hotels"].(*types.ReverseNestedAggregate)
		if !ok || b.Key == nil {
			return nil
		}
		i := len(counts) - 1
		if *b.Key != "all" {
			if _, err := fmt.Sscanf(*b.Key, "below_%d", &i); err != nil || i < 1 || i >= len(counts)-1 {
				return nil
			}
		}
		counts[i] = int(hotels.DocCount)
		seen++
	}
	if seen != len(counts)-1 {
		return nil
	}
	return counts
}

// hotelIDs of a page, in order.
func (p page) hotelIDs() []uuid.UUID {
	ids := make([]uuid.UUID, len(p.hits))
	for i, h := range p.hits {
		ids[i] = h.id
	}
	return ids
}

// confirmed turns the candidates PostgreSQL confirmed into hits, in the
// page's order, and counts the ones it dropped.
func (p page) confirmed(c map[uuid.UUID]confirmation) (hits []search.Hit, dropped int) {
	for _, h := range p.hits {
		conf, ok := c[h.id]
		if !ok || !conf.inPriceRange {
			dropped++
			continue
		}
		hits = append(hits, search.Hit{
			HotelID: h.id, Currency: conf.currency, DistanceKm: h.distanceKm, LowestTotal: conf.lowestTotal,
			CheckIn: conf.checkIn, CheckOut: conf.checkOut, RoomTypes: conf.roomTypes,
			Cursor: search.Cursor{Sort: p.sort, Key: h.key, ID: h.id, Engine: engineName}.Encode(),
			Named:  true, HotelName: conf.name, StarRating: conf.starRating,
		})
	}
	return hits, dropped
}

// complete refuses an answer some of the index did not give: shards that
// failed (a node gone, a shard relocating: Elasticsearch still answers 200
// by default) or a search cut short (timed_out). Its hits, total and facets
// would miss whole parts of the catalog, so it is ErrUnavailable, and the
// router answers from PostgreSQL. So is an answer without shards, which
// is no search answer at all (a proxy's or another service's {}): no hotel
// would seem to match.
func complete(timedOut bool, shards types.ShardStatistics) error {
	if shards.Total == 0 {
		return fmt.Errorf("%w: elasticsearch gave no search answer (no shards searched)", search.ErrUnavailable)
	}
	if timedOut {
		return fmt.Errorf("%w: elasticsearch answered before every shard had searched (timed_out)", search.ErrUnavailable)
	}
	if shards.Failed > 0 {
		why := ""
		if len(shards.Failures) > 0 && shards.Failures[0].Reason.Reason != nil {
			why = ": " + *shards.Failures[0].Reason.Reason
		}
		return fmt.Errorf("%w: %d of %d elasticsearch shards failed%s", search.ErrUnavailable, shards.Failed, shards.Total, why)
	}
	return nil
}
