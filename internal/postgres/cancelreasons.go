package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// sealCancelReasonsVersion is the Go migration after 00023, which adds
// bookings.cancel_reason_enc.
const sealCancelReasonsVersion = 24

// sealCancelReasonsBatch is how many plaintext reasons are sealed per
// statement.
const sealCancelReasonsBatch = 1000

// errNoSealer is migration 00024 or 00039 finding plaintext without keys.
var errNoSealer = errors.New("the personal data keys are needed to seal them: run 'staygraph migrate' with --pii-keys and --pii-index-key " +
	"(or start 'staygraph serve', which has them)")

// sealCancelReasons is migration 00024: every cancel reason stored in
// plaintext is sealed into cancel_reason_enc with seal, and the plaintext
// emptied. sealAhead does the bulk of it before, a batch per transaction
// (goose runs a Go migration in one transaction on one of the pool's
// connections, with Migrate holding another: it gets no third), so that a
// large database is sealed in short transactions and a run that stops keeps
// what it sealed; the migration itself seals what is left (what an older
// server wrote meanwhile) in its transaction. Neither column is recorded by
// the audit trail (00023), and the version and updated_at stay, as in a key
// rotation. A database without plaintext reasons (a new one) needs no seal.
// Down refuses while any reason is sealed: opening them needs the keys, and
// going below 00024 would lose them.
func sealCancelReasons(seal func(bookingID uuid.UUID, reason string) ([]byte, error)) *goose.Migration {
	return goose.NewGoMigration(sealCancelReasonsVersion,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			var due int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE cancel_reason <> ''`).Scan(&due); err != nil {
				return fmt.Errorf("count plaintext cancel reasons: %w", err)
			}
			if due == 0 {
				return nil
			}
			if seal == nil {
				return fmt.Errorf("%d bookings hold a cancel reason in plaintext, which is now stored sealed: %w", due, errNoSealer)
			}
			for after := uuid.Nil; ; {
				last, n, err := sealCancelReasonBatch(ctx, tx, seal, after)
				if err != nil || n < sealCancelReasonsBatch {
					return err
				}
				after = last
			}
		}},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			var sealed int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE cancel_reason_enc IS NOT NULL`).Scan(&sealed); err != nil {
				return fmt.Errorf("count sealed cancel reasons: %w", err)
			}
			if sealed > 0 {
				return fmt.Errorf("%d bookings hold a sealed cancel reason: migrating below 00024 would lose them (restore a backup taken before instead)", sealed)
			}
			return nil
		}})
}

// sealAhead does the bulk of migration 00024 before goose runs it, when it
// is pending and keys are given: the schema up to 00023 first, then the
// plaintext reasons a batch per committed transaction.
func sealAhead(ctx context.Context, provider *goose.Provider, pool *pgxpool.Pool, seal func(uuid.UUID, string) ([]byte, error), log *slog.Logger) error {
	if seal == nil {
		return nil // 00024 says what is missing, if anything is
	}
	current, err := provider.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	if current >= sealCancelReasonsVersion {
		return nil
	}
	if current < sealCancelReasonsVersion-1 {
		results, err := provider.UpTo(ctx, sealCancelReasonsVersion-1)
		if err != nil {
			return fmt.Errorf("apply migrations: %w", err)
		}
		logApplied(log, results)
	}
	db := stdlib.OpenDBFromPool(pool)
	for after := uuid.Nil; ; {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin sealing cancel reasons: %w", err)
		}
		last, n, err := sealCancelReasonBatch(ctx, tx, seal, after)
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			_ = tx.Rollback()
			return err
		}
		if n < sealCancelReasonsBatch {
			return nil
		}
		after = last
	}
}

// sealCancelReasonBatch seals, in tx, the next batch of plaintext reasons of
// bookings after the id after (in id order, so each batch starts where the
// last ended), and returns the last id it read and how many it read.
func sealCancelReasonBatch(ctx context.Context, tx *sql.Tx, seal func(uuid.UUID, string) ([]byte, error), after uuid.UUID) (uuid.UUID, int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, cancel_reason FROM bookings WHERE id > $1 AND cancel_reason <> ''
		ORDER BY id LIMIT $2 FOR UPDATE`, after, sealCancelReasonsBatch)
	if err != nil {
		return after, 0, fmt.Errorf("read plaintext cancel reasons: %w", err)
	}
	var ids []uuid.UUID
	var sealed [][]byte
	for rows.Next() {
		var id uuid.UUID
		var reason string
		if err := rows.Scan(&id, &reason); err != nil {
			rows.Close()
			return after, 0, fmt.Errorf("read plaintext cancel reasons: %w", err)
		}
		s, err := seal(id, reason)
		if err != nil {
			rows.Close()
			return after, 0, fmt.Errorf("seal the cancel reason of booking %s: %w", id, err)
		}
		ids, sealed = append(ids, id), append(sealed, s)
	}
	if err := rows.Err(); err != nil {
		return after, 0, fmt.Errorf("read plaintext cancel reasons: %w", err)
	}
	if len(ids) == 0 {
		return after, 0, nil
	}
	// One statement for the batch (pgx's database/sql driver encodes the
	// slices as arrays).
	if _, err := tx.ExecContext(ctx, `UPDATE bookings b SET cancel_reason_enc = s.enc, cancel_reason = ''
		FROM unnest($1::uuid[], $2::bytea[]) AS s(id, enc) WHERE b.id = s.id`, ids, sealed); err != nil {
		return after, 0, fmt.Errorf("store sealed cancel reasons: %w", err)
	}
	return ids[len(ids)-1], len(ids), nil
}
