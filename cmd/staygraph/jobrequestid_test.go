package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/server"
)

// A job enqueued inside a request runs, and logs, with that request's id.
func TestJobsCarryTheRequestID(t *testing.T) {
	t.Parallel()
	mw := &jobRequestIDs{}
	params := []*rivertype.JobInsertParams{{Kind: "expire_hold", Metadata: []byte(`{"other":1}`)}, {Kind: "notify"}}
	ctx := server.WithRequestID(context.Background(), "req-42")
	if _, err := mw.InsertMany(ctx, params, func(context.Context) ([]*rivertype.JobInsertResult, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	if err := json.Unmarshal(params[0].Metadata, &md); err != nil || md["request_id"] != "req-42" || md["other"] != float64(1) {
		t.Fatalf("metadata %s %v", params[0].Metadata, err)
	}

	var buf bytes.Buffer
	log := slog.New(server.NewLogHandler(slog.NewTextHandler(&buf, nil)))
	job := &rivertype.JobRow{Kind: "notify", Metadata: params[1].Metadata}
	err := mw.Work(context.Background(), job, func(ctx context.Context) error {
		log.InfoContext(ctx, "job ran")
		return nil
	})
	if err != nil || !strings.Contains(buf.String(), "request_id=req-42") {
		t.Fatalf("job log %q %v", buf.String(), err)
	}
	// A job enqueued before ids were checked for card numbers runs without its id.
	buf.Reset()
	job = &rivertype.JobRow{Kind: "notify", Metadata: []byte(`{"request_id":"4111111111111111"}`)}
	err = mw.Work(context.Background(), job, func(ctx context.Context) error {
		log.InfoContext(ctx, "job ran")
		return nil
	})
	if err != nil || strings.Contains(buf.String(), "request_id") {
		t.Fatalf("job log %q %v", buf.String(), err)
	}
}

// Lines logged through slog's default logger carry the request id too.
func TestDefaultLoggerCarriesRequestIDs(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	log := newLogger("text", "info")
	if _, ok := log.Handler().(*server.LogHandler); !ok {
		t.Fatalf("newLogger's handler is %T, want *server.LogHandler", log.Handler())
	}
	if _, ok := slog.Default().Handler().(*server.LogHandler); !ok {
		t.Fatalf("default handler is %T, want *server.LogHandler", slog.Default().Handler())
	}
}

// lockedBuffer is a log destination for a server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A client's X-Request-Id that holds a card number is replaced by a fresh
// id, as an invalid one is: the response, the log and the job a hold
// enqueues carry the fresh id, and the card number is in none of them.
func TestRequestIDWithACardNumberIsReplaced(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	_, h, plan, today := londonHotel(t, pool)
	f := newFlags("test")
	s := addServerFlags(f)
	if err := f.parse([]string{"--addr", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	secret := []byte("request-id-test-secret")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serveAPI(ctx, log, pool, s, auth.JWTConfig{HS256Secret: secret}, func(addr string) { ready <- addr })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	addr := <-ready
	tok, err := auth.Mint(secret, auth.MintOpts{Role: auth.RoleGuest, Subject: "guest-1", TTL: time.Hour})
	checkErr(t, err)

	post := func(id, query string, vars map[string]any) (string, map[string]any) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("X-Request-Id", id)
		res, err := http.DefaultClient.Do(req)
		checkErr(t, err)
		defer res.Body.Close()
		var out map[string]any
		checkErr(t, json.NewDecoder(res.Body).Decode(&out))
		return res.Header.Get("X-Request-Id"), out
	}
	fresh := regexp.MustCompile(`^[0-9a-f]{24}$`)
	cards := []string{"4111111111111111", "4111-1111-1111-1111", "4111.1111.1111.1111", "req-4111111111111111",
		"trace_4111_1111_1111_1111", "span:5555555555554444"}
	var ids []string
	for _, card := range cards {
		id, out := post(card, `{ nope }`, nil)
		errs, _ := out["errors"].([]any)
		if !fresh.MatchString(id) || len(errs) != 1 || errs[0].(map[string]any)["extensions"].(map[string]any)["requestId"] != id {
			t.Errorf("X-Request-Id %q: answered with id %q and %v, want a fresh id in both", card, id, out)
		}
		ids = append(ids, id)
	}
	// An id without a card number is kept.
	if id, _ := post("edge-7f3a-2027", `{ nope }`, nil); id != "edge-7f3a-2027" {
		t.Errorf("a sane id came back as %q", id)
	}

	// A hold enqueues its expiry job with the request's id.
	id, out := post("4111111111111111", `mutation($in: HoldBookingInput!) { holdBooking(input: $in) { booking { status } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": "h-1", "hotelId": relay.ID(relay.KindHotel, h.ID),
			"checkIn": today.AddDate(0, 0, 7).Format(time.DateOnly), "checkOut": today.AddDate(0, 0, 8).Format(time.DateOnly),
			"rooms":   []map[string]any{{"ratePlanId": relay.ID(relay.KindRatePlan, plan.ID), "occupancy": "2", "guests": []map[string]any{{"givenName": "Ana", "familyName": "Lima"}}}},
			"contact": map[string]any{"email": "ana@example.com"}}})
	if hold, _ := out["data"].(map[string]any)["holdBooking"].(map[string]any); hold == nil || hold["booking"] == nil || !fresh.MatchString(id) {
		t.Fatalf("hold: id %q %v", id, out)
	}
	var metadata string
	checkErr(t, pool.QueryRow(ctx, `SELECT coalesce(string_agg(metadata::text, ' '), '') FROM river_job`).Scan(&metadata))
	if !strings.Contains(metadata, `"request_id": "`+id+`"`) {
		t.Errorf("job metadata %s, want request id %s", metadata, id)
	}
	for _, card := range []string{"4111111111111111", "4111-1111", "4111.1111", "4111_1111", "5555555555554444"} {
		if strings.Contains(metadata, card) {
			t.Errorf("job metadata holds %q: %s", card, metadata)
		}
		if strings.Contains(logs.String(), card) {
			t.Errorf("the log holds %q: %s", card, logs.String())
		}
	}
	for _, id := range append(ids, id) {
		if !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
			t.Errorf("no log line carries request id %s:\n%s", id, logs.String())
		}
	}
}

// A job's failure, cancellation and panic are logged with the request id
// of the request that enqueued it; a snooze, a job waiting its turn, is not
// a failure and is not logged.
func TestJobOutcomesAreLoggedWithTheRequestID(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	var out lockedBuffer
	slog.SetDefault(slog.New(server.NewLogHandler(slog.NewJSONHandler(&out, nil))))
	mw := &jobRequestIDs{}
	job := &rivertype.JobRow{ID: 7, Kind: "notify.deliver", Attempt: 2, Metadata: []byte(`{"request_id":"req-outcome"}`)}
	for _, c := range []struct {
		err  error
		want string // the message logged; "" for none
	}{
		{nil, ""},
		{river.JobSnooze(time.Minute), ""},
		{river.JobCancel(errors.New("gone for good")), "job cancelled"},
		{errors.New("smtp 450"), "job failed"},
	} {
		before := len(out.String())
		err := mw.Work(context.Background(), job, func(context.Context) error { return c.err })
		if !errors.Is(err, c.err) {
			t.Fatalf("Work returned %v, want %v", err, c.err)
		}
		line := out.String()[before:]
		if c.want == "" && line != "" || c.want != "" && (!strings.Contains(line, `"msg":"`+c.want+`"`) || !strings.Contains(line, `"request_id":"req-outcome"`)) {
			t.Errorf("%v: logged %q, want %q with the request id", c.err, line, c.want)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the job's panic did not reach River")
			}
		}()
		_ = mw.Work(context.Background(), job, func(context.Context) error { panic("boom") })
	}()
	if s := out.String(); !strings.Contains(s, `"msg":"job panicked"`) || !strings.Contains(s, `"panic":"boom"`) {
		t.Errorf("the panic's line: %s", s)
	}
}
