package main

import (
	"runtime"
	"testing"
)

// Searches on PostgreSQL at once: as set, or the machine's cores but never
// more than half the pool, so bookings keep connections.
func TestSearchConcurrency(t *testing.T) {
	cases := []struct {
		set, pool, want int
	}{
		{set: 5, pool: 8, want: 5},
		{set: 0, pool: 8, want: min(runtime.NumCPU(), 4)},
		{set: 0, pool: 2 * runtime.NumCPU(), want: runtime.NumCPU()},
		{set: 0, pool: 1, want: 1},
	}
	for _, c := range cases {
		if got, err := searchConcurrency(c.set, c.pool); err != nil || got != c.want {
			t.Errorf("searchConcurrency(%d, pool %d) = %d, %v; want %d", c.set, c.pool, got, err, c.want)
		}
	}
	if _, err := searchConcurrency(-1, 8); err == nil {
		t.Error("a negative --search-concurrency is accepted")
	}
}
