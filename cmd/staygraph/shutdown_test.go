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

	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// A request still running when --shutdown-timeout ends is cut off, and the
// server stops with the graceful shutdown's error (docs/operations.md). A
// request waiting on a lock in the database used to hold its pooled
// connection, and the server waited for it as long as the lock lasted.
func TestShutdownCutsOffARequestWaitingOnTheDatabase(t *testing.T) {
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
	// Someone (a migration of another release, an operator) holds a lock.
	tx, err := pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(context.Background(), "LOCK TABLE hotels IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	released := false
	defer func() {
		if !released {
			_ = tx.Rollback(context.Background())
		}
	}()
	go func() {
		res, err := http.Get("http://" + addr + "/graphql?query=" + url.QueryEscape("{ hotels(first: 1) { totalCount } }"))
		if err == nil {
			res.Body.Close()
		}
	}()
	time.Sleep(time.Second) // the request now waits on the lock
	start := time.Now()
	cancel() // SIGTERM
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "graceful shutdown") {
			t.Fatalf("runServe returned %v, want the graceful shutdown's error", err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("runServe has not returned 15 s after shutdown began with --shutdown-timeout 1s")
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "runServe") {
				t.Logf("blocked in:\n%s", g)
			}
		}
		_ = tx.Rollback(context.Background())
		released = true
		err := <-done
		t.Fatalf("runServe returned only once the lock was released, %v after shutdown began: %v", time.Since(start), err)
	}
}
