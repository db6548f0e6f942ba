package booking

import (
	"context"
	"runtime"
	"slices"
	"strings"
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

// Reservations of a room type take turns in the order they asked; one that
// gives up waiting leaves the queue without holding anything.
func TestTurns(t *testing.T) {
	var c contention
	ids := []uuid.UUID{uuid.New()}
	const waiters = 5
	for range waiters + 1 {
		c.enter(ids, time.Now())
	}
	ctx := context.Background()
	if err := c.takeTurn(ctx, ids); err != nil {
		t.Fatal(err)
	}
	var order []int
	served := make(chan int)
	for i := range waiters {
		go func() {
			if err := c.takeTurn(ctx, ids); err != nil {
				t.Error(err)
			}
			served <- i
		}()
		waitQueued(t, i+1) // queued before the next one asks
	}
	select {
	case i := <-served:
		t.Fatalf("waiter %d got the turn while it was taken", i)
	default:
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.takeTurn(cancelled, ids); err == nil {
		t.Fatal("a cancelled wait got the turn")
	}
	for range waiters {
		c.endTurn(ids)
		order = append(order, <-served)
	}
	c.endTurn(ids)
	if !slices.Equal(order, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("turns served in the order %v", order)
	}
	for range waiters + 1 {
		c.leave(ids)
	}
	if len(c.turns) != 0 {
		t.Fatalf("%d turns left after every reservation ended", len(c.turns))
	}
}

// waitQueued waits until n goroutines wait for a turn (blocked in
// takeTurn's select): a channel's waiting senders are served in the order
// they came, so this fixes the order.
func waitQueued(t *testing.T, n int) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		queued := 0
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "[select") && strings.Contains(g, "(*contention).takeTurn") {
				queued++
			}
		}
		if queued >= n {
			return
		}
	}
	t.Fatalf("fewer than %d reservations wait for their turn", n)
}
