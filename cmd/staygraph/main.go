// Command staygraph is the one binary of the staygraph hotel search and
// booking backend.
//
//	staygraph dev          run everything locally: private PostgreSQL, demo data, API
//	staygraph serve        run the API against a configured PostgreSQL
//	staygraph migrate      apply database migrations
//	staygraph seed         load the deterministic demo world: catalog, optional past stays
//	staygraph token        mint a bearer token for the configured secret
//	staygraph rotate-keys  re-seal stored personal data under the primary key
//	staygraph bench        benchmarks: holds and search
//	staygraph reindex      rebuild the Elasticsearch index and swap its alias
//	staygraph indexer      stream committed changes to Elasticsearch and webhooks (CDC)
//
// staygraph <command> -h lists a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	_ "time/tzdata" // hotel time zones must resolve on any machine

	"github.com/staygraph/staygraph/internal/server"
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = []command{
	{"dev", "run a private PostgreSQL, load demo data and serve the API with GraphiQL", runDev},
	{"serve", "serve the GraphQL API against STAYGRAPH_DATABASE_URL", runServe},
	{"migrate", "apply pending database migrations", runMigrate},
	{"seed", "load the deterministic demo world: hotels, a year of rates, optional past stays", runSeed},
	{"token", "mint a bearer token signed with the configured secret", runToken},
	{"rotate-keys", "re-seal stored personal data under the primary --pii-keys key", runRotateKeys},
	{"bench", "benchmarks: holds (in-process, over HTTP under contention, pgbench) and search", runBench},
	{"reindex", "rebuild the Elasticsearch index from PostgreSQL and swap its alias", runReindex},
	{"indexer", "stream committed changes to Elasticsearch and partner webhooks (CDC)", runIndexer},
}

// gcPercent is the garbage collector's target unless GOGC is set: a GraphQL
// request allocates much short-lived memory, and collecting when the heap
// has grown by 4× its live size instead of 1× costs some memory (the API's
// live heap is tens of MB) and saves 15-20 % of the API's CPU
// (docs/benchmarks.md). Set GOMEMLIMIT where memory is tight.
const gcPercent = 400

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	go func() {
		// After the first signal the next one stops the process at once,
		// as without a handler: a second Ctrl-C ends a shutdown that waits.
		<-ctx.Done()
		stop()
	}()
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		os.Exit(2)
	}
	for _, c := range commands {
		if c.name == os.Args[1] {
			err := c.run(ctx, os.Args[2:])
			if errors.Is(err, flag.ErrHelp) {
				os.Exit(2)
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "staygraph %s: %v\n", c.name, err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "staygraph: unknown command %q\n\n", os.Args[1])
	usage()
	os.Exit(2)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: staygraph <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'staygraph <command> -h' for its flags. Every flag can also be set as STAYGRAPH_<FLAG>.")
}

func newLogger(format, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if format == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	// Every line, also from code logging through slog's default logger,
	// is redacted and carries the request id of its context.
	log := slog.New(server.NewLogHandler(h))
	slog.SetDefault(log)
	return log
}
