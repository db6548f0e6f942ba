// Package devserver runs a private PostgreSQL cluster for `staygraph dev`. It
// uses the PostgreSQL server binaries installed on the machine, keeps the
// cluster in a data folder of its own and serves it on its own port, so a
// shared server on 5432 is never touched. The cluster runs with
// wal_level=logical, which the CDC indexer needs, and synchronous_commit=on
// with a short wal_writer_delay, so that a commit reaches the change stream
// at once (see writeSettings).
//
// initdb and pg_ctl refuse to run as root. As root (CI containers) they run
// as the postgres OS user through runuser, and the data folder belongs to it.
package devserver

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// DefaultPort is the port used when Opts.Port is 0.
	DefaultPort = 54329
	// DefaultDatabase is the database created when Opts.Database is empty.
	DefaultDatabase = "staygraph"

	serverUser   = "postgres"       // OS user that runs initdb and pg_ctl when we are root
	settingsFile = "staygraph.conf" // in the data folder, included from postgresql.conf
	logFile      = "postgres.log"   // in the data folder, where the server user can write
	ownerFile    = "staygraph.pid"  // in the data folder: the process that stops the server
	startTimeout = "60"             // seconds for pg_ctl start -w; crash recovery takes a while
)

// Opts configures Start.
type Opts struct {
	// DataDir is the folder holding the cluster. It is created and
	// initialised when it holds no cluster yet.
	DataDir string
	// Port is the TCP port on 127.0.0.1 to serve on; 0 means DefaultPort.
	Port int
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
	// Database is created when missing and named by URL; "" means DefaultDatabase.
	Database string
}

// Server is a running development cluster. Its methods are not safe for
// concurrent use.
type Server struct {
	dataDir  string
	port     int
	database string
	bin      binaries
	runAs    string // OS user for initdb and pg_ctl; "" is the current user
	uid, gid int    // of runAs, to hand it the files we write
	started  bool   // this Start ran pg_ctl start, so Stop stops the server
	log      *slog.Logger
}

// Start makes sure a cluster runs in opts.DataDir and that opts.Database
// exists in it. It creates the cluster when the folder holds none, reuses a
// server already running on the folder (on whatever port it runs), and
// otherwise starts one, logging to postgres.log in the folder. An error
// wrapping ErrNoBinaries means PostgreSQL is not installed.
func Start(ctx context.Context, opts Opts) (*Server, error) {
	s, err := start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	return s, nil
}

func start(ctx context.Context, opts Opts) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("no data folder given")
	}
	dir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	s := &Server{dataDir: dir, port: cmp.Or(opts.Port, DefaultPort), database: cmp.Or(opts.Database, DefaultDatabase), log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}

	if port, ok := s.runningPort(ctx); ok {
		if port != s.port {
			s.log.Warn("postgres already runs on another port; using it", "data_dir", dir, "port", port, "asked", s.port)
			s.port = port
		}
		s.log.Info("reusing running postgres", "data_dir", dir, "port", port)
		if !s.ownerAlive() {
			// Left running by a process that was killed or interrupted
			// while starting it: this one stops it.
			s.log.Info("the process that started postgres is gone; it stops with this one", "data_dir", dir)
			if err := s.findTools(ctx); err != nil {
				return nil, err
			}
			if err := s.own(); err != nil {
				return nil, err
			}
		}
		if err := s.createDatabase(ctx); err != nil {
			return nil, err
		}
		return s, nil
	}

	// Check the port before creating anything, so a busy port fails fast.
	ln, err := net.Listen("tcp", addr(s.port))
	if err != nil {
		return nil, fmt.Errorf("cannot listen on 127.0.0.1:%d, another program probably uses it; choose another port with --pg-port: %w", s.port, err)
	}
	ln.Close()
	if err := s.findTools(ctx); err != nil {
		return nil, err
	}
	if clusterVersion(dir) == 0 {
		err = s.initCluster(ctx)
	} else {
		err = s.checkAccess(ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := s.startServer(ctx); err != nil {
		return nil, err
	}
	if err := s.createDatabase(ctx); err != nil {
		_ = s.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	return s, nil
}

// URL is the connection string of the database, for example
// postgres://postgres@127.0.0.1:54329/staygraph?sslmode=disable.
func (s *Server) URL() string { return urlFor(s.port, s.database) }

// Stop shuts the server down (pg_ctl stop -m fast) if this Start started it.
// A server that was already running is left running. Calling Stop again
// does nothing. On shutdown after a signal, pass a context that is not
// canceled yet (context.WithoutCancel).
//
// The server runs in its own session, so Ctrl-C in a terminal does not reach
// it: `staygraph dev` must call Stop, or the next Start reuses the server.
func (s *Server) Stop(ctx context.Context) error {
	if !s.started {
		return nil
	}
	if _, err := os.Stat(filepath.Join(s.dataDir, "postmaster.pid")); errors.Is(err, fs.ErrNotExist) {
		s.started = false // stopped (or crashed) behind our back
		return nil
	}
	s.log.Info("stopping postgres", "data_dir", s.dataDir)
	if err := s.run(ctx, s.tool("pg_ctl"), "stop", "-w", "-m", "fast", "-D", s.dataDir); err != nil {
		return fmt.Errorf("stop postgres: %w", err)
	}
	s.started = false
	_ = os.Remove(filepath.Join(s.dataDir, ownerFile))
	return nil
}

// findTools finds the server binaries of the folder's cluster (the newest
// without one) and, for root, the OS user that runs them.
func (s *Server) findTools(ctx context.Context) error {
	if os.Geteuid() == 0 {
		if err := s.useServerUser(); err != nil {
			return err
		}
	}
	var err error
	s.bin, err = findBinaries(ctx, clusterVersion(s.dataDir))
	return err
}

// own records this process as the one that stops the server (Stop).
func (s *Server) own() error {
	if err := os.WriteFile(filepath.Join(s.dataDir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("record the process that stops postgres: %w", err)
	}
	s.started = true
	return nil
}

// ownerAlive reports whether the process recorded to stop the server still
// runs (this one included). Without a record, as for a server started by
// other means, it does: the server is left alone.
func (s *Server) ownerAlive() bool {
	raw, err := os.ReadFile(filepath.Join(s.dataDir, ownerFile))
	if err != nil {
		return true
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || pid <= 0 {
		return true
	}
	// Signal 0 checks that the process exists; EPERM says it does, as
	// another user's.
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

func urlFor(port int, database string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: addr(port), Path: "/" + database, RawQuery: "sslmode=disable"}
	return u.String()
}

func (s *Server) tool(name string) string { return filepath.Join(s.bin.dir, name) }

// runningPort reports the port of a server already running on the data
// folder. Postgres itself clears lock files left by a crash when their PID is
// gone, but refuses to start while that PID is alive: a zombie not yet
// reaped, or an unrelated process after a reboot. So a postmaster.pid that
// says "ready" while nothing listens on its port is removed, with its socket
// lock file. (Two servers on one folder stay impossible: postgres also checks
// the folder's shared memory.)
func (s *Server) runningPort(ctx context.Context) (int, bool) {
	pidFile := filepath.Join(s.dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 8 {
		return 0, false
	}
	port, _ := strconv.Atoi(lines[3])
	if s.servesDataDir(ctx, port) {
		return port, true
	}
	if conn, err := net.DialTimeout("tcp", addr(port), time.Second); err == nil {
		conn.Close()
	} else if strings.TrimSpace(lines[7]) == "ready" {
		s.log.Info("removing lock files left by a crashed server", "data_dir", s.dataDir, "pid", lines[0])
		_ = os.Remove(filepath.Join(s.dataDir, ".s.PGSQL."+lines[3]+".lock"))
		_ = os.Remove(pidFile)
	}
	return 0, false
}

// servesDataDir reports whether a server on port answers and serves our data folder.
func (s *Server) servesDataDir(ctx context.Context, port int) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, urlFor(port, "postgres"))
	if err != nil {
		return false
	}
	defer conn.Close(ctx)
	var dir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		return false
	}
	theirs, err1 := os.Stat(dir)
	ours, err2 := os.Stat(s.dataDir)
	return err1 == nil && err2 == nil && os.SameFile(theirs, ours)
}

func (s *Server) useServerUser() error {
	u, err := user.Lookup(serverUser)
	if err != nil {
		return fmt.Errorf("running as root, so initdb and pg_ctl must run as the %q OS user, which does not exist (the PostgreSQL server package creates it; or run `useradd --system --create-home %s`): %w", serverUser, serverUser, err)
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		return fmt.Errorf("running as root needs runuser (util-linux) to run initdb and pg_ctl as the %q OS user: %w", serverUser, err)
	}
	s.runAs = serverUser
	s.uid, _ = strconv.Atoi(u.Uid)
	s.gid, _ = strconv.Atoi(u.Gid)
	return nil
}

// clusterVersion is the major version of the cluster in dir, or 0 if there is none.
func clusterVersion(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if err != nil {
		return 0
	}
	v, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return v
}

func (s *Server) initCluster(ctx context.Context) error {
	entries, err := os.ReadDir(s.dataDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read data folder: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("data folder %s is not empty and holds no PostgreSQL cluster; empty it or choose another folder", s.dataDir)
	}
	// Parents stay traversable for the server user; the cluster itself is private.
	if err := os.MkdirAll(filepath.Dir(s.dataDir), 0o755); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	if err := os.Mkdir(s.dataDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create data folder: %w", err)
	}
	if err := s.chown(s.dataDir); err != nil {
		return err
	}
	if err := s.checkAccess(ctx); err != nil {
		return err
	}
	s.log.Info("creating postgres cluster", "data_dir", s.dataDir, "version", s.bin.major, "binaries", s.bin.dir)
	return s.run(ctx, s.tool("initdb"), "-D", s.dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale")
}

// checkAccess makes sure that, when we are root, the server user can write
// the data folder: a folder under /root or in a 0700 temp folder is a common trap.
func (s *Server) checkAccess(ctx context.Context) error {
	if s.runAs == "" || s.run(ctx, "test", "-w", s.dataDir) == nil {
		return nil
	}
	var parents []string
	for d := filepath.Dir(s.dataDir); d != filepath.Dir(d); d = filepath.Dir(d) {
		parents = append([]string{d}, parents...)
	}
	for _, d := range parents {
		if s.run(ctx, "test", "-x", d) != nil {
			return fmt.Errorf("the %s OS user, which runs PostgreSQL when staygraph runs as root, cannot enter folder %s; run `chmod o+x %s` or choose a data folder elsewhere", s.runAs, d, d)
		}
	}
	return fmt.Errorf("the %s OS user, which runs PostgreSQL when staygraph runs as root, cannot write data folder %s; run `chown -R %s %s`", s.runAs, s.dataDir, s.runAs, s.dataDir)
}

func (s *Server) chown(path string) error {
	if s.runAs == "" {
		return nil
	}
	if err := os.Chown(path, s.uid, s.gid); err != nil {
		return fmt.Errorf("hand %s to the %s user: %w", path, s.runAs, err)
	}
	return nil
}

func (s *Server) startServer(ctx context.Context) error {
	if err := s.writeSettings(); err != nil {
		return err
	}
	logPath := filepath.Join(s.dataDir, logFile)
	s.log.Info("starting postgres", "data_dir", s.dataDir, "port", s.port, "log", logPath)
	// Not cancelled with ctx (pg_ctl waits startTimeout at most): killed
	// half-way, it would leave a server running that nobody stops.
	if err := s.run(context.WithoutCancel(ctx), s.tool("pg_ctl"), "start", "-w", "-t", startTimeout, "-D", s.dataDir, "-l", logPath); err != nil {
		return fmt.Errorf("%w\n--- last lines of %s ---\n%s", err, logPath, tail(logPath, 20))
	}
	if err := s.own(); err != nil {
		return err
	}
	s.log.Info("postgres is ready", "url", s.URL())
	return nil
}

// writeSettings writes our settings to staygraph.conf before every start (so
// a new port takes effect) and includes that file from postgresql.conf.
func (s *Server) writeSettings() error {
	// Unix socket paths are limited to about 100 bytes; TCP alone is enough for us.
	sockets := s.dataDir
	if len(sockets)+len("/.s.PGSQL.65535.lock") > 100 || strings.Contains(sockets, ",") {
		sockets = ""
	}
	conf := fmt.Sprintf(`# Written by staygraph dev before every start; edits here are overwritten.
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
wal_level = logical  # the CDC indexer reads the logical replication stream
max_replication_slots = 10
max_wal_senders = 10
max_connections = 200
# A commit is durable when acknowledged, as on a production server: a held or
# confirmed booking survives a crash. It also reaches the change stream at
# once: the WAL sender only ships flushed WAL, which synchronous_commit=off
# would delay by up to three wal_writer_delay.
synchronous_commit = on
# Sessions that turn synchronous_commit off (bulk loads) still reach the
# change stream within a few milliseconds rather than 200.
wal_writer_delay = 10ms
`, s.port, strings.ReplaceAll(sockets, "'", "''"))
	path := filepath.Join(s.dataDir, settingsFile)
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("write settings: %w", err)
	}
	if err := s.chown(path); err != nil {
		return err
	}
	mainConf := filepath.Join(s.dataDir, "postgresql.conf")
	b, err := os.ReadFile(mainConf)
	if err != nil {
		return fmt.Errorf("read settings: %w", err)
	}
	include := "include_if_exists = '" + settingsFile + "'"
	if bytes.Contains(b, []byte(include)) {
		return nil
	}
	b = append(b, "\n# Settings of staygraph dev\n"+include+"\n"...)
	if err := os.WriteFile(mainConf, b, 0o600); err != nil { // keeps the file's owner
		return fmt.Errorf("write settings: %w", err)
	}
	return nil
}

func (s *Server) createDatabase(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, urlFor(s.port, "postgres"))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", s.database).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", s.database, err)
	}
	if exists {
		return nil
	}
	s.log.Info("creating database", "database", s.database)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{s.database}.Sanitize())
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P04") { // 42P04: created meanwhile
		return fmt.Errorf("create database %s: %w", s.database, err)
	}
	return nil
}

// run runs a program (as the server user when we are root) and returns its
// output in the error when it fails.
func (s *Server) run(ctx context.Context, name string, args ...string) error {
	what := filepath.Base(name)
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		what += " " + args[0]
	}
	if s.runAs != "" {
		args = append([]string{"-u", s.runAs, "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.CommandContext(ctx, name, args...)
	if s.runAs != "" {
		cmd.Dir = "/" // root's working folder is often closed to the server user
	}
	cmd.WaitDelay = 5 * time.Second // never wait on pipes a background server might hold
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", what, err, bytes.TrimSpace(out))
	}
	return nil
}

// tail is the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
