package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"
)

// sealSettlementNotesVersion is the Go migration after 00038, which adds
// refunds.settlement_note_enc.
const sealSettlementNotesVersion = 39

// sealSettlementNotes is migration 00039: every settlement note stored in
// plaintext is sealed into settlement_note_enc with seal, and the plaintext
// emptied, in the migration's transaction. Unlike cancel reasons (00024) it
// needs no batches ahead of goose: a note is written only when staff settle
// a refund the provider refused, so there are few. Neither column is
// recorded by the audit trail (00038), and the version and updated_at stay,
// as in a key rotation. A database without plaintext notes needs no seal.
// Down refuses while any note is sealed: opening them needs the keys, and
// going below 00039 would lose them.
func sealSettlementNotes(seal func(refundID uuid.UUID, note string) ([]byte, error)) *goose.Migration {
	return goose.NewGoMigration(sealSettlementNotesVersion,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT id, settlement_note FROM refunds WHERE settlement_note <> '' ORDER BY id FOR UPDATE`)
			if err != nil {
				return fmt.Errorf("read plaintext settlement notes: %w", err)
			}
			var ids []uuid.UUID
			var notes []string
			for rows.Next() {
				var id uuid.UUID
				var note string
				if err := rows.Scan(&id, &note); err != nil {
					rows.Close()
					return fmt.Errorf("read plaintext settlement notes: %w", err)
				}
				ids, notes = append(ids, id), append(notes, note)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("read plaintext settlement notes: %w", err)
			}
			if len(ids) == 0 {
				return nil
			}
			if seal == nil {
				return fmt.Errorf("%d refunds hold a settlement note in plaintext, which is now stored sealed: %w", len(ids), errNoSealer)
			}
			sealed := make([][]byte, len(ids))
			for i, id := range ids {
				if sealed[i], err = seal(id, notes[i]); err != nil {
					return fmt.Errorf("seal the settlement note of refund %s: %w", id, err)
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE refunds r SET settlement_note_enc = s.enc, settlement_note = ''
				FROM unnest($1::uuid[], $2::bytea[]) AS s(id, enc) WHERE r.id = s.id`, ids, sealed); err != nil {
				return fmt.Errorf("store sealed settlement notes: %w", err)
			}
			return nil
		}},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			var sealed int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM refunds WHERE settlement_note_enc IS NOT NULL`).Scan(&sealed); err != nil {
				return fmt.Errorf("count sealed settlement notes: %w", err)
			}
			if sealed > 0 {
				return fmt.Errorf("%d refunds hold a sealed settlement note: migrating below 00039 would lose them (restore a backup taken before instead)", sealed)
			}
			return nil
		}})
}
