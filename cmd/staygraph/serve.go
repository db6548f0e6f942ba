package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/internal/audit"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/explorer"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/server"
)

// defaultMaxConns is the API's default pool size: about four connections per
// core of a small database server. More buy no throughput there and lengthen
// the queues behind hot rows: on 2 cores, 100 clients holding one room type
// got 753-806 holds/s with a p99 of 143-169 ms with 4, 6 or 8 connections,
// and, measured before reservations took turns, 668-707 holds/s with a p99
// of 282-310 ms with 20 (docs/benchmarks.md, "Holds").
const defaultMaxConns = 8

// serverFlags are the settings of the API server, shared by serve and dev.
type serverFlags struct {
	addr            *string
	jwtSecret       *string
	jwtPublicKey    *string
	jwtIssuer       *string
	jwtAudience     *string
	shutdownTimeout *time.Duration
	maxComplexity   *int
	introspection   *bool
	maxConns        *int
	holdTTL         *time.Duration
	jobWorkers      *int
	pii             piiFlags
	abuse           abuseFlags
	search          searchFlags
	notify          notifyFlags
	observe         observeFlags
	payments        paymentFlags
	// live feeds GraphQL subscriptions and stream answers changeStream
	// when this process runs the change stream (--indexer); nil otherwise.
	live   graph.EventSource
	stream graph.StreamStatus
}

func addServerFlags(f *flags) serverFlags {
	return serverFlags{
		addr:            f.String("addr", "127.0.0.1:8080", "address to listen on"),
		jwtSecret:       f.String("jwt-secret", "", "HS256 secret that bearer tokens are signed with"),
		jwtPublicKey:    f.String("jwt-public-key", "", "PEM file of the RSA public key that RS256 bearer tokens are signed with"),
		jwtIssuer:       f.String("jwt-issuer", "", "required iss claim of bearer tokens (optional)"),
		jwtAudience:     f.String("jwt-audience", "", "required aud claim of bearer tokens (optional)"),
		shutdownTimeout: f.Duration("shutdown-timeout", 20*time.Second, "how long in-flight requests may take to finish on shutdown"),
		maxComplexity:   f.Int("max-complexity", 2000, "largest accepted query complexity"),
		introspection:   f.Bool("introspection", true, "allow schema introspection"),
		maxConns:        f.Int("db-max-conns", defaultMaxConns, "largest number of database connections"),
		holdTTL:         f.Duration("hold-ttl", 15*time.Minute, "how long a hold keeps its rooms unconfirmed"),
		jobWorkers:      f.Int("job-workers", 10, "background jobs (hold expiry, ...) run at once by this process"),
		pii:             addPIIFlags(f),
		abuse:           addAbuseFlags(f),
		search:          addSearchFlags(f),
		notify:          addNotifyFlags(f),
		payments:        addPaymentFlags(f),
		observe:         addObserveFlags(f),
	}
}

// minJWTSecret is the shortest HS256 secret accepted: a short one can be
// guessed offline from any token, which then mints ADMIN tokens.
const minJWTSecret = 32

// check refuses settings the server cannot run with safely. withIndexer
// says the process runs the change stream, which writes to Elasticsearch
// when an address is given.
func (s serverFlags) check(withIndexer bool) error {
	switch {
	case *s.maxConns < 3:
		return errors.New("--db-max-conns must be at least 3: migrations, the job queue's listener and requests each hold a connection")
	case *s.maxConns > math.MaxInt32:
		return fmt.Errorf("--db-max-conns must be at most %d", math.MaxInt32)
	case *s.holdTTL <= 0:
		return errors.New("--hold-ttl must be positive: a hold keeps its rooms that long")
	case *s.shutdownTimeout <= 0:
		return errors.New("--shutdown-timeout must be positive: in-flight requests and jobs get that long to finish")
	case *s.search.timeout <= 0:
		return errors.New("--search-timeout must be positive: Elasticsearch gets that long before PostgreSQL answers")
	case *s.abuse.apqCacheSize < -1 || *s.abuse.apqCacheSize == 0:
		return errors.New("--apq-cache-size must be at least 1, or -1 to switch automatic persisted queries off")
	}
	// Limits have no "unlimited" value: 0 or less is a mistake, not a wish.
	for _, limit := range []struct {
		flag  string
		value int
	}{
		{"max-complexity", *s.maxComplexity}, {"max-depth", *s.abuse.maxDepth}, {"max-aliases", *s.abuse.maxAliases},
		{"max-root-fields", *s.abuse.maxRootFields}, {"max-body-bytes", *s.abuse.maxBodyBytes}, {"job-workers", *s.jobWorkers},
	} {
		if limit.value < 1 {
			return fmt.Errorf("--%s must be at least 1, not %d", limit.flag, limit.value)
		}
	}
	for _, check := range []func() error{s.payments.check, s.abuse.check, s.observe.check, s.notify.check,
		func() error { return s.search.check(withIndexer, *s.maxConns) }} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (s serverFlags) jwtConfig() (auth.JWTConfig, error) {
	cfg := auth.JWTConfig{HS256Secret: []byte(*s.jwtSecret), Issuer: *s.jwtIssuer, Audience: *s.jwtAudience}
	if n := len(cfg.HS256Secret); n > 0 && n < minJWTSecret {
		return cfg, fmt.Errorf("--jwt-secret must have at least %d bytes: a short HS256 secret can be guessed from any token", minJWTSecret)
	}
	if *s.jwtPublicKey != "" {
		// An identity provider signs tokens for many applications with one
		// key: without an audience, a token it issued for another one
		// would be accepted here.
		if cfg.Audience == "" {
			return cfg, errors.New("--jwt-public-key needs --jwt-audience: the aud claim that marks the identity provider's tokens for this API")
		}
		pemBytes, err := os.ReadFile(*s.jwtPublicKey)
		if err != nil {
			return cfg, fmt.Errorf("read jwt public key: %w", err)
		}
		if cfg.RS256PublicKey, err = auth.ParseRSAPublicKeyPEM(pemBytes); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

func runServe(ctx context.Context, args []string) error {
	f := newFlags("serve")
	c := commonFlags(f)
	s := addServerFlags(f)
	withIndexer := f.Bool("indexer", false, "run the change stream (CDC indexer) in this process; needs wal_level=logical")
	ixf := addIndexerFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	log := newLogger(*c.logFormat, *c.logLevel)
	if *c.databaseURL == "" {
		return errors.New("set --database-url or STAYGRAPH_DATABASE_URL (or DATABASE_URL); 'staygraph dev' starts a private PostgreSQL for you")
	}
	if err := s.check(*withIndexer); err != nil {
		return err
	}
	if err := s.pii.require(); err != nil {
		return err
	}
	jwtCfg, err := s.jwtConfig()
	if err != nil {
		return err
	}
	if !jwtCfg.Enabled() {
		log.Warn("no --jwt-secret or --jwt-public-key configured: JWTs are refused, only anonymous reads and API keys work")
	}
	pool, err := postgres.Connect(ctx, *c.databaseURL, s.poolOpts())
	if err != nil {
		return err
	}
	defer pool.Close()
	piiKeys, err := s.pii.keyring()
	if err != nil {
		return err
	}
	if err := postgres.MigrateWith(ctx, pool, log, migrateOpts(piiKeys)); err != nil {
		return err
	}
	// The change stream (indexer/), with --indexer; its hub feeds
	// subscriptions.
	if *withIndexer {
		stream, stopIndexer, err := startIndexer(ctx, log, pool, ixf, s.search)
		if err != nil {
			return err
		}
		defer stopIndexer()
		stream.serve(&s)
	}
	return serveAPI(ctx, log, pool, s, jwtCfg, nil)
}

// jobCancelTimeout is how long jobs still running after --shutdown-timeout
// get to return once cancelled.
const jobCancelTimeout = 5 * time.Second

// serveAPI serves the API on s.addr until ctx ends, then stops accepting
// connections and lets in-flight requests and jobs finish (each for
// --shutdown-timeout; then they are cancelled, and it fails). ready, when not nil, is
// called with the bound address once the listener is open.
func serveAPI(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool, s serverFlags, jwtCfg auth.JWTConfig, ready func(addr string)) (err error) {
	// Every line the server logs carries its request id and is redacted.
	log = slog.New(server.NewLogHandler(log.Handler()))
	obs, err := newObservability(ctx, log, pool, s.observe)
	if err != nil {
		return err
	}
	defer obs.close(log)
	workers := river.NewWorkers()
	cfg := jobsConfig(map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: *s.jobWorkers}}, workers, log)
	// Jobs enqueued by a request log with its request id.
	cfg.Middleware = []rivertype.Middleware{&jobRequestIDs{}}
	jobs, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	cat := catalog.NewService(pool)
	piiKeys, err := s.pii.keyring()
	if err != nil {
		return err
	}
	if piiKeys != nil {
		log.Info("personal data keys", "primary", piiKeys.Primary(), "keys", piiKeys.KeyIDs())
		// A key dropped before rotate-keys re-sealed its data would make
		// every read of that data INTERNAL: refuse to start instead.
		if err := booking.CheckKeys(ctx, pool, piiKeys); err != nil {
			return err
		}
	}
	bookings := booking.NewService(pool, cat, payments(s.payments), jobs, booking.Opts{HoldTTL: *s.holdTTL, PII: piiKeys})
	booking.AddWorkers(workers, bookings)
	if err := notifications(s.notify, pool, bookings, jobs, workers, log); err != nil {
		return err
	}
	if err := jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), *s.shutdownTimeout)
		defer cancel()
		if stopErr := jobs.Stop(stopCtx); stopErr != nil {
			// Cut off the jobs still running, their queries with them (they
			// run again later): one waiting on a lock would otherwise hold
			// its pooled connection, and closing the pool waits for it.
			log.Error("stop job queue: cancelling the jobs still running, which run again later", "err", stopErr)
			cancelCtx, cancel := context.WithTimeout(context.Background(), jobCancelTimeout)
			defer cancel()
			if cancelErr := jobs.StopAndCancel(cancelCtx); cancelErr != nil {
				log.Error("cancel jobs", "err", cancelErr)
			}
			err = cmp.Or(err, fmt.Errorf("stop job queue: jobs cut short after --shutdown-timeout: %w", stopErr))
		}
	}()

	keys := auth.NewAPIKeys(pool)
	router, err := searchRouter(pool, s, log, obs.engine)
	if err != nil {
		return err
	}
	resolver := &graph.Resolver{Catalog: cat, Reservations: bookings, Search: router, Keys: keys, Audit: audit.NewTrail(pool), Live: s.live, Stream: s.stream}
	handler, closeHandler, err := apiHandler(ctx, log, pool, s, resolver, auth.NewAuthenticator(jwtCfg, keys), obs)
	if err != nil {
		return err
	}
	defer closeHandler()

	ln, err := net.Listen("tcp", *s.addr)
	if err != nil {
		return fmt.Errorf("listen on %s (choose another with --addr): %w", *s.addr, err)
	}
	// Requests outlive ctx (a signal) to finish during the shutdown; past
	// its timeout they are cancelled, their queries with them.
	requests, cutOff := context.WithCancel(context.WithoutCancel(ctx))
	defer cutOff()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return requests },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving the API", "graphql", "http://"+ln.Addr().String()+"/graphql", "explorer", "http://"+ln.Addr().String()+"/")
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", *s.shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *s.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Cut off what is still running: a request waiting on a lock
		// would otherwise hold its pooled connection, and closing the pool
		// waits for every connection.
		cutOff()
		_ = srv.Close()
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// abuseFlags are the settings that keep the API hard to abuse.
type abuseFlags struct {
	maxDepth       *int
	maxAliases     *int
	maxRootFields  *int
	maxBodyBytes   *int
	apqCacheSize   *int
	allowlist      *string
	rateLimits     *string
	redisURL       *string
	clientIPHeader *string
	corsOrigins    *string
	hsts           *bool
}

func addAbuseFlags(f *flags) abuseFlags {
	return abuseFlags{
		maxDepth:       f.Int("max-depth", graph.DefaultMaxDepth, "deepest accepted nesting of fields in an operation"),
		maxAliases:     f.Int("max-aliases", graph.DefaultMaxAliases, "most aliased fields accepted in an operation"),
		maxRootFields:  f.Int("max-root-fields", graph.DefaultMaxRootFields, "most top-level fields accepted in an operation"),
		maxBodyBytes:   f.Int("max-body-bytes", server.DefaultMaxBodyBytes, "largest accepted request body (and GET query string), in bytes"),
		apqCacheSize:   f.Int("apq-cache-size", 1000, "automatic persisted queries remembered (-1: off)"),
		allowlist:      f.String("operation-allowlist", "", "JSON file of persisted operations (sha256 -> query); when set, partners may run only these"),
		rateLimits:     f.String("rate-limits", "anonymous=10/20,default=50/100", "requests per second/burst by caller: anonymous, default, admin, staff, guest, partner (off: no limit)"),
		redisURL:       f.String("redis-url", "", "Redis shared by API servers for rate limits (redis://host:6379/0); empty: limits per process"),
		clientIPHeader: f.String("client-ip-header", "", "header holding the client address set by a trusted proxy (X-Forwarded-For, X-Real-IP); empty: the peer address"),
		corsOrigins:    f.String("cors-origins", "", "comma-separated origins whose pages may call the API and open subscription sockets (* for any); empty: none besides the API's own"),
		hsts:           f.Bool("hsts", false, "send Strict-Transport-Security (serve over HTTPS only)"),
	}
}

// check refuses settings apiHandler could not use, before anything starts.
func (a abuseFlags) check() error {
	if _, err := server.ParseRules(*a.rateLimits); err != nil {
		return fmt.Errorf("--rate-limits: %w", err)
	}
	if *a.allowlist != "" {
		if _, err := graph.LoadOperationAllowlist(*a.allowlist); err != nil {
			return fmt.Errorf("--operation-allowlist: %w", err)
		}
	}
	if _, err := server.ParseOrigins(*a.corsOrigins); err != nil {
		return fmt.Errorf("--cors-origins: %w", err)
	}
	_, err := a.redisOptions()
	return err
}

// redisOptions reads --redis-url; nil without it. A URL that does not parse
// is not repeated: its password would land in the log.
func (a abuseFlags) redisOptions() (*redis.Options, error) {
	if *a.redisURL == "" {
		return nil, nil
	}
	opt, err := redis.ParseURL(*a.redisURL)
	if err != nil {
		const form = "--redis-url: not a Redis URL (redis://[:password@]host:port/db, with / ? # @ in the password percent-encoded)"
		if errors.As(err, new(*url.Error)) {
			// net/url's message quotes parts of the URL: the password's
			// head, when a / ends the authority early
			return nil, errors.New(form)
		}
		return nil, fmt.Errorf("%s: %w", form, err)
	}
	return opt, nil
}

// apiHandler builds the HTTP handler of the API: the GraphQL endpoint behind
// authentication, rate limits and its limits, health checks and the
// explorer, all behind request ids, the request log, security headers and
// CORS. closeFn releases what it opened (the Redis client).
func apiHandler(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool, s serverFlags, resolver *graph.Resolver, authn *auth.Authenticator, obs *observability) (h http.Handler, closeFn func(), err error) {
	a := s.abuse
	closeFn = func() {}
	rules, err := server.ParseRules(*a.rateLimits)
	if err != nil {
		return nil, nil, fmt.Errorf("--rate-limits: %w", err)
	}
	var allowlist *graph.OperationAllowlist
	if *a.allowlist != "" {
		if allowlist, err = graph.LoadOperationAllowlist(*a.allowlist); err != nil {
			return nil, nil, err
		}
		log.Info("partners limited to the operation allow-list", "operations", allowlist.Len())
		if obs.metrics != nil {
			obs.metrics.AddKnownOperations(allowlist.OperationNames())
		}
	}
	var limiter server.Limiter = server.NewMemoryLimiter()
	opt, err := a.redisOptions()
	if err != nil {
		return nil, nil, err
	}
	if opt != nil {
		redis.SetLogger(redisLogs{log})
		client := redis.NewClient(opt)
		closeFn = func() { _ = client.Close() }
		pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := client.Ping(pingCtx).Err(); err != nil {
			log.Error("redis for rate limits unreachable: limiting per server until it answers", "err", err)
		}
		limiter = server.NewRedisLimiter(client, server.RedisLimiterOpts{Logger: log})
	}
	origins, err := server.ParseOrigins(*a.corsOrigins)
	if err != nil {
		return nil, nil, fmt.Errorf("--cors-origins: %w", err)
	}
	stack := server.NewStack(server.StackOpts{
		Logger:       log,
		MaxBodyBytes: int64(*a.maxBodyBytes),
		Headers:      server.HeaderOpts{HSTS: *a.hsts},
		CORSOrigins:  origins,
		RateLimit:    server.RateLimitOpts{Limiter: limiter, Rules: &rules, ClientIP: server.ClientIP(*a.clientIPHeader)},
	})
	api := graph.NewHandler(resolver, obs.handlerOpts(graph.HandlerOpts{
		Logger: log, MaxComplexity: *s.maxComplexity, DisableIntrospection: !*s.introspection,
		MaxDepth: *a.maxDepth, MaxAliases: *a.maxAliases, MaxRootFields: *a.maxRootFields,
		APQCacheSize: *a.apqCacheSize, Allowlist: allowlist, Authenticator: authn, CORSOrigins: origins,
	}))

	mux := http.NewServeMux()
	mux.Handle("/graphql", stack.API(api, server.Authenticate(authn)))
	mux.Handle("GET /healthz", server.DataHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})))
	// Readiness asks the database over a connection of its own: a pool busy
	// with requests is not a database that cannot be reached, and taking
	// every server out of rotation at the busiest moment would be worse.
	readyCfg := pool.Config().Copy()
	readyCfg.MaxConns, readyCfg.MinConns = 1, 0
	readyPool, err := pgxpool.NewWithConfig(ctx, readyCfg)
	if err != nil {
		closeFn()
		return nil, nil, fmt.Errorf("readiness connection: %w", err)
	}
	closeAPI := closeFn
	closeFn = func() { readyPool.Close(); closeAPI() }
	mux.Handle("GET /readyz", server.DataHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pingCtx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := readyPool.Ping(pingCtx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})))
	mux.Handle("/", explorer.Handler())
	return obs.routes(mux, stack.Wrap), closeFn, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// redisLogs sends the Redis client's own messages (a pool that cannot dial,
// say) through the service's logs, as warnings with the request's id,
// instead of its own lines on stderr.
type redisLogs struct{ log *slog.Logger }

func (r redisLogs) Printf(ctx context.Context, format string, v ...any) {
	r.log.WarnContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
