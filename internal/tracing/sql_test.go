package tracing

import "testing"

func TestSQLOperationNamesTheStatement(t *testing.T) {
	t.Parallel()
	for sql, want := range map[string]string{
		"-- name: HoldRooms :exec\nUPDATE inventory SET x = 1": "UPDATE",
		"  select 1":                  "SELECT",
		"WITH a AS (SELECT 1) SELECT": "WITH",
		"":                            "QUERY",
	} {
		if got := sqlOperation(sql); got != want {
			t.Errorf("sqlOperation(%q) = %q, want %q", sql, got, want)
		}
	}
}
