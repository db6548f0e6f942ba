package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"

	es8 "github.com/elastic/go-elasticsearch/v8"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/search/elasticsearch"
	"github.com/staygraph/staygraph/internal/search/postgres"
)

// esFlags name the Elasticsearch catalog. Every command that uses it
// (serve, dev, indexer, reindex) defines them with addESFlags and reads the
// addresses with addresses, so --elasticsearch-url means the same
// everywhere.
type esFlags struct {
	url   *string
	alias *string
}

// addESFlags defines --elasticsearch-url, also read from ELASTICSEARCH_URL
// when STAYGRAPH_ELASTICSEARCH_URL is not set, and --elasticsearch-alias.
func addESFlags(f *flags, aliasUsage string) esFlags {
	e := esFlags{
		url: f.String("elasticsearch-url", "",
			"Elasticsearch address(es), comma-separated: http(s)://host:port,... (also read from ELASTICSEARCH_URL); empty: none"),
		alias: f.String("elasticsearch-alias", elasticsearch.DefaultAlias, aliasUsage),
	}
	f.alsoFrom("elasticsearch-url", "ELASTICSEARCH_URL")
	return e
}

// addresses is --elasticsearch-url split at its commas, each address
// trimmed, empty ones dropped (none: no Elasticsearch). An address that is
// not an http(s) URL with a host is refused by its position: it may hold a
// password.
func (e esFlags) addresses() ([]string, error) {
	return esAddresses(*e.url)
}

func esAddresses(value string) ([]string, error) {
	var out []string
	for i, a := range strings.Split(value, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--elasticsearch-url: address %d is not an http(s)://host:port URL", i+1)
		}
		out = append(out, a)
	}
	return out, nil
}

// searchFlags choose and tune the search engine.
type searchFlags struct {
	engine   *string
	es       esFlags
	timeout  *time.Duration
	fallback *bool
	// concurrency bounds the searches running on PostgreSQL at once
	concurrency *int
}

// searchConcurrency is how many searches run on PostgreSQL at once: n when
// set, else about the database server's cores, taken to be this machine's
// (right when both share one; set --search-concurrency otherwise), and at
// most half the pool, so bookings always find connections. More at once
// only share the cores and lengthen the tail: on 2 cores, 16 clients got
// p99s of 91 ms with 2, 104 ms with 3 and 124 ms without a limit, at the same
// 270 searches/s (docs/benchmarks.md).
func searchConcurrency(n, maxConns int) (int, error) {
	if n < 0 {
		return 0, fmt.Errorf("--search-concurrency %d: 0 (automatic) or more", n)
	}
	if n == 0 {
		n = max(1, min(runtime.NumCPU(), maxConns/2))
	}
	return n, nil
}

func addSearchFlags(f *flags) searchFlags {
	return searchFlags{
		engine:   f.String("search-engine", "postgres", "search engine: postgres, or elasticsearch (falls back to postgres)"),
		es:       addESFlags(f, "index alias of the hotel catalog"),
		timeout:  f.Duration("search-timeout", 500*time.Millisecond, "how long Elasticsearch may take before PostgreSQL answers instead"),
		fallback: f.Bool("search-fallback", true, "answer from PostgreSQL when Elasticsearch fails; false answers SEARCH_UNAVAILABLE"),
		concurrency: f.Int("search-concurrency", 0,
			"searches that run on PostgreSQL at once; the others wait their turn in arrival order (0: the machine's cores, at most half of --db-max-conns)"),
	}
}

// check refuses an engine searchRouter could not build. The Elasticsearch
// address is read only where something uses it (withIndexer: the change
// stream writes the catalog there): a stray ELASTICSEARCH_URL does not stop a
// server that neither searches nor indexes with it.
func (f searchFlags) check(withIndexer bool, maxConns int) error {
	if _, err := searchConcurrency(*f.concurrency, maxConns); err != nil {
		return err
	}
	switch *f.engine {
	case "postgres":
	case "elasticsearch":
		addrs, err := f.es.addresses()
		if err != nil {
			return err
		}
		if len(addrs) == 0 {
			return errors.New("--search-engine elasticsearch needs --elasticsearch-url")
		}
	default:
		return fmt.Errorf("unknown --search-engine %q: postgres or elasticsearch", *f.engine)
	}
	if withIndexer {
		_, err := f.es.addresses()
		return err
	}
	return nil
}

// searchRouter builds the configured engine behind a router that falls back
// to the PostgreSQL engine. wrap, when not nil, decorates each engine (with
// metrics and tracing).
func searchRouter(pool *pgxpool.Pool, s serverFlags, log *slog.Logger, wrap func(search.Engine) search.Engine) (*search.Router, error) {
	if wrap == nil {
		wrap = func(e search.Engine) search.Engine { return e }
	}
	turns, err := searchConcurrency(*s.search.concurrency, *s.maxConns)
	if err != nil {
		return nil, err
	}
	pg := wrap(postgres.NewEngine(pool, postgres.Opts{MaxConcurrent: turns}))
	switch *s.search.engine {
	case "postgres":
		return search.NewRouter(search.RouterOpts{Primary: pg, Fallback: pg, Logger: log}), nil
	case "elasticsearch":
		addrs, err := s.search.es.addresses()
		if err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("--search-engine elasticsearch needs --elasticsearch-url")
		}
		client, err := es8.NewTypedClient(es8.Config{Addresses: addrs})
		if err != nil {
			return nil, fmt.Errorf("elasticsearch client: %w", err)
		}
		es := wrap(elasticsearch.NewEngine(client, pool, elasticsearch.Opts{Alias: *s.search.es.alias}))
		return search.NewRouter(search.RouterOpts{Primary: es, Fallback: pg, Timeout: *s.search.timeout,
			NoFallback: !*s.search.fallback, Logger: log}), nil
	default:
		return nil, fmt.Errorf("unknown --search-engine %q: postgres or elasticsearch", *s.search.engine)
	}
}
