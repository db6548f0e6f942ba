package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Searches on PostgreSQL at once: as set, or the machine's cores but never
// more than half the pool, so bookings keep connections.
func TestSearchConcurrency(t *testing.T) {
	cases := []struct {
		set, pool, want int
	}{
		{set: 5, pool: 8, want: 5},
		{set: 0, pool: 8, want: min(runtime.NumCPU(), 4)},
		{set: 0, pool: 2 * runtime.NumCPU(), want: runtime.NumCPU()},
		{set: 0, pool: 1, want: 1},
	}
	for _, c := range cases {
		if got, err := searchConcurrency(c.set, c.pool); err != nil || got != c.want {
			t.Errorf("searchConcurrency(%d, pool %d) = %d, %v; want %d", c.set, c.pool, got, err, c.want)
		}
	}
	if _, err := searchConcurrency(-1, 8); err == nil {
		t.Error("a negative --search-concurrency is accepted")
	}
}

// --elasticsearch-url is a comma-separated list of http(s) addresses; a bad
// one is named by its position, never by its text (it may hold a password).
func TestElasticsearchAddresses(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                                      "[]",
		" , ":                                   "[]",
		"http://127.0.0.1:9200":                 "[http://127.0.0.1:9200]",
		" http://es1:9200 , https://es2:9200/,": "[http://es1:9200 https://es2:9200/]",
		"https://elastic:pw@es1:9243":           "[https://elastic:pw@es1:9243]",
	} {
		got, err := esAddresses(in)
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("esAddresses(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for in, pos := range map[string]string{
		"es1:9200":                         "address 1",
		"http://es1:9200,ftp://es2":        "address 2",
		"http://es1:9200,http://u:s3cret@": "address 2",
		"http://es1:9200, ,es3":            "address 3",
	} {
		_, err := esAddresses(in)
		if err == nil || !strings.Contains(err.Error(), "--elasticsearch-url: "+pos) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("esAddresses(%q): %v, want an error naming %s alone", in, err, pos)
		}
	}
}

// serve, dev, indexer and reindex read --elasticsearch-url alike: from
// STAYGRAPH_ELASTICSEARCH_URL, else ELASTICSEARCH_URL, as a list, and each
// refuses a bad list before it connects anywhere.
// (Not parallel: it sets the environment.)
func TestEveryCommandReadsTheElasticsearchURLAlike(t *testing.T) {
	t.Setenv("ELASTICSEARCH_URL", "http://es1:9200, http://es2:9200")
	addrs := func() string {
		f := newFlags("serve")
		s := addServerFlags(f)
		checkErr(t, f.parse(nil))
		got, err := s.search.es.addresses()
		checkErr(t, err)
		return strings.Join(got, " ")
	}
	if got := addrs(); got != "http://es1:9200 http://es2:9200" {
		t.Errorf("serve and dev read ELASTICSEARCH_URL as %q", got)
	}
	t.Setenv("STAYGRAPH_ELASTICSEARCH_URL", "http://es3:9200")
	if got := addrs(); got != "http://es3:9200" {
		t.Errorf("with STAYGRAPH_ELASTICSEARCH_URL too, serve and dev read %q", got)
	}
	t.Setenv("STAYGRAPH_ELASTICSEARCH_URL", "")

	// A bad address stops, before it connects anywhere, every command that
	// would use it, naming it by its position (it may hold a password).
	t.Setenv("ELASTICSEARCH_URL", "http://es1:9200,http://elastic:s3cret@")
	db := []string{"--database-url", "postgres://postgres@127.0.0.1:1/none?connect_timeout=1", "--log-level", "error"}
	type command struct {
		run  func(context.Context, []string) error
		args []string
	}
	runs := func(c command) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return c.run(ctx, append(append([]string{}, db...), c.args...))
	}
	for name, c := range map[string]command{
		"serve --indexer": {runServe, []string{"--indexer"}}, "serve --search-engine elasticsearch": {runServe, []string{"--search-engine", "elasticsearch"}},
		"dev": {runDev, []string{"--data-dir", t.TempDir()}}, "indexer": {runIndexer, nil}, "reindex": {runReindex, nil},
	} {
		if err := runs(c); err == nil || !strings.Contains(err.Error(), "--elasticsearch-url: address 2") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s with a bad second address in ELASTICSEARCH_URL: %v", name, err)
		}
	}
	// A server that neither searches nor indexes with it is not stopped by
	// a stray one: it goes on (here to a database that is not there).
	for name, c := range map[string]command{"serve": {runServe, nil}, "dev --indexer=false": {runDev, []string{"--indexer=false", "--data-dir", t.TempDir()}}} {
		if err := runs(c); err == nil || strings.Contains(err.Error(), "elasticsearch") {
			t.Errorf("%s with a stray bad ELASTICSEARCH_URL: %v, want it to go on to the database", name, err)
		}
	}
}
