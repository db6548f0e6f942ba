package elasticsearch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

var recordRefusalsSQL = mustSQL("refusals_record.sql")

// recordRefusals keeps the table search_index_refusals true after a write
// to the alias that began at since: the documents refused (may be nil) are
// recorded, and the rows of the other hotels written or deleted (nil: every
// hotel, after a rebuild) go. An error here fails the write, which the
// indexer then retries; Elasticsearch writes are idempotent.
func (e *Engine) recordRefusals(ctx context.Context, since time.Time, written []uuid.UUID, refused *RefusedError) error {
	// Empty, not nil: pgx sends a nil slice as NULL.
	ids, statuses, types, reasons := []uuid.UUID{}, []int32{}, []string{}, []string{}
	if refused != nil {
		for _, r := range refused.Refusals {
			ids = append(ids, r.ID)
			statuses = append(statuses, int32(r.Status))
			types = append(types, r.Type)
			reasons = append(reasons, r.Reason)
		}
	}
	if _, err := e.pool.Exec(ctx, recordRefusalsSQL, e.opts.Alias, written, since,
		ids, statuses, types, reasons); err != nil {
		return fmt.Errorf("record documents refused by elasticsearch: %w", err)
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
