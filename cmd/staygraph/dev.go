package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/demo"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/devserver"
)

func runDev(ctx context.Context, args []string) error {
	f := newFlags("dev")
	c := commonFlags(f)
	s := addServerFlags(f)
	dataDir := f.String("data-dir", ".staygraph", "folder for the private PostgreSQL cluster and the dev secret")
	pgPort := f.Int("pg-port", devserver.DefaultPort, "port of the private PostgreSQL on 127.0.0.1")
	hotels := f.Int("demo-hotels", 60, "hotels in the demo catalog (0 loads none)")
	pastBookings := f.Int("demo-past-bookings", 0, "past stays to book at each demo hotel that has no booking yet (0: none; each costs start-up time)")
	withIndexer := f.Bool("indexer", true, "run the change stream (CDC indexer) in this process")
	ixf := addIndexerFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	log := newLogger(*c.logFormat, *c.logLevel)
	if err := s.check(*withIndexer); err != nil {
		return err
	}
	// A taken --addr fails now, not after the cluster and the demo world.
	ln, err := net.Listen("tcp", *s.addr)
	if err != nil {
		return fmt.Errorf("listen on %s (choose another with --addr): %w", *s.addr, err)
	}
	ln.Close()

	url := *c.databaseURL
	if url == "" {
		pg, err := devserver.Start(ctx, devserver.Opts{DataDir: filepath.Join(*dataDir, "postgres"), Port: *pgPort, Logger: log})
		if err != nil {
			return err
		}
		defer func() {
			if err := pg.Stop(context.Background()); err != nil {
				log.Error("stop private postgres", "err", err)
			}
		}()
		url = pg.URL()
	}
	if *s.jwtSecret == "" && *s.jwtPublicKey == "" {
		secret, err := devSecret(*dataDir)
		if err != nil {
			return err
		}
		*s.jwtSecret = secret
	}
	if err := s.pii.devDefaults(*dataDir); err != nil {
		return err
	}
	jwtCfg, err := s.jwtConfig()
	if err != nil {
		return err
	}
	pool, err := postgres.Connect(ctx, url, s.poolOpts())
	if err != nil {
		return err
	}
	defer pool.Close()
	keys, err := s.pii.keyring()
	if err != nil {
		return err
	}
	if err := postgres.MigrateWith(ctx, pool, log, migrateOpts(keys)); err != nil {
		return err
	}
	if *hotels > 0 {
		if err := loadDemo(ctx, log, pool, demo.Opts{Hotels: *hotels, PastBookings: *pastBookings, PII: keys}); err != nil {
			return err
		}
	}
	// The change stream (indexer/); a DATABASE_URL server without
	// wal_level=logical only loses it, with a warning that says how to fix it.
	if *withIndexer {
		stream, stopIndexer, err := startIndexer(ctx, log, pool, ixf, s.search)
		if errors.Is(err, indexer.ErrWALLevel) {
			log.Warn("change stream off", "err", err)
		} else if err != nil {
			return err
		} else {
			defer stopIndexer()
			stream.serve(&s)
		}
	}
	return serveAPI(ctx, log, pool, s, jwtCfg, func(addr string) {
		printDevTokens(ctx, log, pool, []byte(*s.jwtSecret), addr)
	})
}

func loadDemo(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool, opts demo.Opts) error {
	opts.Logger = log
	sum, err := demo.Load(ctx, pool, opts)
	if err != nil {
		return err
	}
	if sum.Skipped && sum.Past.Bookings() == 0 {
		log.Info("demo catalog already loaded")
		return nil
	}
	log.Info("demo data loaded", "hotels", sum.Hotels, "past_bookings", sum.Past.Bookings(), "duration", sum.Elapsed.Round(time.Millisecond))
	return nil
}

// printDevTokens shows ready-made tokens so the explorer can be used at once.
func printDevTokens(ctx context.Context, log *slog.Logger, pool *pgxpool.Pool, secret []byte, addr string) {
	if len(secret) == 0 {
		return
	}
	admin, _ := auth.Mint(secret, auth.MintOpts{Role: auth.RoleAdmin, Subject: "dev-admin", TTL: 30 * 24 * time.Hour})
	guest, _ := auth.Mint(secret, auth.MintOpts{Role: auth.RoleGuest, Subject: "dev-guest", TTL: 30 * 24 * time.Hour})
	var b strings.Builder
	fmt.Fprintf(&b, "\nstaygraph is running.\n  explorer: http://%s/\n  graphql:  http://%s/graphql\n\n", addr, addr)
	fmt.Fprintf(&b, "Paste one of these into the explorer's headers as {\"Authorization\": \"Bearer <token>\"}:\n")
	fmt.Fprintf(&b, "  ADMIN: %s\n  GUEST: %s\n", admin, guest)
	if hotels, err := catalog.NewService(pool).ListHotels(ctx, uuid.NullUUID{}, 1); err == nil && len(hotels) == 1 {
		hotelID := hotels[0].ID
		staff, _ := auth.Mint(secret, auth.MintOpts{Role: auth.RoleStaff, Subject: "dev-staff", HotelIDs: []uuid.UUID{hotelID}, TTL: 30 * 24 * time.Hour})
		fmt.Fprintf(&b, "  STAFF of hotel %s: %s\n", relay.ID(relay.KindHotel, hotelID), staff)
	}
	fmt.Fprintf(&b, "\nMore with: go run ./cmd/staygraph token --role ADMIN|STAFF|GUEST [--hotel ID] [--subject ID]\n\n")
	fmt.Fprint(os.Stderr, b.String())
}

func devSecretPath(dataDir string) string { return filepath.Join(dataDir, "jwt-secret") }

// devSecret reads the dev server's HS256 secret, creating it on first use, so
// tokens minted by 'staygraph token' keep working across restarts.
func devSecret(dataDir string) (string, error) {
	path := devSecretPath(dataDir)
	b, err := os.ReadFile(path)
	if err == nil && len(b) > 0 {
		return string(b), nil
	}
	if !errors.Is(err, fs.ErrNotExist) && err != nil {
		return "", fmt.Errorf("read dev secret: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(raw)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", fmt.Errorf("create data folder: %w", err)
	}
	if err := os.WriteFile(path, []byte(secret), 0o600); err != nil {
		return "", fmt.Errorf("write dev secret: %w", err)
	}
	return secret, nil
}
