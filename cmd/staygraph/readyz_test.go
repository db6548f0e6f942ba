package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// /readyz fails while the database cannot be reached and answers 200 again
// once it can (docs/operations.md, "Health checks").
func TestReadyzFollowsTheDatabase(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	f := newFlags("test")
	s := addServerFlags(f)
	if err := f.parse([]string{"--addr", "127.0.0.1:0", "--shutdown-timeout", "5s"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serveAPI(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), pool, s, auth.JWTConfig{HS256Secret: []byte("x")}, func(addr string) { ready <- addr })
	}()
	addr := <-ready
	status := func() int {
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	// within 10 s: a check pings the database for up to 2 s
	await := func(want int) int {
		got := status()
		for deadline := time.Now().Add(10 * time.Second); got != want && time.Now().Before(deadline); got = status() {
			time.Sleep(100 * time.Millisecond)
		}
		return got
	}
	if got := status(); got != http.StatusOK {
		t.Fatalf("readyz with the database up: %d", got)
	}
	var db string
	if err := pool.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	admin := pgtest.NewDB(t) // any database of the same server
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+db+" ALLOW_CONNECTIONS false"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", db); err != nil {
		t.Fatal(err)
	}
	if got := await(http.StatusServiceUnavailable); got != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database unreachable: %d, want 503", got)
	}
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+db+" ALLOW_CONNECTIONS true"); err != nil {
		t.Fatal(err)
	}
	if got := await(http.StatusOK); got != http.StatusOK {
		t.Errorf("readyz once the database is back: %d, want 200", got)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Error("serve did not stop")
	}
}
