package devserver

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
)

// ErrNoBinaries is returned (wrapped) by Start when no PostgreSQL server
// binaries are installed. Its message tells the user what to install.
var ErrNoBinaries = errors.New(`no PostgreSQL server binaries (pg_ctl, initdb) found on PATH or in the usual folders; install them:
  Debian/Ubuntu: sudo apt-get install postgresql
  Fedora:        sudo dnf install postgresql-server
  macOS:         brew install postgresql@15
or set DATABASE_URL (or STAYGRAPH_DATABASE_URL) to use an existing PostgreSQL server`)

// searchDirs are the folders, besides PATH, where packages put pg_ctl and initdb.
var searchDirs = []string{
	"/usr/lib/postgresql/*/bin",                          // Debian, Ubuntu
	"/usr/pgsql-*/bin",                                   // PGDG packages for Fedora, RHEL
	"/usr/local/pgsql/bin",                               // built from source
	"/opt/homebrew/opt/postgresql@*/bin",                 // Homebrew, Apple silicon
	"/usr/local/opt/postgresql@*/bin",                    // Homebrew, Intel
	"/Applications/Postgres.app/Contents/Versions/*/bin", // Postgres.app
}

// binaries is a folder holding pg_ctl and initdb of one PostgreSQL major version.
type binaries struct {
	dir    string
	major  int
	onPath bool
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// findBinaries picks the server binaries: those on PATH first, else the
// highest version found in searchDirs. When want is not 0 (an existing
// cluster's major version), only binaries of that version will do.
func findBinaries(ctx context.Context, want int) (binaries, error) {
	var dirs []string
	pathDir := ""
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil { // Debian-style symlinks
			p = real
		}
		pathDir = filepath.Dir(p)
		dirs = append(dirs, pathDir)
	}
	for _, pattern := range searchDirs {
		found, _ := filepath.Glob(pattern)
		dirs = append(dirs, found...)
	}
	var found []binaries
	for _, dir := range dirs {
		if _, err := exec.LookPath(filepath.Join(dir, "initdb")); err != nil {
			continue
		}
		out, err := exec.CommandContext(ctx, filepath.Join(dir, "pg_ctl"), "--version").Output()
		m := versionRE.FindSubmatch(out)
		if err != nil || m == nil {
			continue
		}
		major, _ := strconv.Atoi(string(m[1]))
		found = append(found, binaries{dir: dir, major: major, onPath: dir == pathDir})
	}
	if len(found) == 0 {
		return binaries{}, ErrNoBinaries
	}
	// PATH first, then the newest version.
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].onPath != found[j].onPath {
			return found[i].onPath
		}
		return found[i].major > found[j].major
	})
	if want == 0 {
		return found[0], nil
	}
	for _, b := range found {
		if b.major == want {
			return b, nil
		}
	}
	return binaries{}, fmt.Errorf("the cluster was created by PostgreSQL %d, whose binaries are not installed (found PostgreSQL %d in %s); install PostgreSQL %d or use a new data folder",
		want, found[0].major, found[0].dir, want)
}
