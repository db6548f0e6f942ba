package server_test

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/server"
)

// asUser plays authentication in these tests: X-Test-User names a guest.
func asUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := r.Header.Get("X-Test-User"); u != "" {
			r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Role: auth.RoleGuest, Subject: u}))
		}
		next.ServeHTTP(w, r)
	})
}

// limitedServer serves okHandler behind limiter with small limits:
// anonymous 3 at once, guests 5 at once, both refilling at 1 per minute.
func limitedServer(t *testing.T, limiter server.Limiter) string {
	t.Helper()
	rules := server.Rules{Anonymous: server.Rule{Rate: 1.0 / 60, Burst: 3}, Default: server.Rule{Rate: 1.0 / 60, Burst: 5}}
	return serve(t, server.Chain(okHandler, server.RequestIDs, asUser, server.RateLimit(server.RateLimitOpts{
		Limiter: limiter, Rules: &rules, ClientIP: server.ClientIP("X-Forwarded-For"),
	}))).URL
}

// burst sends n requests with header and returns how many got through
// before the first 429, and that 429.
func burst(t *testing.T, url string, n int, header map[string]string) (int, answer) {
	t.Helper()
	for i := range n {
		a := do(t, newRequest(t, http.MethodPost, url, []byte(`{"query":"{ viewer { role } }"}`), header))
		if a.status == http.StatusTooManyRequests {
			return i, a
		}
		if a.status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, a.status, a.body)
		}
	}
	return n, answer{}
}

// checkLimits runs the same burst against a limiter: each caller gets its
// own bucket, and the refusal says when to come back.
func checkLimits(t *testing.T, url string) {
	t.Helper()
	anon := map[string]string{"X-Forwarded-For": "203.0.113.7"}
	n, refused := burst(t, url, 10, anon)
	if n != 3 {
		t.Fatalf("anonymous client got %d requests through, want its burst of 3", n)
	}
	if refused.code() != server.CodeRateLimited {
		t.Fatalf("refusal: %s", refused.body)
	}
	retry, err := strconv.Atoi(refused.header.Get("Retry-After"))
	if err != nil || retry < 55 || retry > 60 {
		t.Fatalf("Retry-After = %q, want about 60 seconds (1 request per minute)", refused.header.Get("Retry-After"))
	}
	if got, _ := refused.err.Extensions["retryAfterSeconds"].(float64); int(got) != retry {
		t.Fatalf("extensions.retryAfterSeconds = %v, Retry-After = %d", refused.err.Extensions["retryAfterSeconds"], retry)
	}
	if refused.err.Extensions["requestId"] == "" || refused.header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("refusal lacks request id or remaining: %s %v", refused.body, refused.header)
	}

	// Another address, and an address in the same IPv6 /64, are other buckets / the same bucket.
	if n, _ := burst(t, url, 1, map[string]string{"X-Forwarded-For": "203.0.113.8"}); n != 1 {
		t.Fatal("another client address must have its own bucket")
	}
	if n, _ := burst(t, url, 4, map[string]string{"X-Forwarded-For": "2001:db8:1:2::1"}); n != 3 {
		t.Fatalf("IPv6 client got %d through, want 3", n)
	}
	if n, _ := burst(t, url, 1, map[string]string{"X-Forwarded-For": "2001:db8:1:2::ffff"}); n != 0 {
		t.Fatal("an address in the same /64 must share the bucket")
	}

	// An authenticated caller is limited by principal, whatever its address.
	if n, _ := burst(t, url, 10, map[string]string{"X-Test-User": "ana", "X-Forwarded-For": "203.0.113.7"}); n != 5 {
		t.Fatalf("guest got %d through, want its burst of 5", n)
	}
	if n, _ := burst(t, url, 1, map[string]string{"X-Test-User": "ana", "X-Forwarded-For": "198.51.100.1"}); n != 0 {
		t.Fatal("a principal must not escape its limit by changing address")
	}
	if n, _ := burst(t, url, 1, map[string]string{"X-Test-User": "bob"}); n != 1 {
		t.Fatal("another principal must have its own bucket")
	}
}

func TestRateLimitInMemory(t *testing.T) {
	t.Parallel()
	checkLimits(t, limitedServer(t, server.NewMemoryLimiter()))
}

// requireRedis makes the Redis tests fail instead of skipping when no Redis
// answers (CI sets it).
const requireRedis = "STAYGRAPH_REQUIRE_REDIS"

// redisClient connects to the Redis of the development machine, or skips.
func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() { client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		if os.Getenv(requireRedis) != "" {
			t.Fatalf("redis at 127.0.0.1:6379 unreachable and %s is set: %v", requireRedis, err)
		}
		t.Skipf("redis at 127.0.0.1:6379 unreachable: %v", err)
	}
	return client
}

func TestRateLimitInRedis(t *testing.T) {
	t.Parallel()
	client := redisClient(t)
	prefix := "staygraph-test:" + uuid.NewString() + ":"
	t.Cleanup(func() {
		keys, _ := client.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			client.Del(context.Background(), keys...)
		}
	})
	checkLimits(t, limitedServer(t, server.NewRedisLimiter(client, server.RedisLimiterOpts{Prefix: prefix})))

	// Two API servers on one Redis share a caller's bucket.
	a := limitedServer(t, server.NewRedisLimiter(client, server.RedisLimiterOpts{Prefix: prefix + "shared:"}))
	b := limitedServer(t, server.NewRedisLimiter(client, server.RedisLimiterOpts{Prefix: prefix + "shared:"}))
	carol := map[string]string{"X-Test-User": "carol"}
	if n, _ := burst(t, a, 3, carol); n != 3 {
		t.Fatalf("server A let %d through", n)
	}
	if n, _ := burst(t, b, 5, carol); n != 2 {
		t.Fatalf("server B let %d through, want the 2 left of the shared burst of 5", n)
	}

	// Keys name no client: they are hashes.
	keys, err := client.Keys(context.Background(), prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	for _, k := range keys {
		if ttl := client.PTTL(context.Background(), k).Val(); ttl <= 0 {
			t.Errorf("key %s has no expiry", k)
		}
		for _, leak := range []string{"carol", "203.0.113", "guest", "GUEST"} {
			if strings.Contains(k, leak) {
				t.Errorf("key %s names its caller", k)
			}
		}
	}
}

func TestRedisLimiterFallsBackWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { client.Close() })
	url := limitedServer(t, server.NewRedisLimiter(client, server.RedisLimiterOpts{}))
	if n, refused := burst(t, url, 10, map[string]string{"X-Test-User": "dan"}); n != 5 || refused.code() != server.CodeRateLimited {
		t.Fatalf("with Redis down the limit must still hold per server: %d through", n)
	}
}

func TestMemoryLimiterRefills(t *testing.T) {
	t.Parallel()
	now := time.Now()
	l := server.NewMemoryLimiterAt(func() time.Time { return now })
	rule := server.Rule{Rate: 1000, Burst: 2}
	ctx := context.Background()
	for i := range 2 {
		if d, _ := l.Take(ctx, "k", rule); !d.Allowed {
			t.Fatalf("take %d refused", i)
		}
	}
	d, _ := l.Take(ctx, "k", rule)
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > time.Millisecond {
		t.Fatalf("third take: %+v, want refused for at most 1ms", d)
	}
	now = now.Add(d.RetryAfter)
	if d, _ := l.Take(ctx, "k", rule); !d.Allowed {
		t.Fatal("the bucket must refill")
	}
}

func TestParseRules(t *testing.T) {
	t.Parallel()
	rs, err := server.ParseRules("anonymous=5/10, partner=200, admin=off")
	if err != nil {
		t.Fatal(err)
	}
	if rs.Anonymous != (server.Rule{Rate: 5, Burst: 10}) || rs.Default != server.DefaultRules.Default {
		t.Errorf("anonymous %v default %v", rs.Anonymous, rs.Default)
	}
	if got := rs.For(&auth.Principal{Role: auth.RolePartner}); got != (server.Rule{Rate: 200, Burst: 400}) {
		t.Errorf("partner %v", got)
	}
	if !rs.For(&auth.Principal{Role: auth.RoleAdmin}).Unlimited() || rs.For(&auth.Principal{Role: auth.RoleGuest}) != server.DefaultRules.Default {
		t.Errorf("admin %v guest %v", rs.For(&auth.Principal{Role: auth.RoleAdmin}), rs.For(&auth.Principal{Role: auth.RoleGuest}))
	}
	off, err := server.ParseRules("off")
	if err != nil || !off.For(nil).Unlimited() || !off.For(&auth.Principal{Role: auth.RoleGuest}).Unlimited() {
		t.Errorf("off: %+v %v", off, err)
	}
	for _, bad := range []string{"anonymous", "robot=1/2", "guest=-1", "guest=1/0", "guest=fast", "guest=NaN"} {
		if _, err := server.ParseRules(bad); err == nil {
			t.Errorf("ParseRules(%q) accepted", bad)
		}
	}
}

// Bad credentials cost their address: once its bucket is empty, requests
// with credentials from it are refused before they are checked again,
// except those with a credential that authenticated a request lately.
func TestBadCredentialsAreLimitedByAddress(t *testing.T) {
	t.Parallel()
	var checked atomic.Int32
	authn := auth.NewAuthenticator(auth.JWTConfig{HS256Secret: []byte("a-secret-for-this-test")}, nil)
	counting := func(next http.Handler) http.Handler {
		inner := server.Authenticate(authn)(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			checked.Add(1)
			inner.ServeHTTP(w, r)
		})
	}
	rules := server.Rules{Anonymous: server.Rule{Rate: 1.0 / 60, Burst: 3}, Default: server.Rule{Rate: 1.0 / 60, Burst: 5}}
	opts := server.RateLimitOpts{Rules: &rules, ClientIP: server.ClientIP("X-Forwarded-For")}
	url := serve(t, server.Chain(okHandler, server.RequestIDs, server.AuthFailureLimit(opts), counting)).URL
	bad := map[string]string{"X-Forwarded-For": "203.0.113.9", "Authorization": "Bearer not-a-token"}
	mint := func(subject string) map[string]string {
		tok, err := auth.Mint([]byte("a-secret-for-this-test"), auth.MintOpts{Role: auth.RoleGuest, Subject: subject, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"X-Forwarded-For": "203.0.113.9", "Authorization": "Bearer " + tok}
	}
	// A worker of the same client, behind the same address, with a good token.
	known := mint("fleet-worker-1")
	if a := do(t, newRequest(t, http.MethodPost, url, []byte(`{}`), known)); a.status != http.StatusOK {
		t.Fatalf("good token: %d %s", a.status, a.body)
	}
	for i := range 3 {
		if a := do(t, newRequest(t, http.MethodPost, url, []byte(`{"query":"{ viewer { role } }"}`), bad)); a.status != http.StatusUnauthorized {
			t.Fatalf("bad token %d: %d %s, want 401", i, a.status, a.body)
		}
	}
	// The fourth empties the bucket; from then on the address waits.
	do(t, newRequest(t, http.MethodPost, url, []byte(`{}`), bad))
	before := checked.Load()
	a := do(t, newRequest(t, http.MethodPost, url, []byte(`{}`), bad))
	if a.status != http.StatusTooManyRequests || a.code() != server.CodeRateLimited || a.header.Get("Retry-After") == "" {
		t.Fatalf("bad token after the bucket emptied: %d %s", a.status, a.body)
	}
	if checked.Load() != before {
		t.Fatal("a refused address's credentials were checked anyway")
	}
	// The good token checked before goes on, however its header is spelled
	// (one credential, one fingerprint); one never seen pays like any.
	if a := do(t, newRequest(t, http.MethodPost, url, []byte(`{}`), known)); a.status != http.StatusOK {
		t.Fatalf("a token that authenticated before, from the suspect address: %d %s, want 200", a.status, a.body)
	}
	respelled := map[string]string{"X-Forwarded-For": known["X-Forwarded-For"],
		"Authorization": "bearer    " + strings.TrimPrefix(known["Authorization"], "Bearer ") + "  "}
	if a := do(t, newRequest(t, http.MethodPost, url, []byte(`{}`), respelled)); a.status != http.StatusOK {
		t.Fatalf("the same good token spelled otherwise: %d %s, want 200", a.status, a.body)
	}
	if a := do(t, newRequest(t, http.MethodPost, url, []byte(`{}`), mint("fleet-worker-2"))); a.status != http.StatusTooManyRequests {
		t.Fatalf("a token never seen, from the suspect address with an empty bucket: %d %s, want 429", a.status, a.body)
	}
	// Anonymous requests from the address and bad tokens from another one
	// are not held back.
	if a := do(t, newRequest(t, http.MethodPost, url, []byte(`{}`), map[string]string{"X-Forwarded-For": "203.0.113.9"})); a.status != http.StatusOK {
		t.Fatalf("anonymous request from the address: %d %s", a.status, a.body)
	}
	other := map[string]string{"X-Forwarded-For": "198.51.100.9", "Authorization": "Bearer not-a-token"}
	if a := do(t, newRequest(t, http.MethodPost, url, []byte(`{}`), other)); a.status != http.StatusUnauthorized {
		t.Fatalf("bad token from another address: %d, want 401", a.status)
	}
	// That address is now suspect: of 20 more sent at once, only as many as
	// its bucket still holds (2) are checked.
	before = checked.Load()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { do(t, newRequest(t, http.MethodPost, url, []byte(`{}`), other)) })
	}
	wg.Wait()
	if n := checked.Load() - before; n > 2 {
		t.Fatalf("a suspect address sending 20 at once had %d checked, want at most the 2 tokens its bucket held", n)
	}
}
