package elasticsearch

import (
	"context"
	"sync"
	"time"
)

// refreshed is a value fetched again once it is older than a maximum age,
// by one caller at a time. The others wait for that fetch, and a waiter
// whose context ends gives up at once: a search is never held past its
// deadline by another search's request to an Elasticsearch that hangs (a
// lock held across the fetch would hold it until the other's deadline).
// The zero value is ready to use.
type refreshed[T any] struct {
	mu   sync.Mutex // guards the fields below; never held across a fetch
	v    T
	at   time.Time
	ok   bool
	busy chan struct{} // closed when the fetch in flight ends; nil when none is
}

// get returns the value, fetching it first when it is missing or older
// than maxAge. A fetch that fails (or panics) is not kept: the next caller
// fetches.
func (c *refreshed[T]) get(ctx context.Context, maxAge time.Duration, fetch func(context.Context) (T, error)) (T, error) {
	c.mu.Lock()
	for {
		if c.ok && time.Since(c.at) < maxAge {
			defer c.mu.Unlock()
			return c.v, nil
		}
		if c.busy == nil {
			break
		}
		busy := c.busy
		c.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
		c.mu.Lock()
	}
	done := make(chan struct{})
	c.busy = done
	c.mu.Unlock()
	var v T
	var err error
	returned := false
	defer func() { // also when fetch panics: the next caller fetches
		c.mu.Lock()
		if returned && err == nil {
			c.v, c.at, c.ok = v, time.Now(), true
		}
		c.busy = nil
		c.mu.Unlock()
		close(done)
	}()
	v, err = fetch(ctx)
	returned = true
	return v, err
}
