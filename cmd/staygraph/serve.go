package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/explorer"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
	"github.com/staygraph/staygraph/internal/postgres"
)

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
		maxConns:        f.Int("db-max-conns", 20, "largest number of database connections"),
		holdTTL:         f.Duration("hold-ttl", 15*time.Minute, "how long a hold keeps its rooms unconfirmed"),
		jobWorkers:      f.Int("job-workers", 10, "background jobs (hold expiry, ...) run at once by this process"),
	}
}

func (s serverFlags) jwtConfig() (auth.JWTConfig, error) {
	cfg := auth.JWTConfig{HS256Secret: []byte(*s.jwtSecret), Issuer: *s.jwtIssuer, Audience: *s.jwtAudience}
	if *s.jwtPublicKey != "" {
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
	if err := f.parse(args); err != nil {
		return err
	}
	log := newLogger(*c.logFormat, *c.logLevel)
	if *c.databaseURL == "" {
		return errors.New("set --database-url or STAYGRAPH_DATABASE_URL (or DATABASE_URL); 'staygraph dev' starts a private PostgreSQL for you")
	}
	jwtCfg, err := s.jwtConfig()
	if err != nil {
		return err
	}
	if !jwtCfg.Enabled() {
		log.Warn("no --jwt-secret or --jwt-public-key configured: bearer tokens are refused, only anonymous reads and API keys work")
	}
	pool, err := postgres.Connect(ctx, *c.databaseURL, postgres.PoolOpts{MaxConns: int32(*s.maxConns)})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool, log); err != nil {
		return err
	}
	return serveAPI(ctx, log, pool, s, jwtCfg, nil)
}

// serveAPI serves the API on s.addr until ctx ends, then stops accepting
// connections and lets in-flight requests finish. ready, when not nil, is
// called with the bound address once the listener is open.
func serveAPI(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool, s serverFlags, jwtCfg auth.JWTConfig, ready func(addr string)) error {
	workers := river.NewWorkers()
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: *s.jobWorkers}},
		Workers: workers,
		Logger:  log,
	})
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	cat := catalog.NewService(pool)
	bookings := booking.NewService(pool, cat, payment.NewRegistry(sandbox.New()), jobs, booking.Opts{HoldTTL: *s.holdTTL})
	booking.AddWorkers(workers, bookings)
	if err := jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), *s.shutdownTimeout)
		defer cancel()
		if err := jobs.Stop(stopCtx); err != nil {
			log.Error("stop job queue", "err", err)
		}
	}()

	keys := auth.NewAPIKeys(pool)
	router, err := searchRouter(pool, s, log)
	if err != nil {
		return err
	}
	resolver := &graph.Resolver{Catalog: cat, Reservations: bookings, Search: router, Keys: keys}
	api := graph.NewHandler(resolver, graph.HandlerOpts{
		Logger: log, MaxComplexity: *s.maxComplexity, DisableIntrospection: !*s.introspection,
	})
	authn := auth.NewAuthenticator(jwtCfg, keys)

	mux := http.NewServeMux()
	mux.Handle("/graphql", authn.Middleware(api))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		pingCtx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := pool.Ping(pingCtx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("/", explorer.Handler())

	ln, err := net.Listen("tcp", *s.addr)
	if err != nil {
		return fmt.Errorf("listen on %s (choose another with --addr): %w", *s.addr, err)
	}
	srv := &http.Server{
		Handler:           requestLog(log, mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
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
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// requestLog logs one line per request at debug level, and slow or failed
// ones at info.
func requestLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		level := slog.LevelDebug
		if d := time.Since(start); d > time.Second || rec.status >= 500 {
			level = slog.LevelInfo
		}
		log.Log(r.Context(), level, "http request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration", time.Since(start))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
