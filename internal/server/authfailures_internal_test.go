package server

import (
	"testing"
	"time"
)

// A full set keeps no new key until keys expire, and then looks for
// expired ones at most every fullSweepEvery, however many new keys come.
func TestExpiringSetIsBounded(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newExpiringSet[int](2)
	s.put(1, now.Add(time.Minute), now)
	s.put(2, now.Add(time.Hour), now)
	s.put(3, now.Add(time.Hour), now)
	if s.has(3, now) || !s.has(1, now) || !s.has(2, now) {
		t.Fatal("a full set kept a new key")
	}
	// Key 1 expires; the next sweep may only come fullSweepEvery after the
	// last one, which the refused put above made.
	later := now.Add(2 * time.Minute)
	s.put(3, later.Add(time.Hour), later)
	if !s.has(3, later) || s.has(1, later) {
		t.Fatal("a sweep after keys expired made no room")
	}
	s.put(4, later.Add(time.Hour), later)
	if s.has(4, later) {
		t.Fatal("a full set of valid keys kept a new one")
	}
	s.drop(2)
	s.put(4, later.Add(time.Hour), later)
	if !s.has(4, later) {
		t.Fatal("a dropped key made no room")
	}
	if s.has(4, later.Add(2*time.Hour)) {
		t.Fatal("an expired key is still in the set")
	}
}
