package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/search/postgres"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

func TestEngine(t *testing.T) {
	t.Parallel()
	searchtest.Run(t, func(t *testing.T, pool *pgxpool.Pool) search.Engine { return postgres.NewEngine(pool) })
}
