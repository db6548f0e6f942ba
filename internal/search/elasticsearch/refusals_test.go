package elasticsearch

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// What the table of refused documents holds after each kind of write, on
// PostgreSQL: a refusal is recorded, and counted again when it repeats; a
// later accepted write or delete of the hotel clears it; a rebuild clears
// every hotel it did not refuse, but not a refusal recorded while it ran;
// another alias's rows are left alone.
func TestRecordRefusals(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	ctx := t.Context()
	e := &Engine{pool: pool, opts: Opts{Alias: "hotels"}}
	other := &Engine{pool: pool, opts: Opts{Alias: "hotels-eu"}}
	a, b, c, d := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	refusal := func(ids ...uuid.UUID) *RefusedError {
		r := &RefusedError{}
		for _, id := range ids {
			r.Refusals = append(r.Refusals, Refusal{ID: id, Status: 400, Type: "document_parsing_exception", Reason: "failed to parse field [location]"})
		}
		return r
	}
	record := func(e *Engine, written []uuid.UUID, refused *RefusedError) {
		t.Helper()
		if err := e.recordRefusals(ctx, time.Now(), written, refused); err != nil {
			t.Fatal(err)
		}
	}

	record(e, []uuid.UUID{a, b, c}, refusal(a, b))
	record(other, []uuid.UUID{a}, refusal(a))
	record(e, []uuid.UUID{a, d}, refusal(a))
	wantRefused(t, pool, "hotels", map[uuid.UUID]int{a: 2, b: 1})

	// b written again (or deleted): accepted.
	record(e, []uuid.UUID{b}, nil)
	wantRefused(t, pool, "hotels", map[uuid.UUID]int{a: 2})

	// A rebuild that began before c was refused clears a (indexed by it) but
	// not c; one that began later clears c too, and leaves the other alias.
	began := time.Now()
	record(e, []uuid.UUID{c}, refusal(c))
	if err := e.recordRefusals(ctx, began, nil, &RefusedError{}); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, pool, "hotels", map[uuid.UUID]int{c: 1})
	record(e, nil, nil)
	wantRefused(t, pool, "hotels", map[uuid.UUID]int{})
	wantRefused(t, pool, "hotels-eu", map[uuid.UUID]int{a: 1})
}

func wantRefused(t *testing.T, pool *pgxpool.Pool, alias string, want map[uuid.UUID]int) {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		`SELECT hotel_id, refusals, status, error_type, reason, first_refused_at <= last_refused_at FROM search_index_refusals WHERE index_alias = $1`, alias)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[uuid.UUID]int{}
	for rows.Next() {
		var (
			id           uuid.UUID
			n, status    int
			errType, why string
			ordered      bool
		)
		if err := rows.Scan(&id, &n, &status, &errType, &why, &ordered); err != nil {
			t.Fatal(err)
		}
		if status != 400 || errType != "document_parsing_exception" || why == "" || !ordered {
			t.Errorf("refusal of %s: %d %q %q, first before last %v", id, status, errType, why, ordered)
		}
		got[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("%s: refused %v, want %v", alias, got, want)
	}
	for id, n := range want {
		if got[id] != n {
			t.Errorf("%s: %s refused %d times, want %d", alias, id, got[id], n)
		}
	}
}
