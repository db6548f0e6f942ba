package server

import (
	"context"
	"crypto/sha256"
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

// authenticatedKey is the context key under which AuthFailureLimit passes
// Authenticate a flag to set when the request's credential authenticated.
type authenticatedKey struct{}

// goodFor is how long a credential that authenticated a request is let
// through a suspect address without paying, and maxGoodCredentials how many
// such credentials AuthFailureLimit remembers (past it, a new one pays like
// an unknown one until some expire).
const (
	goodFor            = 10 * time.Minute
	maxGoodCredentials = 100_000
)

// AuthFailureLimit makes bad credentials cost their client address, under
// the anonymous rule. A request refused with 401 by the authentication
// inside it takes a token from the address's bucket and makes the address
// suspect for a minute. While it is suspect, every request from it that
// carries credentials takes its token *before* they are checked (a database
// lookup or a signature check each), and gets 429 when the bucket is empty:
// so, after the first failures, the checks an address can cause are bounded
// by the anonymous rate, however many requests it sends at once. Addresses
// without failures are not charged, and neither are requests without
// credentials. A credential that authenticated a request in the last
// goodFor does not pay either: a partner's fleet behind one address goes on
// while a stale worker of it sends a revoked key (the fingerprints of good
// credentials are kept per API server, a SHA-256 each, never the
// credential; one refused with 401 is forgotten at once). Suspects are kept
// per API server; the buckets live in the shared limiter.
func AuthFailureLimit(opts RateLimitOpts) func(http.Handler) http.Handler {
	opts = opts.withDefaults()
	rule := DefaultRules.Anonymous
	if opts.Rules != nil {
		rule = opts.Rules.Anonymous
	}
	var (
		mu      sync.Mutex
		suspect = map[string]time.Time{}   // address → suspect until
		good    = map[[32]byte]time.Time{} // credential fingerprint → good until
	)
	fingerprint := func(r *http.Request) [32]byte {
		return sha256.Sum256([]byte(r.Header.Get("Authorization") + "\x00" + r.Header.Get(auth.APIKeyHeader)))
	}
	isGood := func(fp [32]byte, now time.Time) bool {
		mu.Lock()
		defer mu.Unlock()
		until, ok := good[fp]
		return ok && now.Before(until)
	}
	setGood := func(fp [32]byte, ok bool, now time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if !ok {
			delete(good, fp)
			return
		}
		if _, known := good[fp]; !known && len(good) >= maxGoodCredentials {
			for k, until := range good {
				if !now.Before(until) {
					delete(good, k)
				}
			}
			if len(good) >= maxGoodCredentials {
				return
			}
		}
		good[fp] = now.Add(goodFor)
	}
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
			fp := fingerprint(r)
			charged := false
			if isSuspect(key, time.Now()) && !isGood(fp, time.Now()) {
				d, ok := take(r, key)
				if !d.Allowed {
					writeRateLimited(w, r, d.RetryAfter)
					return
				}
				charged = ok
			}
			var authenticated bool // set by Authenticate inside
			r = r.WithContext(context.WithValue(r.Context(), authenticatedKey{}, &authenticated))
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			refused := rec.status == http.StatusUnauthorized
			if authenticated || refused {
				// Only a credential checked and found good is let through
				// later, not one a request refused before its check carried.
				setGood(fp, authenticated && !refused, time.Now())
			}
			if !refused {
				return
			}
			markSuspect(key, time.Now())
			if !charged {
				take(r, key)
			}
		})
	}
}
