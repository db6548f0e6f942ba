package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// setup skips without PostgreSQL binaries and returns options for a fresh
// data folder on a free port. The folder's parent is 0755 so that the
// postgres OS user can reach it when the tests run as root.
func setup(t *testing.T) Opts {
	t.Helper()
	if _, err := findBinaries(t.Context(), 0); errors.Is(err, ErrNoBinaries) {
		t.Skip("PostgreSQL server binaries are not installed")
	}
	parent, err := os.MkdirTemp("", "devserver-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	return Opts{
		DataDir: filepath.Join(parent, "pgdata"),
		Port:    freePort(t),
		Logger:  slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer starts a server and stops it when the test ends. A port
// freePort found that another test took since is replaced by a new one (in
// opts, for the restarts that follow).
func startServer(t *testing.T, opts *Opts) *Server {
	t.Helper()
	s, err := Start(t.Context(), *opts)
	for try := 0; errors.Is(err, syscall.EADDRINUSE) && try < 3; try++ {
		opts.Port = freePort(t)
		s, err = Start(t.Context(), *opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func query(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var v string
	if err := conn.QueryRow(t.Context(), sql).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func TestStartReuseStopRestart(t *testing.T) {
	t.Parallel()
	opts := setup(t)
	began := time.Now()
	first := startServer(t, &opts)
	t.Logf("created and started a cluster in %v", time.Since(began))

	want := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/staygraph?sslmode=disable", opts.Port)
	if first.URL() != want {
		t.Fatalf("URL() = %q, want %q", first.URL(), want)
	}
	conn := connect(t, first.URL())
	if got := query(t, conn, "SHOW wal_level"); got != "logical" {
		t.Fatalf("wal_level = %q, want logical", got)
	}
	// A commit is flushed, so durable and in the change stream, when acknowledged.
	if got := query(t, conn, "SHOW synchronous_commit"); got != "on" {
		t.Fatalf("synchronous_commit = %q, want on", got)
	}
	if got := query(t, conn, "SHOW wal_writer_delay"); got != "10ms" {
		t.Fatalf("wal_writer_delay = %q, want 10ms", got)
	}
	if _, err := conn.Exec(t.Context(), "CREATE TABLE survivor (id int); INSERT INTO survivor VALUES (42)"); err != nil {
		t.Fatal(err)
	}

	// A second Start on the folder reuses the running server, and its Stop
	// leaves the server running for the first.
	second := startServer(t, &opts)
	if second.started || second.URL() != want {
		t.Fatalf("second Start: started=%v url=%q, want a reused server at %q", second.started, second.URL(), want)
	}
	if err := second.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := query(t, conn, "SELECT count(*)::text FROM survivor"); got != "1" {
		t.Fatalf("after the reusing Start stopped: count = %s", got)
	}
	conn.Close(t.Context())

	if err := first.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(opts.DataDir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("postmaster.pid after Stop: %v, want it gone", err)
	}

	began = time.Now()
	third := startServer(t, &opts)
	t.Logf("restarted in %v", time.Since(began))
	if !third.started {
		t.Fatal("Start after Stop reused a server instead of starting one")
	}
	if got := query(t, connect(t, third.URL()), "SELECT id::text FROM survivor"); got != "42" {
		t.Fatalf("after restart: id = %s, want 42", got)
	}
}

func TestStartAfterCrash(t *testing.T) {
	t.Parallel()
	opts := setup(t)
	s := startServer(t, &opts)
	conn := connect(t, s.URL())
	// synchronous_commit is on in the cluster: an acknowledged commit survives the crash.
	if _, err := conn.Exec(t.Context(), "CREATE TABLE survivor (id int); INSERT INTO survivor VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())

	pid := postmasterPID(t, opts.DataDir)
	proc, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	again := startServer(t, &opts)
	t.Logf("started after a crash in %v", time.Since(began))
	if !again.started {
		t.Fatal("Start after a crash reused a server instead of starting one")
	}
	if got := query(t, connect(t, again.URL()), "SELECT id::text FROM survivor"); got != "7" {
		t.Fatalf("after crash: id = %s, want 7", got)
	}
}

// TestStartWithRecycledPID covers a pid file left by a crash whose PID now
// belongs to another process of the server user, as after a reboot.
func TestStartWithRecycledPID(t *testing.T) {
	t.Parallel()
	opts := setup(t)
	s := startServer(t, &opts)
	// Both lock files that name the postmaster's PID.
	lockFiles := []string{
		filepath.Join(opts.DataDir, "postmaster.pid"),
		filepath.Join(opts.DataDir, fmt.Sprintf(".s.PGSQL.%d.lock", opts.Port)),
	}
	saved := make([][]byte, len(lockFiles))
	for i, path := range lockFiles {
		var err error
		if saved[i], err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}

	// A live process of the server user takes the old PID's place.
	args := []string{"sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!"}
	if s.runAs != "" {
		args = append([]string{"runuser", "-u", s.runAs, "--"}, args...)
	}
	out, err := exec.CommandContext(t.Context(), args[0], args[1:]...).Output()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("sleeper pid %q: %v", out, err)
	}
	proc, _ := os.FindProcess(pid)
	t.Cleanup(func() { proc.Kill() })
	for i, path := range lockFiles {
		lines := strings.Split(string(saved[i]), "\n")
		lines[0] = strconv.Itoa(pid)
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := s.chown(path); err != nil {
			t.Fatal(err)
		}
	}

	again := startServer(t, &opts)
	if !again.started {
		t.Fatal("Start with a recycled PID reused a server instead of starting one")
	}
}

func TestStartPortBusy(t *testing.T) {
	t.Parallel()
	opts := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	opts.Port = ln.Addr().(*net.TCPAddr).Port

	_, err = Start(t.Context(), opts)
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(opts.Port)) || !strings.Contains(err.Error(), "--pg-port") {
		t.Fatalf("Start on a busy port: %v, want an error naming the port and --pg-port", err)
	}
	if _, err := os.Stat(opts.DataDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("data folder after failing on a busy port: %v, want none created", err)
	}
}

func TestStartFailureShowsServerLog(t *testing.T) {
	t.Parallel()
	opts := setup(t)
	if err := startServer(t, &opts).Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(opts.DataDir, "postgresql.conf")
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, append(b, "shared_buffers = plenty\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Start(t.Context(), opts)
	if err == nil || !strings.Contains(err.Error(), `invalid value for parameter "shared_buffers"`) {
		t.Fatalf("Start with a broken postgresql.conf: %v, want the server log's complaint", err)
	}
}

func TestFindBinariesOffPath(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	b, err := findBinaries(t.Context(), 0)
	if errors.Is(err, ErrNoBinaries) {
		t.Skip("no PostgreSQL server binaries in the usual folders")
	}
	if err != nil || b.onPath || b.major == 0 {
		t.Fatalf("findBinaries without PATH = %+v, %v", b, err)
	}
	t.Logf("found PostgreSQL %d in %s", b.major, b.dir)

	saved := searchDirs
	t.Cleanup(func() { searchDirs = saved })
	searchDirs = nil
	_, err = findBinaries(t.Context(), 0)
	if !errors.Is(err, ErrNoBinaries) || !strings.Contains(err.Error(), "sudo apt-get install postgresql") {
		t.Fatalf("findBinaries with nothing installed: %v", err)
	}
}

func postmasterPID(t *testing.T, dataDir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// A server whose starter is gone (killed, or interrupted while starting it)
// is stopped by the next Start's Stop: it used to be reused and left
// running by every later run.
func TestStartAdoptsALeftoverServer(t *testing.T) {
	t.Parallel()
	opts := setup(t)
	first := startServer(t, &opts)
	// The process that started it is gone.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	owner := filepath.Join(opts.DataDir, ownerFile)
	if err := os.WriteFile(owner, []byte(strconv.Itoa(gone.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	next := startServer(t, &opts)
	if !next.started || next.URL() != first.URL() {
		t.Fatalf("Start after its starter died: started=%v url=%q, want the running server adopted", next.started, next.URL())
	}
	if err := next.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(opts.DataDir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("postmaster.pid after the adopting Stop: %v, want it gone", err)
	}
	if _, err := os.Stat(owner); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s after Stop: %v, want it gone", ownerFile, err)
	}
}
