package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// A request still running when --shutdown-timeout ends is cut off, and the
// server stops with the graceful shutdown's error (docs/operations.md). A
// request waiting on a lock in the database used to hold its pooled
// connection, and the server waited for it as long as the lock lasted.
func TestShutdownCutsOffARequestWaitingOnTheDatabase(t *testing.T) {
	t.Parallel()
	shutdownBehindALock(t, "LOCK TABLE hotels IN ACCESS EXCLUSIVE MODE", func(_ *pgxpool.Pool, addr string) {
		go func() {
			res, err := http.Get("http://" + addr + "/graphql?query=" + url.QueryEscape("{ hotels(first: 1) { totalCount } }"))
			if err == nil {
				res.Body.Close()
			}
		}()
		time.Sleep(time.Second) // the request now waits on the lock
	}, "graceful shutdown")
}

// SIGTERM gives a running job --shutdown-timeout to finish, then cancels
// it: one waiting on a lock must not keep the process (and its pool) up
// until the lock goes, and the exit says a job was cut short.
func TestShutdownCutsOffAJobWaitingOnTheDatabase(t *testing.T) {
	t.Parallel()
	shutdownBehindALock(t, "LOCK TABLE bookings IN ACCESS EXCLUSIVE MODE", func(pool *pgxpool.Pool, _ string) {
		bg := context.Background()
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
	}, "jobs cut short")
}

// shutdownBehindALock serves with --shutdown-timeout 1s on a database of
// its own, in which another session then takes lock and keeps it; behind
// puts work behind the lock. On SIGTERM, runServe must return within 15 s
// (not once the lock goes) with an error that says want.
func shutdownBehindALock(t *testing.T, lock string, behind func(pool *pgxpool.Pool, addr string), want string) {
	t.Helper()
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
	// Someone (a migration of another release, an operator) holds a lock.
	bg := context.Background()
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
	if _, err := tx.Exec(bg, lock); err != nil {
		t.Fatal(err)
	}
	behind(pool, addr)
	start := time.Now()
	cancel() // SIGTERM
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("runServe returned %v after %v, want an error that says %q (exit status 1)", err, time.Since(start), want)
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
