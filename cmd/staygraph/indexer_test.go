package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

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
// it. The package's tests run on a server with wal_level=logical
// (TestMain); this one reads the shared server at pgtest.DefaultURL, which
// runs with replica, and skips where it is missing or logical.
func TestIndexerCommandExplainsWALLevel(t *testing.T) {
	t.Parallel()
	url := pgtest.DefaultURL
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Skipf("no shared server at %s: %v", url, err)
	}
	defer conn.Close(context.Background())
	var level string
	if err := conn.QueryRow(t.Context(), "SHOW wal_level").Scan(&level); err != nil {
		t.Fatal(err)
	}
	if level == "logical" {
		t.Skip("the test server has wal_level=logical")
	}
	partners := filepath.Join(t.TempDir(), "partners.json")
	if err := os.WriteFile(partners, []byte(`[{"name":"acme","url":"https://acme.example/hooks","secret":"whsec_0123456789abcdef"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	err = runIndexer(context.Background(), []string{"--database-url", url, "--partner-webhooks", partners, "--log-level", "error"})
	if !errors.Is(err, indexer.ErrWALLevel) || !strings.Contains(err.Error(), "ALTER SYSTEM SET wal_level = logical") {
		t.Errorf("on wal_level=%s: %v", level, err)
	}
}
