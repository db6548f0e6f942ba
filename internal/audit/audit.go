// Package audit is the audit trail: who changed what in the catalog,
// bookings, payments and API keys, and when.
//
// The database writes the trail itself: triggers on the audited tables
// (migration 00008_audit_log.sql) append one row per changed row to the
// append-only audit_log table, in the transaction that made the change. This
// package supplies the "who": services run every write transaction with
// InTx, which names the actor, and the triggers read it back. It also reads
// the trail for administrators.
//
// Audited: hotels, room types, rooms, rate plans, maintenance blocks,
// bookings, payments, refunds, API keys and exchange rates (whose entity id
// is the currency code). Never recorded: sealed personal
// data (*_enc, *_idx columns) and key secret hashes. Nightly rates and
// inventory change too often to audit row by row: setting rates bumps the
// rate plan's version (audited), and inventory follows the audited bookings,
// rooms and maintenance blocks.
package audit

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// Action is what happened to a row.
type Action string

// Actions.
const (
	Insert Action = "INSERT"
	Update Action = "UPDATE"
	Delete Action = "DELETE"
)

// Entity is the kind of object an entry is about: the table of the row.
type Entity string

// Audited entities.
const (
	Hotel            Entity = "hotels"
	RoomType         Entity = "room_types"
	Room             Entity = "rooms"
	RatePlan         Entity = "rate_plans"
	MaintenanceBlock Entity = "maintenance_blocks"
	Booking          Entity = "bookings"
	Payment          Entity = "payments"
	Refund           Entity = "refunds"
	RefundPart       Entity = "refund_parts"
	APIKey           Entity = "api_keys"
	ExchangeRate     Entity = "exchange_rates"
)

// Entities lists every audited entity.
var Entities = []Entity{Hotel, RoomType, Room, RatePlan, MaintenanceBlock, Booking, Payment, Refund, RefundPart, APIKey, ExchangeRate}

type jobKey struct{}

// WithJob returns a copy of ctx that names the background job doing the
// work, for changes made without a principal.
func WithJob(ctx context.Context, job string) context.Context {
	return context.WithValue(ctx, jobKey{}, job)
}

// Actor names who acts in ctx: "ROLE:subject" for a principal,
// "system:<job>" for a background job (WithJob), and "system:unknown" for
// work that named neither (it cannot come from the API, where every write
// requires a principal).
func Actor(ctx context.Context) string {
	if p := auth.FromContext(ctx); p != nil {
		return p.Name()
	}
	if job, _ := ctx.Value(jobKey{}).(string); job != "" {
		return "system:" + job
	}
	return "system:unknown"
}

// InTx runs fn in a write transaction on pool attributed to Actor(ctx):
// every change it makes to an audited table is recorded as made by that
// actor. It commits when fn returns nil.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	return postgres.InTx(ctx, postgres.WritesAs(pool, Actor(ctx)), fn)
}

// Entry is one change to one row.
type Entry struct {
	// ID orders the trail: a later entry has a larger id.
	ID int64
	// At is when the transaction that made the change began.
	At time.Time
	// Actor is who made it (see Actor); "db:<role>" for changes made
	// directly in the database.
	Actor    string
	Action   Action
	Entity   Entity
	EntityID string // the row's id
	// Changes are the recorded columns, by name: every column of an
	// inserted or deleted row, the columns whose value changed in an update.
	// Sealed personal data and secrets are never recorded.
	Changes []Change
}

// Change is one column of an entry, its values as JSON. Old is nil for an
// inserted row, New for a deleted one.
type Change struct {
	Field string
	Old   json.RawMessage
	New   json.RawMessage
}

// Filter narrows the trail. The zero Filter is every entry.
type Filter struct {
	// Entity keeps one kind of object.
	Entity Entity
	// EntityID keeps one object; it needs Entity.
	EntityID string
}

// Trail reads the audit trail.
type Trail struct {
	q *db.Queries
}

// NewTrail returns the audit trail over pool.
func NewTrail(pool *pgxpool.Pool) *Trail {
	return &Trail{q: db.New(pool)}
}

// List returns up to limit entries matching f, newest first, older than the
// entry with id before (0: from the newest). Administrators only.
func (t *Trail) List(ctx context.Context, f Filter, before int64, limit int) ([]Entry, error) {
	if err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	if f.EntityID != "" && f.Entity == "" {
		return nil, apperr.Invalid("give the entity of the entity id", "entity")
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	var rows []db.AuditLog
	var err error
	switch {
	case f.EntityID != "":
		rows, err = t.q.ListAuditLogOfRow(ctx, db.ListAuditLogOfRowParams{Entity: string(f.Entity), EntityID: f.EntityID,
			Before: before, PageSize: int32(limit)})
	case f.Entity != "":
		rows, err = t.q.ListAuditLogOfEntity(ctx, db.ListAuditLogOfEntityParams{Entity: string(f.Entity), Before: before, PageSize: int32(limit)})
	default:
		rows, err = t.q.ListAuditLog(ctx, db.ListAuditLogParams{Before: before, PageSize: int32(limit)})
	}
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	out := make([]Entry, len(rows))
	for i, r := range rows {
		if out[i], err = entryFromRow(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func entryFromRow(r db.AuditLog) (Entry, error) {
	var cols map[string]struct {
		Old json.RawMessage `json:"old"`
		New json.RawMessage `json:"new"`
	}
	if err := json.Unmarshal(r.Changes, &cols); err != nil {
		return Entry{}, fmt.Errorf("decode audit entry %d: %w", r.ID, err)
	}
	changes := make([]Change, 0, len(cols))
	for field, c := range cols {
		changes = append(changes, Change{Field: field, Old: c.Old, New: c.New})
	}
	slices.SortFunc(changes, func(a, b Change) int { return cmp.Compare(a.Field, b.Field) })
	return Entry{ID: r.ID, At: r.At, Actor: r.Actor, Action: Action(r.Action), Entity: Entity(r.Entity),
		EntityID: r.EntityID, Changes: changes}, nil
}
