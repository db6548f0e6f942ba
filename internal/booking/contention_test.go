package booking

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// A room type counts as contended while another reservation on it is under
// way, or until a conflict on it has cooled down; others are not affected.
func TestContention(t *testing.T) {
	var c contention
	now := time.Now()
	a, b := []uuid.UUID{uuid.New()}, []uuid.UUID{uuid.New()}

	if c.enter(a, now) {
		t.Fatal("the first reservation on a room type counts as contended")
	}
	if !c.enter(a, now) {
		t.Fatal("a second reservation while the first is under way does not count as contended")
	}
	if c.enter(b, now) {
		t.Fatal("another room type counts as contended")
	}
	c.leave(a)
	c.leave(a)
	c.leave(b)
	if c.enter(a, now) {
		t.Fatal("a room type still counts as contended after its reservations ended")
	}
	c.leave(a)

	c.conflicted(b, now.Add(time.Second))
	if !c.enter(b, now.Add(500*time.Millisecond)) {
		t.Fatal("a room type that just conflicted does not count as contended")
	}
	c.leave(b)
	if c.enter(b, now.Add(time.Second)) {
		t.Fatal("a conflict still counts after it cooled down")
	}
	c.leave(b)
	if len(c.running) != 0 {
		t.Fatalf("%d room types left registered as running", len(c.running))
	}
}
