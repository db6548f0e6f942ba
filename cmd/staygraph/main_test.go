package main

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// TestMain runs the package's tests against a server with
// wal_level=logical (pgtest.RunLogical), so that 'serve --indexer' runs
// its change stream in them.
func TestMain(m *testing.M) {
	os.Exit(pgtest.RunLogical(m))
}

// runInBackground runs a command (runServe, runIndexer, ...) with args until
// the test ends, then stops it and fails the test unless it stops cleanly
// within 30s. It returns once ready holds, and fails the test if the command
// stops first or ready does not hold within 30s.
func runInBackground(t *testing.T, name string, run func(context.Context, []string) error, args []string, ready func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, args) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop", name)
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("%s stopped: %v", name, err)
		default:
		}
		if ready() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not ready within 30s", name)
		}
	}
}

// answersReady says whether the server at addr answers /readyz with 200.
func answersReady(addr string) bool {
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}
