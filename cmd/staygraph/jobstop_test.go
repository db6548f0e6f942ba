package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// SIGTERM gives a running job --shutdown-timeout to finish, then cancels
// it: one waiting on a lock must not keep the process (and its pool) up
// until the lock goes, and the exit says a job was cut short.
func TestShutdownCutsOffAJobWaitingOnTheDatabase(t *testing.T) {
	t.Parallel()
	pool, dbURL := pgtest.NewDBURL(t)
	port, err := pgtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"--database-url", dbURL, "--addr", addr, "--shutdown-timeout", "1s",
		"--pii-keys", pii.FormatKeys([]pii.Key{{ID: "k1", Secret: pii.GenerateKey()}}),
		"--pii-index-key", base64.StdEncoding.EncodeToString(pii.GenerateKey())}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, args) }()
	for deadline := time.Now().Add(30 * time.Second); !answersReady(addr); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not ready")
		}
	}
	bg := context.Background()
	// Someone holds a lock on bookings; a hold-expiry job then waits on it.
	tx, err := pool.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	released := false
	defer func() {
		if !released {
			_ = tx.Rollback(bg)
		}
	}()
	if _, err := tx.Exec(bg, "LOCK TABLE bookings IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(bg, `INSERT INTO river_job (kind, args, queue, state, max_attempts, priority, scheduled_at)
		VALUES ('booking.expire_hold', jsonb_build_object('booking_id', $1::text), 'default', 'available', 25, 1, now())`, uuid.New().String()); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var running int
		if err := pool.QueryRow(bg, `SELECT count(*) FROM river_job WHERE state = 'running'`).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if running == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job did not start")
		}
	}
	time.Sleep(500 * time.Millisecond) // the job now waits on the lock
	start := time.Now()
	cancel() // SIGTERM
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "jobs cut short") {
			t.Fatalf("a job cut off at shutdown: runServe returned %v after %v; want it to say so (exit status 1)", err, time.Since(start))
		}
	case <-time.After(15 * time.Second):
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "runServe") {
				t.Logf("blocked in:\n%s", g)
			}
		}
		_ = tx.Rollback(bg)
		released = true
		err := <-done
		t.Fatalf("with --shutdown-timeout 1s, runServe returned only once the lock was released, %v after shutdown began: %v", time.Since(start), err)
	}
}
