package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
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
	if err := startInBackground(t, name, run, args, ready); err != nil {
		t.Fatal(err)
	}
}

// startInBackground is runInBackground returning the error of a command that
// stopped before ready held, instead of failing the test.
func startInBackground(t *testing.T, name string, run func(context.Context, []string) error, args []string, ready func() bool) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, args) }()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-done:
			cancel()
			if err == nil {
				err = errors.New("no error")
			}
			return fmt.Errorf("%s stopped: %w", name, err)
		default:
		}
		if ready() {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Errorf("%s did not stop", name)
			}
			t.Fatalf("%s was not ready within 30s", name)
		}
	}
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
	return nil
}

// serveOnFreeAddr runs runServe with args(addr) on a free local address until
// the test ends, once ready(addr) holds, and returns the address. A port
// found free can be taken before serve listens on it (by another test's
// outgoing connection, say): then it tries another.
func serveOnFreeAddr(t *testing.T, args func(addr string) []string, ready func(addr string) bool) string {
	t.Helper()
	for range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		err = startInBackground(t, "serve", runServe, args(addr), func() bool { return ready(addr) })
		if err == nil {
			return addr
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatal(err)
		}
	}
	t.Fatal("serve found no free address in 5 tries")
	return ""
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
