package booking

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// idempotency identifies one mutation request: the caller, their key, the
// operation and a hash of its input.
type idempotency struct {
	principal string
	key       string
	operation string
	hash      []byte
}

// newIdempotency fingerprints a request with a keyed MAC: requests hold
// personal data, and a plain hash in the database would let anyone check a
// guess of it.
func (s *Service) newIdempotency(owner, key, operation string, input any) (idempotency, error) {
	key = strings.TrimSpace(key)
	if key == "" || utf8.RuneCountInString(key) > 200 {
		return idempotency{}, apperr.Invalid("give an idempotency key of 1 to 200 characters", "input", "idempotencyKey")
	}
	body, err := json.Marshal(input)
	if err != nil {
		return idempotency{}, fmt.Errorf("hash request: %w", err)
	}
	return idempotency{principal: owner, key: key, operation: operation,
		hash: s.opts.PII.MAC(append([]byte(operation+"\x00"), body...))}, nil
}

// replay returns the booking a request with the same key produced before.
// The same key with another operation or input is IDEMPOTENCY_KEY_REUSED.
func (s *Service) replay(ctx context.Context, k idempotency) (Booking, bool, error) {
	row, err := s.q.GetIdempotencyKey(ctx, db.GetIdempotencyKeyParams{Principal: k.principal, Key: k.key})
	if errors.Is(err, pgx.ErrNoRows) {
		return Booking{}, false, nil
	}
	if err != nil {
		return Booking{}, false, fmt.Errorf("look up idempotency key: %w", err)
	}
	if row.Operation != k.operation || !bytes.Equal(row.RequestHash, k.hash) {
		return Booking{}, false, &apperr.Error{Code: IdempotencyKeyReused, Field: []string{"input", "idempotencyKey"},
			Message: "this idempotency key was already used for a different request; use a new key"}
	}
	b, err := s.q.GetBooking(ctx, row.BookingID)
	if err != nil {
		return Booking{}, false, fmt.Errorf("load booking of idempotency key: %w", err)
	}
	replayed, err := s.reveal(bookingFromRow(b))
	return replayed, true, err
}

// replayOr returns the booking a request with k produced before, or, when
// k is new, failure.
func (s *Service) replayOr(ctx context.Context, k idempotency, failure error) (Booking, error) {
	b, ok, err := s.replay(ctx, k)
	switch {
	case err != nil:
		return Booking{}, err
	case ok:
		return b, nil
	default:
		return Booking{}, failure
	}
}

// saveTx records the result of k in the mutation's own transaction, so the
// record exists exactly when the change does.
func saveTx(ctx context.Context, q *db.Queries, k idempotency, booking Booking) error {
	err := q.SaveIdempotencyKey(ctx, db.SaveIdempotencyKeyParams{
		Principal: k.principal, Key: k.key, Operation: k.operation, RequestHash: k.hash, BookingID: booking.ID})
	if err != nil {
		return fmt.Errorf("save idempotency key: %w", err)
	}
	return nil
}

// isKeyRace reports whether err is a concurrent request with the same key
// committing first; the caller then replays its result.
func isKeyRace(err error) bool {
	return postgres.IsUniqueViolation(err) && postgres.Constraint(err) == "idempotency_keys_pkey"
}
