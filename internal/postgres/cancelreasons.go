package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"
)

// sealCancelReasonsVersion is the Go migration between 00023, which adds
// bookings.cancel_reason_enc, and 00025, which drops bookings.cancel_reason.
const sealCancelReasonsVersion = 24

// sealCancelReasonsBatch is how many plaintext reasons the migration reads
// at a time.
const sealCancelReasonsBatch = 1000

// errNoSealer is migration 00024 finding plaintext reasons without keys.
var errNoSealer = errors.New("the personal data keys are needed to seal them: run 'staygraph migrate' with --pii-keys and --pii-index-key " +
	"(or start 'staygraph serve', which has them)")

// sealCancelReasons is migration 00024: it seals every cancel reason stored
// in plaintext into cancel_reason_enc with seal, in the migration's
// transaction (goose holds one connection and Migrate another: a Go
// migration gets no third). Only the sealed column changes, which the audit
// trail does not record; the version and updated_at stay, as in a key
// rotation. A database without plaintext reasons (a new one) needs no seal.
// Down leaves the sealed reasons as they are.
func sealCancelReasons(seal func(bookingID uuid.UUID, reason string) ([]byte, error)) *goose.Migration {
	return goose.NewGoMigration(sealCancelReasonsVersion, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		var due int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE cancel_reason <> '' AND cancel_reason_enc IS NULL`).Scan(&due)
		if err != nil {
			return fmt.Errorf("count plaintext cancel reasons: %w", err)
		}
		if due == 0 {
			return nil
		}
		if seal == nil {
			return fmt.Errorf("%d bookings hold a cancel reason in plaintext, which is now stored sealed: %w", due, errNoSealer)
		}
		for {
			n, err := sealCancelReasonBatch(ctx, tx, seal)
			if err != nil {
				return err
			}
			if n < sealCancelReasonsBatch {
				return nil
			}
		}
	}}, nil)
}

// sealCancelReasonBatch seals the next batch of plaintext reasons and
// reports how many it took.
func sealCancelReasonBatch(ctx context.Context, tx *sql.Tx, seal func(uuid.UUID, string) ([]byte, error)) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, cancel_reason FROM bookings WHERE cancel_reason <> '' AND cancel_reason_enc IS NULL
		ORDER BY id LIMIT $1 FOR UPDATE`, sealCancelReasonsBatch)
	if err != nil {
		return 0, fmt.Errorf("read plaintext cancel reasons: %w", err)
	}
	type plain struct {
		id     uuid.UUID
		reason string
	}
	var batch []plain
	for rows.Next() {
		var p plain
		if err := rows.Scan(&p.id, &p.reason); err != nil {
			rows.Close()
			return 0, fmt.Errorf("read plaintext cancel reasons: %w", err)
		}
		batch = append(batch, p)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read plaintext cancel reasons: %w", err)
	}
	for _, p := range batch {
		sealed, err := seal(p.id, p.reason)
		if err != nil {
			return 0, fmt.Errorf("seal the cancel reason of booking %s: %w", p.id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bookings SET cancel_reason_enc = $2 WHERE id = $1`, p.id, sealed); err != nil {
			return 0, fmt.Errorf("store the sealed cancel reason of booking %s: %w", p.id, err)
		}
	}
	return len(batch), nil
}
