package main

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/search/postgres"
)

// searchRouter builds the configured search engine, falling back to
// PostgreSQL.
func searchRouter(pool *pgxpool.Pool, s serverFlags, log *slog.Logger) (*search.Router, error) {
	pg := postgres.NewEngine(pool)
	return search.NewRouter(search.RouterOpts{Primary: pg, Fallback: pg, Logger: log}), nil
}
