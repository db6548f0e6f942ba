package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/staygraph/staygraph/internal/auth"
)

// suspectFor is how long an address stays suspect after a bad credential.
const suspectFor = time.Minute

// maxSuspectAddresses bounds the addresses AuthFailureLimit remembers; past
// it, a new one is only charged after its checks fail.
const maxSuspectAddresses = 100_000

// AuthFailureLimit makes bad credentials cost their client address, under
// the anonymous rule. A request refused with 401 by the authentication
// inside it takes a token from the address's bucket and makes the address
// suspect for a minute. While it is suspect, every request from it that
// carries credentials takes its token *before* they are checked (a database
// lookup or a signature check each), and gets 429 when the bucket is empty:
// so, after the first failures, the checks an address can cause are bounded
// by the anonymous rate, however many requests it sends at once. Addresses
// without failures are not charged, and neither are requests without
// credentials. A suspect address's good credentials pay too (clients behind
// one address share its fate for that minute). Suspects are kept per API
// server; the buckets live in the shared limiter.
func AuthFailureLimit(opts RateLimitOpts) func(http.Handler) http.Handler {
	opts = opts.withDefaults()
	rule := DefaultRules.Anonymous
	if opts.Rules != nil {
		rule = opts.Rules.Anonymous
	}
	var (
		mu      sync.Mutex
		suspect = map[string]time.Time{} // address → suspect until
	)
	isSuspect := func(key string, now time.Time) bool {
		mu.Lock()
		defer mu.Unlock()
		until, ok := suspect[key]
		if ok && !now.Before(until) {
			delete(suspect, key)
		}
		return ok && now.Before(until)
	}
	markSuspect := func(key string, now time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := suspect[key]; !ok && len(suspect) >= maxSuspectAddresses {
			for k, until := range suspect {
				if !now.Before(until) {
					delete(suspect, k)
				}
			}
			if len(suspect) >= maxSuspectAddresses {
				return
			}
		}
		suspect[key] = now.Add(suspectFor)
	}
	take := func(r *http.Request, key string) (Decision, bool) {
		d, err := opts.Limiter.Take(r.Context(), key, rule)
		if err != nil {
			opts.Logger.ErrorContext(r.Context(), "rate limiter failed; credentials checked anyway", "err", err)
			return Decision{Allowed: true}, false
		}
		return d, true
	}
	return func(next http.Handler) http.Handler {
		if rule.Unlimited() {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" && r.Header.Get(auth.APIKeyHeader) == "" {
				next.ServeHTTP(w, r) // no credentials to check
				return
			}
			key := "authfail:" + clientKey(opts.ClientIP(r))
			charged := false
			if isSuspect(key, time.Now()) {
				d, ok := take(r, key)
				if !d.Allowed {
					writeRateLimited(w, r, d.RetryAfter)
					return
				}
				charged = ok
			}
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			if rec.status != http.StatusUnauthorized {
				return
			}
			markSuspect(key, time.Now())
			if !charged {
				take(r, key)
			}
		})
	}
}
