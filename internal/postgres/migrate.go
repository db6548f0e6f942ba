package postgres

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that serialises migrations.
const migrationLock = 7426000

// MigrateOpts give migrations what the database alone lacks.
type MigrateOpts struct {
	// SealCancelReason seals a booking's cancel reason for
	// bookings.cancel_reason_enc (booking.CancelReasonSealer). Migration
	// 00024 needs it only when a database holds reasons in plaintext,
	// written before 00023; without it, it then fails, saying so.
	SealCancelReason func(bookingID uuid.UUID, reason string) ([]byte, error)
	// SealSettlementNote seals a refund's settlement note for
	// refunds.settlement_note_enc (booking.SettlementNoteSealer).
	// Migration 00039 needs it only when a database holds notes in
	// plaintext, written before 00038; without it, it then fails, saying so.
	SealSettlementNote func(refundID uuid.UUID, note string) ([]byte, error)
	// To, when not 0, is the version to migrate to, down when the database
	// is newer: tests build a database of an earlier version with it. The
	// job queue's migrations are then left as they are.
	To int64
}

// Migrate applies every pending numbered migration of staygraph and of the
// River job queue. A PostgreSQL session advisory lock serialises concurrent
// callers, so several processes starting at once apply each migration once.
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	return MigrateWith(ctx, pool, log, MigrateOpts{})
}

// MigrateWith is Migrate with opts.
func MigrateWith(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, opts MigrateOpts) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection for migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock) //nolint:errcheck

	provider, err := newMigrator(pool, opts)
	if err != nil {
		return err
	}
	if opts.To == 0 || opts.To >= sealCancelReasonsVersion {
		if err := sealAhead(ctx, provider, pool, opts.SealCancelReason, log); err != nil {
			return err
		}
	}
	if opts.To != 0 {
		return migrateTo(ctx, provider, opts.To, log)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	logApplied(log, results)
	river, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("job queue migrator: %w", err)
	}
	res, err := river.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("apply job queue migrations: %w", err)
	}
	for _, v := range res.Versions {
		log.Info("job queue migration applied", "version", v.Version, "duration", v.Duration)
	}
	return nil
}

func logApplied(log *slog.Logger, results []*goose.MigrationResult) {
	for _, r := range results {
		if r.Source.Path == "" { // a Go migration
			log.Info("migration applied", "version", r.Source.Version, "duration", r.Duration)
			continue
		}
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
}

// migrateTo moves the schema up or down to version.
func migrateTo(ctx context.Context, provider *goose.Provider, version int64, log *slog.Logger) error {
	current, err := provider.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	var results []*goose.MigrationResult
	if current > version {
		results, err = provider.DownTo(ctx, version)
	} else {
		results, err = provider.UpTo(ctx, version)
	}
	if err != nil {
		return fmt.Errorf("migrate to version %d: %w", version, err)
	}
	logApplied(log, results)
	return nil
}

// SchemaVersion reports the applied and the newest known migration versions.
func SchemaVersion(ctx context.Context, pool *pgxpool.Pool) (current, latest int64, err error) {
	provider, err := newMigrator(pool, MigrateOpts{})
	if err != nil {
		return 0, 0, err
	}
	return provider.GetVersions(ctx)
}

// newMigrator is the provider of the SQL files in migrations/ and of the
// Go migrations, which take what they need from opts.
func newMigrator(pool *pgxpool.Pool, opts MigrateOpts) (*goose.Provider, error) {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migration files: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, stdlib.OpenDBFromPool(pool), dir,
		goose.WithDisableGlobalRegistry(true), goose.WithGoMigrations(sealCancelReasons(opts.SealCancelReason), sealSettlementNotes(opts.SealSettlementNote)))
	if err != nil {
		return nil, fmt.Errorf("migration provider: %w", err)
	}
	return provider, nil
}

// goMigrations names the Go migrations and their revisions for
// MigrationsDigest; change a revision when a Go migration changes.
const goMigrations = "00024 seal cancel reasons r2 (sealed ahead in batches); 00039 seal settlement notes r1"

// MigrationsDigest is a short hash of every embedded migration file and of
// the Go migrations. Test helpers name template databases after it so a
// schema change builds a new one.
func MigrationsDigest() string {
	h := sha256.New()
	h.Write([]byte(goMigrations))
	entries, _ := fs.ReadDir(migrations, "migrations")
	for _, e := range entries {
		b, _ := migrations.ReadFile("migrations/" + e.Name())
		h.Write([]byte(e.Name()))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
