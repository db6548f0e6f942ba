// Package postgres owns the connection pool, the embedded schema migrations, the
// sqlc-generated queries and the transaction helpers shared by the services that
// keep their state in PostgreSQL.
package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolOpts tunes the connection pool. Zero values take pgx defaults.
type PoolOpts struct {
	// MaxConns caps the number of open connections.
	MaxConns int32
	// Tracer, when set, is told of every statement the pool's connections
	// run (tracing.SQLTracer makes spans of them). Nil traces nothing.
	Tracer pgx.QueryTracer
}

// Connect opens a pool to url and checks that the server answers.
func Connect(ctx context.Context, url string, opts PoolOpts) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Tracer != nil {
		cfg.ConnConfig.Tracer = opts.Tracer
	}
	cfg.AfterConnect = registerUUID
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("reach database: %w", err)
	}
	return pool, nil
}

// Beginner starts transactions; *pgxpool.Pool and pgx.Tx both satisfy it, so
// helpers compose into a caller's transaction.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// InTx runs fn in a transaction that commits when fn returns nil and rolls back
// otherwise.
func InTx(ctx context.Context, db Beginner, fn func(tx pgx.Tx) error) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// WritesAs is a Beginner of write transactions on pool whose changes the
// audit triggers (migration 00008) attribute to actor. The BEGIN and the
// settings go to the server as one message, one round trip; the actor
// travels hex-encoded, so none of its characters is read as SQL.
//
// The transactions run their prepared statements with generic plans
// (plan_cache_mode) and without JIT compilation. Writes are short index
// lookups whose best plan does not depend on the parameters; but for
// statements over arrays and date series the generic plan's estimates are
// poor, so by default the server planned them anew on every execution (a
// third of its CPU on a hold), and a generic plan estimated that high would be
// JIT-compiled on every execution (25 ms).
func WritesAs(pool *pgxpool.Pool, actor string) Beginner {
	return actorBeginner{pool: pool, begin: pgx.TxOptions{BeginQuery: "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL jit = off; " +
		"SELECT set_config('staygraph.actor', convert_from(decode('" + hex.EncodeToString([]byte(actor)) + "', 'hex'), 'UTF8'), true)"}}
}

// inlinedActor is the actor WritesAs writes into its BEGIN.
var inlinedActor = regexp.MustCompile(`decode\('[0-9a-f]*', 'hex'\)`)

// WithoutActor is statement as traces may show it: a write transaction's
// BEGIN (WritesAs) names who acts, inlined to save a round trip, which is
// an argument in all but name and kept off traces as arguments are.
func WithoutActor(statement string) string {
	return inlinedActor.ReplaceAllString(statement, "decode('?', 'hex')")
}

type actorBeginner struct {
	pool  *pgxpool.Pool
	begin pgx.TxOptions
}

func (b actorBeginner) Begin(ctx context.Context) (pgx.Tx, error) {
	return b.pool.BeginTx(ctx, b.begin)
}

// Constraint reports the name of the constraint that err violated, or "".
func Constraint(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

//go:generate go run github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1 generate -f ../../sqlc.yaml

// IsDeadlock reports whether err is PostgreSQL aborting a transaction to
// break a deadlock (SQLSTATE 40P01): the transaction may be run again.
func IsDeadlock(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "40P01"
}

// WithDatabase is connURL (a postgres:// URL or a key=value string) naming
// database name instead: its credentials, host and settings are kept.
func WithDatabase(connURL, name string) string {
	if u, err := url.Parse(connURL); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		q := u.Query() // a dbname parameter would win over the path
		q.Del("dbname")
		q.Del("database")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return connURL + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(name) + "'" // key=value form: the last dbname wins
}
