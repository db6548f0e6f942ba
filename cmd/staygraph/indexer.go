package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	es8 "github.com/elastic/go-elasticsearch/v8"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/eswriter"
	"github.com/staygraph/staygraph/indexer/hub"
	"github.com/staygraph/staygraph/indexer/partnerfeed"
	"github.com/staygraph/staygraph/internal/metrics"
	"github.com/staygraph/staygraph/internal/postgres"
	es "github.com/staygraph/staygraph/internal/search/elasticsearch"
)

// indexerFlags configure the change stream (the CDC indexer), run by
// 'staygraph indexer' or inside serve and dev with --indexer.
type indexerFlags struct {
	slot            *string
	partnerWebhooks *string
	partnerWorkers  *int
}

func addIndexerFlags(f *flags) indexerFlags {
	return indexerFlags{
		slot: f.String("indexer-slot", indexer.DefaultSlot,
			"replication slot of the change stream; one process streams from it, others wait to take over"),
		partnerWebhooks: f.String("partner-webhooks", "",
			`JSON file of partners that receive availability and rate changes (and, with api_keys, their bookings' changes): [{"name", "url", "secret", "previous_secrets", "hotels", "api_keys"}]; previous_secrets also sign every post while a partner moves to a new secret`),
		partnerWorkers: f.Int("partner-webhook-workers", 10, "partner webhook deliveries run at once by this process, for each partner"),
	}
}

// changeStream is the indexer with its consumers.
type changeStream struct {
	ix *indexer.Indexer
	// hub publishes live change events, for GraphQL subscriptions (nil in 'staygraph indexer').
	hub *hub.Hub
	// jobs delivers partner webhooks (nil without partners).
	jobs *river.Client[pgx.Tx]
}

// newChangeStream builds the indexer and its consumers: the hub when
// withHub, the Elasticsearch writer when esf names addresses, the partner
// feed when partners are configured.
func newChangeStream(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool, f indexerFlags, esf esFlags, withHub bool) (*changeStream, error) {
	log = log.With("component", "indexer")
	cs := &changeStream{}
	var consumers []indexer.Consumer
	if withHub {
		cs.hub = hub.New(hub.Opts{Logger: log})
		consumers = append(consumers, cs.hub)
	}
	esAddrs, err := esf.addresses()
	if err != nil {
		return nil, err
	}
	if len(esAddrs) > 0 {
		esAlias := *esf.alias
		client, err := es8.NewTypedClient(es8.Config{Addresses: esAddrs})
		if err != nil {
			return nil, fmt.Errorf("elasticsearch client: %w", err)
		}
		engine := es.NewEngine(client, pool, es.Opts{Alias: esAlias})
		// Named after its alias: another alias is another index, which needs its own snapshot.
		name := "elasticsearch"
		if esAlias != es.DefaultAlias {
			name += ":" + esAlias
		}
		consumers = append(consumers, eswriter.New(engine, pool, eswriter.Opts{Name: name, Logger: log}))
	}
	if *f.partnerWebhooks != "" {
		partners, err := partnerfeed.LoadPartners(*f.partnerWebhooks)
		if err != nil {
			return nil, err
		}
		queues, err := partnerfeed.Queues(ctx, pool, partners, *f.partnerWorkers)
		if err != nil {
			return nil, err
		}
		workers := river.NewWorkers()
		cs.jobs, err = river.NewClient(riverpgxv5.New(pool), jobsConfig(queues, workers, log))
		if err != nil {
			return nil, fmt.Errorf("partner webhook queue: %w", err)
		}
		feed, err := partnerfeed.New(pool, cs.jobs, partners, partnerfeed.Opts{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("--partner-webhooks: %w", err)
		}
		partnerfeed.AddWorkers(workers, feed)
		consumers = append(consumers, feed)
		log.Info("partner webhooks", "partners", len(partners))
	}
	ix, err := indexer.New(pool, consumers, indexer.Opts{Slot: *f.slot, Logger: log})
	if err != nil {
		return nil, err
	}
	cs.ix = ix
	return cs, nil
}

// serve makes the API that s configures read this stream: subscriptions
// from its hub, changeStream from its stats.
func (cs *changeStream) serve(s *serverFlags) {
	if cs.hub != nil {
		s.live = cs.hub
	}
	s.stream = cs.ix
}

// run streams (and delivers partner webhooks) until ctx ends.
func (cs *changeStream) run(ctx context.Context) error {
	if cs.jobs != nil {
		if err := cs.jobs.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("start partner webhook queue: %w", err)
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = cs.jobs.Stop(stopCtx)
		}()
	}
	return cs.ix.Run(ctx)
}

// runIndexer is 'staygraph indexer': the change stream as a process of its own.
func runIndexer(ctx context.Context, args []string) error {
	f := newFlags("indexer")
	c := commonFlags(f)
	ixf := addIndexerFlags(f)
	esf := addESFlags(f, "index alias of the hotel catalog")
	statsAddr := f.String("stats-addr", "", "address to serve GET /stats (JSON: the figures of the GraphQL changeStream), /metrics (Prometheus) and /healthz on; empty: none")
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
	if len(esAddrs) == 0 && *ixf.partnerWebhooks == "" {
		return errors.New("nothing to feed: set --elasticsearch-url and/or --partner-webhooks (subscriptions are fed inside 'staygraph serve --indexer')")
	}
	log := newLogger(*c.logFormat, *c.logLevel)
	pool, err := postgres.Connect(ctx, *c.databaseURL, postgres.PoolOpts{MaxConns: 8})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := indexer.Check(ctx, pool, ""); err != nil {
		return err
	}
	cs, err := newChangeStream(ctx, log, pool, ixf, esf, false)
	if err != nil {
		return err
	}
	if *statsAddr != "" {
		stop, err := serveIndexerStats(ctx, log, *statsAddr, cs.ix, pool)
		if err != nil {
			return err
		}
		defer stop()
		lagCtx, stopLag := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			reportIndexLag(lagCtx, cs.ix)
		}()
		defer func() { stopLag(); wg.Wait() }()
	}
	return cs.run(ctx)
}

// serveIndexerStats serves the indexer's Stats as JSON and the process's
// metrics (staygraph_indexer_lag_seconds, which reportIndexLag keeps
// current, the pool, Go and the process) until stop.
func serveIndexerStats(ctx context.Context, log *slog.Logger, addr string, ix *indexer.Indexer, pool *pgxpool.Pool) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (--stats-addr): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		st, err := ix.Stats(r.Context())
		if err != nil {
			log.Error("indexer stats", "err", err)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(st)
	})
	mux.Handle("GET /metrics", metrics.IndexerHandler(pool))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("serving indexer stats", "url", "http://"+ln.Addr().String()+"/stats")
	return func() {
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}, nil
}

// startIndexer runs the change stream in this process (serve and dev,
// --indexer) until the returned stop is called. A server without
// wal_level=logical fails here, saying how to fix it; later interruptions
// are retried in the background and never stop the API.
func startIndexer(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool, f indexerFlags, search searchFlags) (*changeStream, func(), error) {
	if err := indexer.Check(ctx, pool, ""); err != nil {
		return nil, nil, err
	}
	cs, err := newChangeStream(ctx, log, pool, f, search.es, true)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := cs.run(ctx); err != nil {
			log.Error("change stream stopped: live events, the Elasticsearch catalog and partner webhooks are no longer fed", "err", err)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		reportIndexLag(ctx, cs.ix)
	}()
	return cs, func() { cancel(); wg.Wait() }, nil
}

// indexLagInterval is how often reportIndexLag sets the metric.
const indexLagInterval = 5 * time.Second

// reportIndexLag sets the metric staygraph_indexer_lag_seconds every
// indexLagInterval until ctx ends: the lag of the Elasticsearch writer when
// there is one, else the largest of the consumers (Stats.Lag). A lag is how
// long ago the oldest change a consumer is applying was committed: 0 while
// it is idle, also while the stream itself is down or waits for its slot.
func reportIndexLag(ctx context.Context, ix *indexer.Indexer) {
	tick := time.NewTicker(indexLagInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		st, _ := ix.Stats(ctx) // the lag is known even when the slot query fails
		lag := st.Lag
		for _, c := range st.Consumers {
			if strings.HasPrefix(c.Name, "elasticsearch") {
				lag = c.Lag
			}
		}
		metrics.IndexLag.Set(lag.Seconds())
	}
}
