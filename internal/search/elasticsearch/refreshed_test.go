package elasticsearch

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A fetch that panics (recovered further up: graph.Recover turns a
// resolver's panic into INTERNAL and the server goes on) does not leave the
// cache busy: the next caller fetches, instead of every later one waiting
// for its own deadline until the process restarts.
func TestAFetchThatPanicsDoesNotWedgeTheCache(t *testing.T) {
	t.Parallel()
	var c refreshed[[]string]
	func() {
		defer func() { _ = recover() }()
		_, _ = c.get(context.Background(), time.Minute, func(context.Context) ([]string, error) {
			panic("decode zones: unexpected answer")
		})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	fetched := false
	v, err := c.get(ctx, time.Minute, func(context.Context) ([]string, error) {
		fetched = true
		return []string{"Europe/Paris"}, nil
	})
	if err != nil || !fetched || len(v) != 1 {
		t.Fatalf("after a fetch that panicked: %v, %v (fetched again: %v); want the next caller to fetch (deadline exceeded: %v)",
			v, err, fetched, errors.Is(err, context.DeadlineExceeded))
	}
}
