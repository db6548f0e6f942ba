package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// A request that is under way when shutdown starts still gets its answer.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	f := newFlags("test")
	s := addServerFlags(f)
	if err := f.parse([]string{"--addr", "127.0.0.1:0", "--shutdown-timeout", "10s"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() {
		done <- serveAPI(ctx, log, pool, s, auth.JWTConfig{HS256Secret: []byte("x")}, func(addr string) { ready <- addr })
	}()
	addr := <-ready

	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", res, err)
	}
	res.Body.Close()
	// A pool busy to its last connection is not an unreachable database.
	var held []*pgxpool.Conn
	for range pool.Config().MaxConns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	res, err = http.Get("http://" + addr + "/readyz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("readyz with every pooled connection busy: %v %v", res, err)
	}
	res.Body.Close()
	for _, c := range held {
		c.Release()
	}

	// Send the headers and half the body, start the shutdown, then finish the body.
	body, write := io.Pipe()
	answer := make(chan *http.Response, 1)
	reading := make(chan struct{})
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", body)
		req.Header.Set("Content-Type", "application/json")
		// The server answers "100 Continue" once its handler reads the
		// body: the request is then being served (a request whose headers
		// the server had not read when shutdown began is dropped).
		req.Header.Set("Expect", "100-continue")
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			Got100Continue: func() { close(reading) }}))
		// A client of its own: the polls below must not share its connection.
		res, err := (&http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}).Do(req)
		if err != nil {
			t.Errorf("in-flight request: %v", err)
			close(answer)
			return
		}
		answer <- res
	}()
	<-reading
	if _, err := write.Write([]byte(`{"query": "{ hotels `)); err != nil {
		t.Fatal(err)
	}
	cancel()
	// Shutdown closes the listener: new connections are soon refused.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get("http://" + addr + "/healthz")
		if err != nil {
			break
		}
		res.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("new connections are still accepted 5 s after shutdown began")
		}
	}
	_, _ = write.Write([]byte(`{ totalCount } }"}`))
	write.Close()

	res = <-answer
	if res == nil {
		t.FailNow()
	}
	defer res.Body.Close()
	var out struct {
		Data struct{ Hotels struct{ TotalCount int } }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("in-flight answer: %d %v", res.StatusCode, err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop")
	}
}

func TestFlagsReadTheEnvironment(t *testing.T) {
	t.Setenv("STAYGRAPH_ADDR", "127.0.0.1:9999")
	t.Setenv("STAYGRAPH_SHUTDOWN_TIMEOUT", "3s")
	f := newFlags("test")
	s := addServerFlags(f)
	if err := f.parse(nil); err != nil {
		t.Fatal(err)
	}
	if *s.addr != "127.0.0.1:9999" || *s.shutdownTimeout != 3*time.Second {
		t.Fatalf("addr %q timeout %v", *s.addr, *s.shutdownTimeout)
	}
	f = newFlags("test")
	s = addServerFlags(f)
	if err := f.parse([]string{"--addr", "127.0.0.1:1"}); err != nil || *s.addr != "127.0.0.1:1" {
		t.Fatalf("a flag must win over the environment: %q %v", *s.addr, err)
	}
	t.Setenv("STAYGRAPH_MAX_COMPLEXITY", "lots")
	f = newFlags("test")
	addServerFlags(f)
	if err := f.parse(nil); err == nil || !strings.Contains(err.Error(), "STAYGRAPH_MAX_COMPLEXITY") {
		t.Fatalf("a bad environment value must be reported, got %v", err)
	}
}

// Secrets are passed in the environment; usage text (-h, a mistyped flag)
// and errors about a bad value must not print them.
func TestUsageNeverPrintsTheEnvironment(t *testing.T) {
	t.Setenv("STAYGRAPH_JWT_SECRET", "s3cret-jwt")
	t.Setenv("DATABASE_URL", "postgres://app:s3cret-db@db.example:5432/app")
	t.Setenv("STAYGRAPH_MAX_COMPLEXITY", "s3cret-number")
	var out strings.Builder
	f := newFlags("test")
	f.SetOutput(&out)
	c := commonFlags(f)
	s := addServerFlags(f)
	err := f.parse([]string{"--adr", "x"})
	if err == nil {
		t.Fatal("a mistyped flag must fail")
	}
	if !strings.Contains(out.String(), "STAYGRAPH_JWT_SECRET") {
		t.Fatalf("usage must still name the variables:\n%s", out.String())
	}
	if strings.Contains(out.String()+err.Error(), "s3cret") {
		t.Fatalf("usage printed a secret:\n%s\n%v", out.String(), err)
	}
	f = newFlags("test")
	c = commonFlags(f)
	s = addServerFlags(f)
	err = f.parse(nil)
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "STAYGRAPH_MAX_COMPLEXITY") {
		t.Fatalf("a bad value is reported by its variable alone, got %v", err)
	}
	t.Setenv("STAYGRAPH_MAX_COMPLEXITY", "")
	f = newFlags("test")
	c = commonFlags(f)
	s = addServerFlags(f)
	if err := f.parse(nil); err != nil {
		t.Fatal(err)
	}
	if *s.jwtSecret != "s3cret-jwt" || *c.databaseURL != "postgres://app:s3cret-db@db.example:5432/app" {
		t.Fatalf("the environment's values must still be used: %q %q", *s.jwtSecret, *c.databaseURL)
	}
	t.Setenv("STAYGRAPH_DATABASE_URL", "postgres://other")
	f = newFlags("test")
	c = commonFlags(f)
	if err := f.parse(nil); err != nil || *c.databaseURL != "postgres://other" {
		t.Fatalf("STAYGRAPH_DATABASE_URL wins over DATABASE_URL: %q %v", *c.databaseURL, err)
	}
}

// The sandbox confirms bookings without moving money: 'serve' registers it
// only when asked, 'dev' by default.
func TestSandboxPaymentsOnlyInDevByDefault(t *testing.T) {
	for _, tc := range []struct {
		command string
		args    []string
		want    bool
	}{
		{"serve", nil, false},
		{"serve", []string{"--sandbox-payments"}, true},
		{"dev", nil, true},
		{"dev", []string{"--sandbox-payments=false"}, false},
	} {
		f := newFlags(tc.command)
		s := addServerFlags(f)
		if err := f.parse(tc.args); err != nil {
			t.Fatal(err)
		}
		_, err := payments(s.payments).Get("sandbox")
		if got := err == nil; got != tc.want {
			t.Errorf("%s %v: sandbox registered %v, want %v", tc.command, tc.args, got, tc.want)
		}
	}
}

// An identity provider's RS256 tokens are accepted only with an audience:
// it signs tokens for other applications with the same key.
func TestRS256TokensNeedAnAudience(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemFile := filepath.Join(t.TempDir(), "idp.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args    []string
		wantErr bool
	}{
		{[]string{"--jwt-public-key", pemFile}, true},
		{[]string{"--jwt-public-key", pemFile, "--jwt-audience", "staygraph-api"}, false},
		{[]string{"--jwt-secret", "a-long-enough-development-secret"}, false},
	} {
		f := newFlags("serve")
		s := addServerFlags(f)
		if err := f.parse(tc.args); err != nil {
			t.Fatal(err)
		}
		cfg, err := s.jwtConfig()
		if (err != nil) != tc.wantErr {
			t.Errorf("%v: %v, want an error %v", tc.args, err, tc.wantErr)
		}
		if err == nil && !cfg.Enabled() {
			t.Errorf("%v: tokens not enabled", tc.args)
		}
	}
}

// serve refuses settings it cannot run with safely, with a message that
// names the flag, before it connects anywhere.
func TestServeRefusesUnsafeSettings(t *testing.T) {
	base := []string{"--database-url", "postgres://postgres@127.0.0.1:1/none?connect_timeout=1",
		"--pii-keys", pii.FormatKeys([]pii.Key{{ID: "k1", Secret: pii.GenerateKey()}}),
		"--pii-index-key", base64.StdEncoding.EncodeToString(pii.GenerateKey())}
	for name, args := range map[string][]string{
		"a short JWT secret":    {"--jwt-secret", "x"},
		"one connection":        {"--db-max-conns", "1"},
		"a negative hold":       {"--hold-ttl", "-5m"},
		"an unknown log level":  {"--log-level", "bogus"},
		"an unknown log format": {"--log-format", "xml"},
		// values that mean nothing, which used to be replaced by defaults
		// or taken as they are without a word
		"no shutdown time":          {"--shutdown-timeout", "0s"},
		"a negative shutdown time":  {"--shutdown-timeout", "-5s"},
		"a negative search timeout": {"--search-timeout", "-1s"},
		"no body":                   {"--max-body-bytes", "0"},
		"a negative depth":          {"--max-depth", "-3"},
		"no aliases":                {"--max-aliases", "0"},
		"no root fields":            {"--max-root-fields", "-1"},
		"a negative complexity":     {"--max-complexity", "-100"},
		"no job workers":            {"--job-workers", "0"},
		"an APQ cache of -7":        {"--apq-cache-size", "-7"},
		"an APQ cache of 0":         {"--apq-cache-size", "0"},
		"a pool over 2^31":          {"--db-max-conns", "4294967296"},
		"a Stripe URL that is not":  {"--stripe-api-url", "::not a url"},
		// checked only after migrating and starting the job queue, once
		"an unknown caller in the rate limits": {"--rate-limits", "robot=1/2"},
		"a misspelt search engine":             {"--search-engine", "elastic"},
		"a negative search concurrency":        {"--search-concurrency", "-1"},
		"elasticsearch without an address":     {"--search-engine", "elasticsearch"},
		"a Redis URL that is not one":          {"--redis-url", "http://redis:6379"},
		"a missing allow-list file":            {"--operation-allowlist", "/nonexistent/ops.json"},
		"a CORS origin without its scheme":     {"--cors-origins", "app.example.com"},
		"a sample ratio over 1":                {"--otlp-sample-ratio", "2"},
		"an SMS gateway that is not a URL":     {"--sms-gateway-url", "ftp://sms.example", "--sms-token", "t"},
		"an SMS gateway without its token":     {"--sms-gateway-url", "https://sms.example/send"},
		"an SMS token without its gateway":     {"--sms-token", "t"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := runServe(ctx, append(append([]string{}, base...), args...))
		cancel()
		if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(args[0], "--")) {
			t.Errorf("%s: %v, want a refusal naming %s", name, err, args[0])
		}
	}
}

// A --redis-url that does not parse is refused without being repeated: its
// password would land in the log.
func TestServeRefusesAMalformedRedisURLWithoutItsPassword(t *testing.T) {
	const password = "s3cret-redis-password"
	t.Setenv("STAYGRAPH_REDIS_URL", "redis://:"+password+"@redis.internal:63790x/0")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := runServe(ctx, []string{"--database-url", "postgres://postgres@127.0.0.1:1/none?connect_timeout=1",
		"--pii-keys", pii.FormatKeys([]pii.Key{{ID: "k1", Secret: pii.GenerateKey()}}),
		"--pii-index-key", base64.StdEncoding.EncodeToString(pii.GenerateKey())})
	if err == nil || !strings.Contains(err.Error(), "redis-url") || strings.Contains(err.Error(), password) {
		t.Fatalf("a malformed --redis-url: %v; want a refusal naming the flag, not its password", err)
	}
}

// dev refuses a taken --addr before it starts a cluster or loads the demo
// world (it used to find out after both, 15 s later).
func TestDevRefusesATakenAddressFirst(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// a database nobody serves: reaching for it would fail otherwise
	err = runDev(ctx, []string{"--addr", ln.Addr().String(), "--data-dir", t.TempDir(),
		"--database-url", "postgres://postgres@127.0.0.1:1/none?connect_timeout=1"})
	if err == nil || !strings.Contains(err.Error(), "choose another with --addr") {
		t.Fatalf("dev on a taken address: %v, want a refusal naming --addr", err)
	}
}

// Nor any part of it: a password with an unencoded / ends the URL's
// authority early, and net/url's own message quotes what it took for the
// port, the password's head.
func TestServeRefusesAMalformedRedisURLWithoutPartOfItsPassword(t *testing.T) {
	const head = "Zx81kQ" // the password is Zx81kQ/9vT+w==, not percent-encoded
	t.Setenv("STAYGRAPH_REDIS_URL", "redis://:"+head+"/9vT+w==@redis.internal:6379/0")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := runServe(ctx, []string{"--database-url", "postgres://postgres@127.0.0.1:1/none?connect_timeout=1",
		"--pii-keys", pii.FormatKeys([]pii.Key{{ID: "k1", Secret: pii.GenerateKey()}}),
		"--pii-index-key", base64.StdEncoding.EncodeToString(pii.GenerateKey())})
	if err == nil || !strings.Contains(err.Error(), "redis-url") || strings.Contains(err.Error(), head) {
		t.Fatalf("a malformed --redis-url: %v; want a refusal naming the flag, without any of its password (%q)", err, head)
	}
}
