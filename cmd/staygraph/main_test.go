package main

import (
	"os"
	"testing"

	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// TestMain runs the package's tests against a server with
// wal_level=logical (pgtest.RunLogical), so that 'serve --indexer' runs
// its change stream in them.
func TestMain(m *testing.M) {
	os.Exit(pgtest.RunLogical(m))
}
