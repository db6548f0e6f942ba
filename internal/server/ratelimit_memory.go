package server

import (
	"context"
	"sync"
	"time"
)

// sweepEvery is how often a MemoryLimiter forgets buckets that refilled.
const sweepEvery = time.Minute

// MemoryLimiter keeps token buckets in the process: the limit of one API
// server. Buckets that refilled completely are forgotten, so memory follows
// the callers active in the last minute or so.
type MemoryLimiter struct {
	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
	now       func() time.Time
}

var _ Limiter = (*MemoryLimiter)(nil)

type bucket struct {
	tokens float64
	at     time.Time
	rule   Rule
}

// NewMemoryLimiter returns an empty in-process limiter.
func NewMemoryLimiter() *MemoryLimiter {
	return &MemoryLimiter{buckets: map[string]*bucket{}, now: time.Now}
}

// Take takes a token from key's bucket. It never fails.
func (m *MemoryLimiter) Take(_ context.Context, key string, rule Rule) (Decision, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.lastSweep) >= sweepEvery {
		m.sweep(now)
	}
	b, ok := m.buckets[key]
	if !ok {
		b = &bucket{tokens: rule.burst(), at: now}
		m.buckets[key] = b
	}
	var d Decision
	b.tokens, d = refill(b.tokens, now.Sub(b.at), rule)
	b.at, b.rule = now, rule
	return d, nil
}

// sweep forgets the buckets that are full again.
func (m *MemoryLimiter) sweep(now time.Time) {
	m.lastSweep = now
	for k, b := range m.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*b.rule.Rate >= b.rule.burst() {
			delete(m.buckets, k)
		}
	}
}
