package main

import (
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// The pgbench script must bind every parameter of the engine's statement:
// a $n left over, or a :pN the lookup does not set, fails only at run time.
func TestSearchBenchScriptBindsEveryParameter(t *testing.T) {
	t.Parallel()
	lookup, script := sbPgbenchScripts(100)
	if !strings.HasPrefix(script, `\set q random(1, 100)`) || !strings.Contains(script, `\gset`) || strings.Contains(lookup, `\gset`) {
		t.Fatalf("script head:\n%.300s", script)
	}
	body := script[strings.Index(script, `\gset`):]
	if m := regexp.MustCompile(`\$\d+`).FindString(body); m != "" {
		t.Errorf("%s left in the script", m)
	}
	if strings.Contains(body, "--") {
		t.Error("comments left in the script")
	}
	// pgbench reads every :name as a variable, in string literals too
	// ('[[:alnum:]]'): only the :pN the lookup sets may appear.
	for _, m := range regexp.MustCompile(`(?:^|[^:]):([A-Za-z_]\w*)`).FindAllStringSubmatch(body, -1) {
		if !regexp.MustCompile(`^p\d+$`).MatchString(m[1]) {
			t.Errorf(":%s reads as a pgbench variable", m[1])
		}
	}
	sel := lookup[:strings.Index(lookup, " FROM bench_queries")]
	for _, m := range regexp.MustCompile(`:(p\d+)`).FindAllStringSubmatch(body, -1) {
		if !regexp.MustCompile(`\b` + m[1] + `\b`).MatchString(sel) {
			t.Errorf(":%s is used but the lookup does not set it", m[1])
		}
	}
	for n := 1; n <= 28; n++ {
		_, bound := sbParamColumns[n]
		_, null := sbNullParams[n]
		if bound == null && n != 22 {
			t.Errorf("$%d is bound %v and NULL %v", n, bound, null)
		}
	}
}

func TestSearchBenchGeneratorSteps(t *testing.T) {
	t.Parallel()
	var names []string
	for _, s := range sbSteps(benchDataSQL) {
		names = append(names, s.name)
		if strings.TrimSpace(s.sql) == "" {
			t.Errorf("step %s is empty", s.name)
		}
	}
	want := []string{"cities", "hotels", "room types", "rooms", "rate plans", "nightly rates", "inventory"}
	if !slices.Equal(names, want) {
		t.Errorf("steps %q, want %q", names, want)
	}
}

func TestSearchBenchParsesPgbench(t *testing.T) {
	t.Parallel()
	out := "number of transactions actually processed: 3051\nnumber of failed transactions: 2 (0.066%)\nlatency average = 105.512 ms\ninitial connection time = 35.1 ms\ntps = 151.712345 (without initial connection time)\n"
	tps, avg, failed := sbParsePgbench([]byte(out))
	if tps != 151.712345 || avg != 105.512 || failed != 2 {
		t.Errorf("tps %v avg %v failed %v", tps, avg, failed)
	}
	if _, _, failed := sbParsePgbench([]byte("pgbench: error: connection refused\n")); failed == 0 {
		t.Error("a report without transactions is a failure")
	}
}

// The generator loads the catalog without triggers: what the triggers keep
// must still hold (the words of the hotels' text in the search dictionary,
// each room type's rooms in service), or searches on a generated catalog
// would not behave as on a real one. Its tables are left all-visible, as a
// settled catalog's are, or index-only scans would read them.
func TestSearchBenchGeneratorKeepsWhatTriggersKeep(t *testing.T) {
	t.Parallel()
	pool, url := pgtest.NewDBURL(t)
	o := sbOpts{hotels: 40, roomTypes: 4, nights: 20, seed: 1}
	if _, err := sbGenerate(t.Context(), slog.New(slog.DiscardHandler), url, o, time.Now().UTC(), sbFingerprint(o)); err != nil {
		t.Fatal(err)
	}
	for what, query := range map[string]string{
		"hotel words missing from the dictionary": `SELECT count(*) FROM (
			SELECT w FROM hotels, regexp_split_to_table(search_text, '[\W_]+') w WHERE w <> ''
			EXCEPT SELECT word FROM search_words) x`,
		"room types whose rooms in service are off": `SELECT count(*) FROM room_types rt
			WHERE rooms_in_service <> (SELECT count(*) FROM rooms r WHERE r.room_type_id = rt.id AND r.in_service)`,
		"hotels": `SELECT 40 - count(*) FROM hotels`,
		"catalog tables with pages not all-visible": `SELECT count(*) FROM pg_class
			WHERE relname IN ('hotels', 'room_types', 'rate_plans', 'nightly_rates', 'inventory') AND relallvisible < relpages`,
	} {
		var n int
		if err := pool.QueryRow(t.Context(), query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n != 0 {
			t.Errorf("%s: %d", what, n)
		}
	}
	// It drops indexes for the load and builds them again: they must be
	// the ones the migrations make.
	indexes := func(pool *pgxpool.Pool) []string {
		rows, err := pool.Query(t.Context(), `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`)
		if err != nil {
			t.Fatal(err)
		}
		defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return slices.DeleteFunc(defs, func(d string) bool { return strings.Contains(d, " bench_") })
	}
	if got, want := indexes(pool), indexes(pgtest.NewDB(t)); !slices.Equal(got, want) {
		t.Errorf("the generated catalog's indexes differ from the migrations':\n got %q\nwant %q", got, want)
	}
}

// A run in which searches failed gives no verdict: its latencies and
// throughput count failures, not searches.
func TestSearchBenchGivesNoVerdictWhenSearchesFailed(t *testing.T) {
	t.Parallel()
	run := func(errors int) *sbRun {
		return &sbRun{Count: 1000, Errors: errors, PerSecond: 500, LatencyMS: map[string]float64{"p99": 40}}
	}
	for _, c := range []struct {
		api, sql int
		want     string
	}{{0, 0, "met"}, {3, 0, "NOT MEASURED"}, {0, 1, "NOT MEASURED"}} {
		var out strings.Builder
		sbPrintReport(&out, sbReport{Machine: map[string]string{}, API: run(c.api), SQL: run(c.sql), Ratio: 1})
		_, targets, _ := strings.Cut(out.String(), "\ntargets\n")
		for _, line := range strings.Split(strings.TrimSpace(targets), "\n") {
			if !strings.Contains(line, c.want) || c.want == "met" && strings.Contains(line, "NOT") {
				t.Errorf("%d API and %d SQL errors: %q, want %s", c.api, c.sql, line, c.want)
			}
		}
	}
}
