// Package catalog owns what hotels sell: hotels, room types, rooms, rate plans
// and nightly rates, and the exchange rates search prices them across
// currencies with. Writes check the caller's right to manage the hotel and
// use optimistic concurrency on version columns.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/audit"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// Service reads and changes the catalog.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	now  func() time.Time
}

// NewService returns a catalog service over pool, on the wall clock.
func NewService(pool *pgxpool.Pool) *Service {
	return &Service{pool: pool, q: db.New(pool), now: time.Now}
}

// WithClock returns a copy of the service whose "now" is now(): what
// SetRates counts a hotel's past nights from. A seeder of past stays prices
// them at their time, as the booking core books them at it.
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

// GeoPoint is a WGS 84 position.
type GeoPoint struct {
	Lat float64
	Lon float64
}

// Address is a postal address.
type Address struct {
	Line1       string
	Line2       string
	City        string
	PostalCode  string
	CountryCode string // ISO 3166-1 alpha-2
}

// AddressPatch changes an address: the lines it must have, and the optional
// parts it gives (nil keeps one as it is, "" clears it).
type AddressPatch struct {
	Line1, City, CountryCode string
	Line2, PostalCode        *string
}

func (p AddressPatch) apply(a Address) Address {
	a.Line1, a.City, a.CountryCode = p.Line1, p.City, p.CountryCode
	set(&a.Line2, p.Line2)
	set(&a.PostalCode, p.PostalCode)
	return a
}

// newID returns a time-ordered id, so keyset pages follow creation order.
func newID() uuid.UUID {
	return uuid.Must(uuid.NewV7())
}

// notFound maps a missing row to a NOT_FOUND error naming what was missing.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.New(apperr.NotFound, what+" not found")
	}
	return fmt.Errorf("load %s: %w", what, err)
}

// staleOr maps an optimistic update that matched no row to STALE_VERSION.
func staleOr(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return &apperr.Error{Code: apperr.StaleVersion, Field: []string{"input", "expectedVersion"},
			Message: what + " was changed by someone else; reload it and try again"}
	}
	return fmt.Errorf("update %s: %w", what, err)
}

// checkVersion fails fast when the caller's expected version is already behind.
func checkVersion(current, expected int64, what string) error {
	if current != expected {
		return &apperr.Error{Code: apperr.StaleVersion, Field: []string{"input", "expectedVersion"},
			Message: fmt.Sprintf("%s is at version %d, not %d; reload it and try again", what, current, expected)}
	}
	return nil
}

// unchanged reports whether an update's validated fields are what the
// object already has (its own fields, validated the same way). Such an
// update is not written: the object keeps its version, and the audit
// trail, the change stream and partners' webhooks see no change.
func unchanged[F interface{ validate() (F, error) }](next, current F) bool {
	cur, err := current.validate()
	return err == nil && reflect.DeepEqual(next, cur)
}

// tx runs fn in a transaction attributed to the caller in the audit trail.
// Every catalog write runs in one, so the audit triggers know who made it.
func (s *Service) tx(ctx context.Context, fn func(q *db.Queries) error) error {
	return audit.InTx(ctx, s.pool, func(tx pgx.Tx) error { return fn(s.q.WithTx(tx)) })
}

// write runs one statement in a transaction (see tx) and returns its row.
func write[T any](ctx context.Context, s *Service, stmt func(q *db.Queries) (T, error)) (T, error) {
	var row T
	err := s.tx(ctx, func(q *db.Queries) error {
		var err error
		row, err = stmt(q)
		return err
	})
	return row, err
}
