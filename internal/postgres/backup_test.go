package postgres_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// A backup taken as docs/operations.md says (pg_dump -Fc) restores in full
// into an empty database: every index is built again, the hotels' location
// index too (pg_restore builds indexes with an empty search_path).
func TestADumpRestoresEveryIndex(t *testing.T) {
	t.Parallel()
	dump, restore := pgTool(t, "pg_dump"), pgTool(t, "pg_restore")
	_, source := pgtest.NewDBURL(t)
	target := pgtest.NewEmptyDBURL(t)

	file := filepath.Join(t.TempDir(), "staygraph.dump")
	if out, err := exec.Command(dump, "-Fc", "-f", file, "-d", source).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	if out, err := exec.Command(restore, "--exit-on-error", "-d", target, file).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	before, after := indexes(t, source), indexes(t, target)
	if !slices.Equal(before, after) || !slices.Contains(after, "hotels_location_idx") {
		t.Fatalf("indexes after the restore:\n%v\nwant\n%v", after, before)
	}
}

// pgTool finds a PostgreSQL client program, on PATH or where Debian puts it.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	if bin, err := exec.LookPath(name); err == nil {
		return bin
	}
	if found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(found) > 0 {
		return found[len(found)-1]
	}
	t.Skipf("%s is neither on PATH nor in /usr/lib/postgresql/*/bin", name)
	return ""
}

// indexes are the names of the indexes of the database at url, sorted.
func indexes(t *testing.T, url string) []string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname")
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}
