package elasticsearch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	essearch "github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/search"
)

// DefaultAlias is the index alias searched and written.
const DefaultAlias = "staygraph-hotels"

// Opts tunes the engine. Zero values take the defaults.
type Opts struct {
	// Alias is the index alias searched and written (DefaultAlias).
	Alias string
	// BatchSize is the number of documents per bulk request of Rebuild (DefaultBatchSize).
	BatchSize int
	// CacheFor is how long the time zones present in the index and the
	// exchange rates are reused between searches (1 minute).
	CacheFor time.Duration
	// MaxRounds bounds the Elasticsearch requests of one page when
	// PostgreSQL drops hits and the page has to be topped up (4).
	MaxRounds int
}

// Engine searches an Elasticsearch index of hotels and confirms every page
// against PostgreSQL.
type Engine struct {
	client *elasticsearch.TypedClient
	pool   *pgxpool.Pool
	opts   Opts

	// The time zones of the index and the exchange rates, kept for
	// opts.CacheFor.
	zones refreshed[[]string]
	rates refreshed[map[string]exchangeRate]
}

var (
	_ search.Engine  = (*Engine)(nil)
	_ search.Partial = (*Engine)(nil)
)

// NewEngine returns the Elasticsearch engine over client, confirming pages
// against pool.
func NewEngine(client *elasticsearch.TypedClient, pool *pgxpool.Pool, opts Opts) *Engine {
	if opts.Alias == "" {
		opts.Alias = DefaultAlias
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.CacheFor <= 0 {
		opts.CacheFor = time.Minute
	}
	if opts.MaxRounds <= 0 {
		opts.MaxRounds = 4
	}
	return &Engine{client: client, pool: pool, opts: opts}
}

// Name implements search.Engine.
func (e *Engine) Name() string { return engineName }

// Answers implements search.Partial: a document holds each hotel's cheapest
// night of the year, not the price of the stay asked for, so a price range
// and the PRICE sort are answered roughly; the router gives them to
// PostgreSQL. (The price facets stay rough, counted on that night.)
func (e *Engine) Answers(q search.Query) bool {
	return q.Sort != search.SortPrice && q.Price == nil
}

const engineName = "elasticsearch"

// Ping implements search.Engine: both Elasticsearch and PostgreSQL must answer.
func (e *Engine) Ping(ctx context.Context) error {
	res, err := e.client.Ping().Perform(ctx)
	if err == nil {
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			err = fmt.Errorf("ping answered %s", res.Status)
		}
	}
	if err != nil {
		return fmt.Errorf("%w: elasticsearch: %v", search.ErrUnavailable, err)
	}
	if err := e.pool.Ping(ctx); err != nil {
		return fmt.Errorf("%w: postgresql: %v", search.ErrUnavailable, err)
	}
	return nil
}

// Search implements search.Engine. q must be normalized. Elasticsearch
// finds and orders the candidates; PostgreSQL then confirms each page's
// stays (see confirm.sql): hits it reports gone, sold out or out of the
// price range are dropped and the page is topped up from the next
// candidates, at most Opts.MaxRounds requests. TotalCount and Facets come
// from Elasticsearch, less the hits dropped on this page: they can lag the
// database by the indexer's delay.
func (e *Engine) Search(ctx context.Context, q search.Query) (search.Result, error) {
	after, err := search.ParseCursor(q.After, q.Sort)
	if err != nil {
		return search.Result{}, err
	}
	if err := after.CheckEngine(engineName); err != nil {
		return search.Result{}, err
	}
	env, err := e.environment(ctx, q)
	if err != nil {
		return search.Result{}, err
	}
	res := search.Result{Engine: e.Name(), Hits: []search.Hit{}}
	dropped := 0
	for round := 0; ; round++ {
		req := buildRequest(q, after, env, round == 0)
		resp, err := e.client.Search().Index(e.opts.Alias).Request(req).Do(ctx)
		if err != nil {
			return search.Result{}, searchError(err)
		}
		p, err := decodePage(resp, q, env.priceEdges(q))
		if err != nil {
			return search.Result{}, err
		}
		if round == 0 {
			res.TotalCount, res.Facets = p.total, p.facets
		}
		confirmed, err := e.confirm(ctx, q, p.hotelIDs())
		if err != nil {
			return search.Result{}, err
		}
		hits, n := p.confirmed(confirmed)
		res.Hits = append(res.Hits, hits...)
		dropped += n
		if len(res.Hits) > q.First {
			res.Hits, res.HasNextPage = res.Hits[:q.First], true
			break
		}
		if len(p.hits) < *req.Size {
			break // no more candidates
		}
		last := p.hits[len(p.hits)-1]
		after = &search.Cursor{Sort: q.Sort, Key: last.key, ID: last.id, Engine: engineName}
		if round+1 >= e.opts.MaxRounds {
			// Stop here, short of a full page (even an empty one): the next
			// page resumes after the candidates examined, which PostgreSQL
			// found gone. (Without a page asked for, there is none to
			// resume: whether there are hits is all that is said.)
			res.HasNextPage = true
			if !q.NoHits {
				res.EndCursor = after.Encode()
			}
			break
		}
	}
	res.TotalCount = max(res.TotalCount-dropped, len(res.Hits))
	return res, nil
}

// searchError tells a request Elasticsearch refused as malformed from
// failures to reach it or a missing index (the engine cannot answer).
func searchError(err error) error {
	var esErr *types.ElasticsearchError
	if errors.As(err, &esErr) && esErr.Status == 400 {
		return fmt.Errorf("search hotels in elasticsearch: %w", err)
	}
	return fmt.Errorf("%w: search hotels in elasticsearch: %v", search.ErrUnavailable, err)
}

// environment is what a request needs besides the query: the time zones
// present in the index (for hotel-local dates) and the exchange rate of the
// price currency (nil when it has none).
type environment struct {
	zones  []string
	target *exchangeRate
}

// priceEdges are the price facet edges in minor units of the price
// currency (search.PriceEdges).
func (env environment) priceEdges(q search.Query) []int64 {
	perUSD := 0.0
	if env.target != nil {
		perUSD = env.target.perUSD
	}
	return search.PriceEdges(q.PriceCurrency(), perUSD)
}

func (e *Engine) environment(ctx context.Context, q search.Query) (environment, error) {
	var env environment
	if !q.HasDates() { // a price range needs dates too (search.Query.Normalize)
		return env, nil
	}
	rates, err := e.cachedRates(ctx)
	if err != nil {
		return env, err
	}
	if r, ok := rates[q.PriceCurrency()]; ok {
		env.target = &r
	} else if q.Price != nil {
		return env, search.ErrNoExchangeRate(q.PriceCurrency())
	}
	env.zones, err = e.cachedZones(ctx)
	return env, err
}

func (e *Engine) cachedZones(ctx context.Context) ([]string, error) {
	return e.zones.get(ctx, e.opts.CacheFor, e.fetchZones)
}

// fetchZones asks the index which time zones its hotels are in.
func (e *Engine) fetchZones(ctx context.Context) ([]string, error) {
	resp, err := e.client.Search().Index(e.opts.Alias).Request(zonesRequest()).Do(ctx)
	if err != nil {
		return nil, searchError(err)
	}
	return decodeZones(resp)
}

// zonesRequest lists the distinct time zones of the index.
func zonesRequest() *essearch.Request {
	return &essearch.Request{Size: ptr(0), Aggregations: map[string]types.Aggregations{
		"zones": {Terms: &types.TermsAggregation{Field: ptr("time_zone"), Size: ptr(maxZones)}},
	}}
}

// maxZones is more than the IANA database has.
const maxZones = 1000

// decodeZones reads the zones of the index, none when it has no hotels. An
// answer some shards did not give is ErrUnavailable: a zone missing would
// leave its hotels out of every dated search.
func decodeZones(resp *essearch.Response) ([]string, error) {
	if err := complete(resp.TimedOut, resp.Shards_); err != nil {
		return nil, err
	}
	zones := []string{}
	agg, ok := resp.Aggregations["zones"].(*types.StringTermsAggregate)
	if !ok {
		return zones, nil
	}
	if buckets, ok := agg.Buckets.([]types.StringTermsBucket); ok {
		for _, b := range buckets {
			if s, ok := b.Key.(string); ok {
				zones = append(zones, s)
			}
		}
	}
	slices.Sort(zones)
	return zones, nil
}

func (e *Engine) cachedRates(ctx context.Context) (map[string]exchangeRate, error) {
	return e.rates.get(ctx, e.opts.CacheFor, e.fetchRates)
}

// fetchRates reads the exchange rates from PostgreSQL.
func (e *Engine) fetchRates(ctx context.Context) (map[string]exchangeRate, error) {
	rows, err := e.pool.Query(ctx, exchangeRatesSQL)
	if err != nil {
		return nil, fmt.Errorf("load exchange rates: %w", err)
	}
	rates := map[string]exchangeRate{}
	var currency string
	var r exchangeRate
	if _, err := pgx.ForEachRow(rows, []any{&currency, &r.perUSD, &r.minorDigits}, func() error {
		if r.perUSD > 0 {
			rates[currency] = r
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("load exchange rates: %w", err)
	}
	return rates, nil
}
