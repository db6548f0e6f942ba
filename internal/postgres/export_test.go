package postgres

import "github.com/jackc/pgx/v5/pgxpool"

// MigrationCount is how many migrations the binary knows, SQL files and Go
// migrations together (versions may skip numbers).
func MigrationCount(pool *pgxpool.Pool) (int, error) {
	provider, err := newMigrator(pool, MigrateOpts{})
	if err != nil {
		return 0, err
	}
	return len(provider.ListSources()), nil
}
