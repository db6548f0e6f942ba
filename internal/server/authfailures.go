package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/staygraph/staygraph/internal/auth"
)

// maxBlockedAddresses bounds the addresses AuthFailureLimit refuses at once;
// beyond it, further ones are only limited by their bucket.
const maxBlockedAddresses = 100_000

// AuthFailureLimit makes bad credentials cost their client address: every
// request refused with 401 by the authentication inside it takes a token
// from the address's bucket, under the anonymous rule. An address that has
// emptied its bucket so gets 429 for requests carrying credentials, before
// they are checked (a database lookup or a signature check each), until the
// bucket would allow one more; good credentials take nothing from it. A
// request is counted once its check failed, so the requests of a burst sent
// all at once are all checked; what comes after waits. Who is refused is
// kept per API server (the bucket itself lives in the shared limiter).
func AuthFailureLimit(opts RateLimitOpts) func(http.Handler) http.Handler {
	opts = opts.withDefaults()
	rule := DefaultRules.Anonymous
	if opts.Rules != nil {
		rule = opts.Rules.Anonymous
	}
	var (
		mu      sync.Mutex
		blocked = map[string]time.Time{} // address → refused until
	)
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
			now := time.Now()
			mu.Lock()
			until, ok := blocked[key]
			if ok && !now.Before(until) {
				delete(blocked, key)
			}
			mu.Unlock()
			if now.Before(until) {
				writeRateLimited(w, r, until.Sub(now))
				return
			}
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			if rec.status != http.StatusUnauthorized {
				return
			}
			d, err := opts.Limiter.Take(r.Context(), key, rule)
			if err != nil {
				opts.Logger.ErrorContext(r.Context(), "rate limiter failed; bad credentials not counted", "err", err)
				return
			}
			if !d.Allowed {
				now := time.Now()
				mu.Lock()
				if len(blocked) >= maxBlockedAddresses {
					for k, until := range blocked {
						if !now.Before(until) {
							delete(blocked, k)
						}
					}
				}
				if len(blocked) < maxBlockedAddresses {
					blocked[key] = now.Add(d.RetryAfter)
				}
				mu.Unlock()
			}
		})
	}
}
