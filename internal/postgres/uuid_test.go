package postgres_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// Ids travel to PostgreSQL and back unchanged: alone, by pointer, in arrays,
// and compared with uuids PostgreSQL makes from text.
func TestUUIDParameters(t *testing.T) {
	pool := pgtest.NewDB(t)
	id, other := uuid.MustParse("0192f0c4-7b7e-7c3a-9d41-2b8f5e6a1c00"), uuid.New()
	var (
		back    uuid.UUID
		list    []uuid.UUID
		same    bool
		missing *uuid.UUID
	)
	err := pool.QueryRow(t.Context(), `SELECT $1::uuid, $2::uuid[], $1::uuid = '0192f0c4-7b7e-7c3a-9d41-2b8f5e6a1c00'::uuid, $3::uuid`,
		id, []uuid.UUID{id, other, uuid.Nil}, (*uuid.UUID)(nil)).Scan(&back, &list, &same, &missing)
	if err != nil {
		t.Fatal(err)
	}
	if back != id || !slices.Equal(list, []uuid.UUID{id, other, uuid.Nil}) || !same || missing != nil {
		t.Fatalf("got %v %v %v %v; want %v, [%v %v %v], true, nil", back, list, same, missing, id, id, other, uuid.Nil)
	}
	if err := pool.QueryRow(t.Context(), `SELECT $1::uuid`, &other).Scan(&back); err != nil || back != other {
		t.Fatalf("by pointer: %v, %v; want %v", back, err, other)
	}
}
