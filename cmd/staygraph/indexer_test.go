package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// 'staygraph indexer' needs something to feed.
func TestIndexerCommandNeedsAConsumer(t *testing.T) {
	t.Parallel()
	err := runIndexer(context.Background(), []string{"--database-url", "postgres://127.0.0.1:1/x", "--elasticsearch-url", ""})
	if err == nil || !strings.Contains(err.Error(), "--partner-webhooks") {
		t.Errorf("without consumers: %v", err)
	}
}

// On a server without wal_level=logical, start-up says so and how to fix
// it (the test server runs with wal_level=replica; skipped where it does not).
func TestIndexerCommandExplainsWALLevel(t *testing.T) {
	t.Parallel()
	pool, url := pgtest.NewDBURL(t)
	var level string
	if err := pool.QueryRow(t.Context(), "SHOW wal_level").Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level == "logical" {
		t.Skip("the test server has wal_level=logical")
	}
	partners := filepath.Join(t.TempDir(), "partners.json")
	if err := os.WriteFile(partners, []byte(`[{"name":"acme","url":"https://acme.example/hooks","secret":"whsec_0123456789abcdef"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	err := runIndexer(context.Background(), []string{"--database-url", url, "--partner-webhooks", partners, "--log-level", "error"})
	if !errors.Is(err, indexer.ErrWALLevel) || !strings.Contains(err.Error(), "ALTER SYSTEM SET wal_level = logical") {
		t.Errorf("on wal_level=%s: %v", level, err)
	}
}
