package elasticsearch

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// What the table of refused documents holds, on PostgreSQL: a refusal is
// recorded by the index that refused it, and counted again when it repeats;
// a later write of the hotel clears the rows of the indices that did not
// refuse it again; a rebuild's retired indices take their rows with them;
// another alias's rows are left alone.
func TestRecordRefusals(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	ctx := t.Context()
	e := &Engine{pool: pool, opts: Opts{Alias: "hotels"}}
	other := &Engine{pool: pool, opts: Opts{Alias: "hotels-eu"}}
	const old, next, eu = "hotels-v2-1", "hotels-v2-2", "hotels-eu-v2-1"
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	refusal := func(index string, ids ...uuid.UUID) *RefusedError {
		r := &RefusedError{}
		for _, id := range ids {
			r.Refusals = append(r.Refusals, Refusal{ID: id, Index: index, Status: 400, Type: "document_parsing_exception", Reason: "failed to parse field [location]"})
		}
		return r
	}
	record := func(e *Engine, written []uuid.UUID, refused *RefusedError) {
		t.Helper()
		if err := e.recordRefusals(ctx, written, refused); err != nil {
			t.Fatal(err)
		}
	}

	record(e, []uuid.UUID{a, b, c}, refusal(old, a, b))
	record(other, []uuid.UUID{a}, refusal(eu, a))
	record(e, []uuid.UUID{a}, refusal(old, a))
	wantRefused(t, pool, map[string]int{old + " " + a.String(): 2, old + " " + b.String(): 1, eu + " " + a.String(): 1})

	// b written again and accepted (or deleted); a, during a rebuild,
	// refused by the old index and accepted by the next.
	record(e, []uuid.UUID{b}, nil)
	record(e, []uuid.UUID{a}, refusal(old, a))
	wantRefused(t, pool, map[string]int{old + " " + a.String(): 3, eu + " " + a.String(): 1})

	// The rebuild retires the old index: its rows go, the other alias's stay.
	record(e, []uuid.UUID{c}, refusal(next, c))
	if err := e.retireRefusals(ctx, []string{old}); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, pool, map[string]int{next + " " + c.String(): 1, eu + " " + a.String(): 1})
}

// wantRefused checks the table's rows, as "index hotel" → refusals.
func wantRefused(t *testing.T, pool *pgxpool.Pool, want map[string]int) {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		`SELECT index_name || ' ' || hotel_id, refusals, status, error_type, reason, first_refused_at <= last_refused_at FROM search_index_refusals`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]int{}
	for rows.Next() {
		var (
			key, errType, why string
			n, status         int
			ordered           bool
		)
		if err := rows.Scan(&key, &n, &status, &errType, &why, &ordered); err != nil {
			t.Fatal(err)
		}
		if status != 400 || errType != "document_parsing_exception" || why == "" || !ordered {
			t.Errorf("refusal %s: %d %q %q, first before last %v", key, status, errType, why, ordered)
		}
		got[key] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("refused %v, want %v", got, want)
	}
	for key, n := range want {
		if got[key] != n {
			t.Errorf("%s refused %d times, want %d", key, got[key], n)
		}
	}
}
