package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/schollz/progressbar/v3"

	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/db"
	es "github.com/staygraph/staygraph/internal/search/elasticsearch"
)

// A server that takes the connection and never answers must not hang a
// release job: the ping gets reindexPingTimeout, and every request of the
// rebuild reindexResponseTimeout to start answering (a bulk request of a
// slow cluster takes seconds, not minutes).
const (
	reindexPingTimeout     = 30 * time.Second
	reindexResponseTimeout = 2 * time.Minute
)

// runReindex rebuilds the Elasticsearch index from PostgreSQL into a new
// index and moves the alias to it atomically; searches keep using the old
// index until the swap.
func runReindex(ctx context.Context, args []string) error {
	f := newFlags("reindex")
	c := commonFlags(f)
	esf := addESFlags(f, "index alias to rebuild")
	alias := esf.alias
	nights := f.Int("nights", es.DefaultNights, "nights of availability and prices to index, from yesterday (UTC)")
	batch := f.Int("batch", es.DefaultBatchSize, "hotels per database read and documents per bulk request")
	quiet := f.Bool("quiet", false, "no progress bar")
	if err := f.parse(args); err != nil {
		return err
	}
	if *c.databaseURL == "" {
		return errors.New("set --database-url or STAYGRAPH_DATABASE_URL (or DATABASE_URL)")
	}
	esAddrs, err := esf.addresses()
	if err != nil {
		return err
	}
	if len(esAddrs) == 0 {
		return errors.New("set --elasticsearch-url or STAYGRAPH_ELASTICSEARCH_URL (or ELASTICSEARCH_URL)")
	}
	if *nights < 1 || *batch < 1 {
		return errors.New("--nights and --batch must be at least 1")
	}
	log := newLogger(*c.logFormat, *c.logLevel)
	pool, err := postgres.Connect(ctx, *c.databaseURL, postgres.PoolOpts{MaxConns: 4})
	if err != nil {
		return err
	}
	defer pool.Close()
	client, err := elasticsearch.NewTypedClient(es.RebuildClientConfig(esAddrs, reindexResponseTimeout))
	if err != nil {
		return fmt.Errorf("configure elasticsearch client: %w", err)
	}
	engine := es.NewEngine(client, pool, es.Opts{Alias: *alias, BatchSize: *batch})
	pingCtx, cancel := context.WithTimeout(ctx, reindexPingTimeout)
	err = engine.Ping(pingCtx)
	cancel()
	if err != nil {
		return err
	}
	total, err := db.New(pool).CountHotels(ctx)
	if err != nil {
		return fmt.Errorf("count hotels: %w", err)
	}
	// Yesterday in UTC is on or before every hotel's business date (its
	// "today", never more than a day before UTC's).
	from := time.Now().UTC().AddDate(0, 0, -1)
	log.Info("rebuilding elasticsearch index", "alias", *alias, "hotels", total, "from", from.Format(time.DateOnly), "nights", *nights)
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetVisibility(!*quiet),
		progressbar.OptionSetDescription("indexing hotels"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("hotels"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	started := time.Now()
	done := 0
	err = engine.Rebuild(ctx, es.LoadAll(ctx, pool, from, *nights, *batch), func(n, _ int) {
		done = n
		if n > bar.GetMax() {
			bar.ChangeMax(n) // hotels created while indexing
		}
		_ = bar.Set(n)
	})
	_ = bar.Finish()
	var refused *es.RefusedError
	if errors.As(err, &refused) {
		for _, r := range refused.Refusals {
			log.Error("document refused", "hotel", r.ID, "status", r.Status, "type", r.Type, "reason", r.Reason)
		}
		return fmt.Errorf("index %s not rebuilt: Elasticsearch refused the documents of %d hotels (each logged above); it keeps serving its previous index", *alias, len(refused.Refusals))
	}
	var cleanup *es.CleanupError
	if errors.As(err, &cleanup) {
		log.Warn("the alias serves the new index, but what it replaced was not cleared; delete it by hand", "alias", *alias, "err", err)
	} else if err != nil {
		return fmt.Errorf("rebuild index %s: %w", *alias, err)
	}
	log.Info("elasticsearch index rebuilt", "alias", *alias, "hotels", done, "took", time.Since(started).Round(time.Millisecond))
	return nil
}
