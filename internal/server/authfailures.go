package server

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
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

// fullSweepEvery is how often a full expiringSet looks for expired keys to
// make room: a burst of new keys against a full set costs one sweep, not
// one each.
const fullSweepEvery = 10 * time.Second

// expiringSet is a bounded set of keys, each valid until an instant, safe
// for concurrent use. When it is full a new key is not kept.
type expiringSet[K comparable] struct {
	mu        sync.Mutex
	until     map[K]time.Time
	max       int
	nextSweep time.Time
}

func newExpiringSet[K comparable](max int) *expiringSet[K] {
	return &expiringSet[K]{until: map[K]time.Time{}, max: max}
}

// has reports whether k is in the set at now.
func (e *expiringSet[K]) has(k K, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	until, ok := e.until[k]
	if ok && !now.Before(until) {
		delete(e.until, k)
		return false
	}
	return ok
}

// put keeps k until until, unless the set is full of keys still valid.
func (e *expiringSet[K]) put(k K, until, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, known := e.until[k]; !known && len(e.until) >= e.max {
		if now.Before(e.nextSweep) {
			return
		}
		e.nextSweep = now.Add(fullSweepEvery)
		for key, u := range e.until {
			if !now.Before(u) {
				delete(e.until, key)
			}
		}
		if len(e.until) >= e.max {
			return
		}
	}
	e.until[k] = until
}

// drop forgets k.
func (e *expiringSet[K]) drop(k K) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.until, k)
}

// Credential is the one credential of headers h as Authenticate reads it —
// the X-API-Key value or the Bearer token, trimmed, whatever the spacing and
// the scheme's case — so that one credential has one fingerprint; "" when h
// does not carry exactly one that Authenticate would check.
func Credential(h http.Header) string {
	keys, authz := h.Values(auth.APIKeyHeader), h.Values("Authorization")
	switch {
	case len(keys) == 1 && len(authz) == 0:
		return strings.TrimSpace(keys[0])
	case len(authz) == 1 && len(keys) == 0:
		if tok, err := auth.BearerToken(authz[0]); err == nil {
			return tok
		}
	}
	return ""
}

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
// while a stale worker of it sends a revoked key. Only a credential
// Authenticate checked and found good is remembered (a SHA-256 of it as
// Authenticate reads it, never the credential), and one refused with 401 is
// forgotten at once. Suspects and good credentials are kept per API server;
// the buckets live in the shared limiter.
//
// A WebSocket handshake carries its CredentialGate in its context, for the
// credential checked later on its connection: a socket's connection_init
// pays and counts as a request does, whatever its upgrade request carried.
func AuthFailureLimit(opts RateLimitOpts) func(http.Handler) http.Handler {
	opts = opts.withDefaults()
	rule := DefaultRules.Anonymous
	if opts.Rules != nil {
		rule = opts.Rules.Anonymous
	}
	limit := &authFailures{opts: opts, rule: rule,
		suspect: newExpiringSet[string](maxSuspectAddresses),  // address
		good:    newExpiringSet[[32]byte](maxGoodCredentials), // credential fingerprint
	}
	return func(next http.Handler) http.Handler {
		if rule.Unlimited() {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			carries := r.Header.Get("Authorization") != "" || r.Header.Get(auth.APIKeyHeader) != ""
			handshake := WebSocketHandshake(r)
			if !carries && !handshake {
				next.ServeHTTP(w, r) // no credentials to check
				return
			}
			gate := &CredentialGate{limit: limit, ctx: r.Context(), key: "authfail:" + clientKey(opts.ClientIP(r))}
			if handshake {
				r = r.WithContext(context.WithValue(r.Context(), credentialGateKey{}, gate))
			}
			if !carries {
				next.ServeHTTP(w, r) // a socket's credential comes in its connection_init
				return
			}
			cred := Credential(r.Header)
			checked, wait, ok := gate.Admit(cred)
			if !ok {
				writeRateLimited(w, r, wait)
				return
			}
			var authenticated bool // set by Authenticate inside
			r = r.WithContext(context.WithValue(r.Context(), authenticatedKey{}, &authenticated))
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			switch {
			case rec.status == http.StatusUnauthorized:
				checked(false)
			case authenticated && cred != "":
				// Only a credential checked and found good is let through
				// later, not one a request refused before its check carried.
				checked(true)
			}
		})
	}
}

// authFailures is what AuthFailureLimit keeps: the suspect addresses and
// the credentials recently found good.
type authFailures struct {
	opts    RateLimitOpts
	rule    Rule
	suspect *expiringSet[string]
	good    *expiringSet[[32]byte]
}

// take takes a token from the bucket of key; ok is false when the limiter
// failed (the credential is then checked anyway).
func (l *authFailures) take(ctx context.Context, key string) (d Decision, ok bool) {
	d, err := l.opts.Limiter.Take(ctx, key, l.rule)
	if err != nil {
		l.opts.Logger.ErrorContext(ctx, "rate limiter failed; credentials checked anyway", "err", err)
		return Decision{Allowed: true}, false
	}
	return d, true
}

// credentialGateKey is the context key of a request's CredentialGate.
type credentialGateKey struct{}

// CredentialGate charges one request's client address for checking
// credentials, as AuthFailureLimit does for the credentials of a request's
// headers, and for those checked later on its connection (a socket's
// connection_init): Admit before each check, then the function it returns
// with the outcome.
type CredentialGate struct {
	limit *authFailures
	ctx   context.Context
	key   string // the address's bucket
}

// CredentialGateOf is the gate of the WebSocket handshake whose context ctx
// derives from; nil for other requests, and without AuthFailureLimit (or
// with an unlimited anonymous rule).
func CredentialGateOf(ctx context.Context) *CredentialGate {
	g, _ := ctx.Value(credentialGateKey{}).(*CredentialGate)
	return g
}

// Admit is called before cred is checked. While the address is suspect
// and cred did not authenticate lately, it takes a token from the
// address's bucket: not ok, with how long to wait, when it is empty (cred
// must not be checked then). Otherwise checked is to be called with the
// outcome of the check: a good credential is let through a suspect address
// for goodFor; a refused one is forgotten, makes the address suspect for
// suspectFor and takes a token (unless Admit took one).
func (g *CredentialGate) Admit(cred string) (checked func(good bool), retryAfter time.Duration, ok bool) {
	fp := sha256.Sum256([]byte(cred))
	now := time.Now()
	charged := false
	if g.limit.suspect.has(g.key, now) && (cred == "" || !g.limit.good.has(fp, now)) {
		d, took := g.limit.take(g.ctx, g.key)
		if !d.Allowed {
			return nil, d.RetryAfter, false
		}
		charged = took
	}
	return func(good bool) {
		now := time.Now()
		if good {
			if cred != "" {
				g.limit.good.put(fp, now.Add(goodFor), now)
			}
			return
		}
		g.limit.good.drop(fp)
		g.limit.suspect.put(g.key, now.Add(suspectFor), now)
		if !charged {
			g.limit.take(g.ctx, g.key)
		}
	}, 0, true
}
