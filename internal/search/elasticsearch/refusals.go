package elasticsearch

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

var (
	recordRefusalsSQL = mustSQL("refusals_record.sql")
	retireRefusalsSQL = mustSQL("refusals_retire.sql")
)

// recordRefusals keeps the table search_index_refusals true after hotels
// were written (or deleted) through the alias: the documents refused (may
// be nil) are recorded by index, and the other rows of those hotels go. An
// error here fails the write, which the indexer then retries;
// Elasticsearch writes are idempotent.
func (e *Engine) recordRefusals(ctx context.Context, written []uuid.UUID, refused *RefusedError) error {
	// Empty, not nil: pgx sends a nil slice as NULL.
	indices, ids, statuses, types, reasons := []string{}, []uuid.UUID{}, []int32{}, []string{}, []string{}
	if refused != nil {
		for _, r := range refused.Refusals {
			indices = append(indices, r.Index)
			ids = append(ids, r.ID)
			statuses = append(statuses, int32(r.Status))
			types = append(types, r.Type)
			reasons = append(reasons, r.Reason)
		}
	}
	if _, err := e.pool.Exec(ctx, recordRefusalsSQL, e.opts.Alias, written, indices, ids, statuses, types, reasons); err != nil {
		return fmt.Errorf("record documents refused by elasticsearch: %w", err)
	}
	return nil
}

// retireRefusals forgets the refusals of indices a rebuild deleted.
func (e *Engine) retireRefusals(ctx context.Context, indices []string) error {
	if _, err := e.pool.Exec(ctx, retireRefusalsSQL, indices); err != nil {
		return fmt.Errorf("forget the refusals of the retired indices: %w", err)
	}
	return nil
}

// refusedOf is err's *RefusedError, or nil when err is nil or another error
// (which it returns).
func refusedOf(err error) (*RefusedError, error) {
	var refused *RefusedError
	if errors.As(err, &refused) {
		return refused, nil
	}
	return nil, err
}
