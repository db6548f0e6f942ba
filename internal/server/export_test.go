package server

import "time"

// NewMemoryLimiterAt is a MemoryLimiter that reads the time from now.
func NewMemoryLimiterAt(now func() time.Time) *MemoryLimiter {
	m := NewMemoryLimiter()
	m.now = now
	return m
}
