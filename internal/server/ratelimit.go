package server

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/auth"
)

// Rule is a token bucket: Burst requests may come at once, and the bucket
// refills at Rate requests per second.
type Rule struct {
	// Rate is the sustained requests per second; 0 or less: no limit.
	Rate float64
	// Burst is how many requests a full bucket allows at once (at least 1).
	Burst int
}

// Unlimited reports whether r lets every request through.
func (r Rule) Unlimited() bool { return r.Rate <= 0 }

// burst is r.Burst, at least 1.
func (r Rule) burst() float64 { return math.Max(1, float64(r.Burst)) }

func (r Rule) String() string {
	if r.Unlimited() {
		return "off"
	}
	return strconv.FormatFloat(r.Rate, 'f', -1, 64) + "/" + strconv.Itoa(r.Burst)
}

// Rules are the rate limits of each kind of caller.
type Rules struct {
	// Anonymous applies to callers without credentials, per client address.
	Anonymous Rule
	// Default applies to authenticated principals whose role has no rule.
	Default Rule
	// ByRole overrides Default for some roles.
	ByRole map[auth.Role]Rule
}

// DefaultRules are the limits when nothing is configured: anonymous clients
// 10 requests per second with bursts of 20, everyone else 50 with bursts of
// 100.
var DefaultRules = Rules{Anonymous: Rule{Rate: 10, Burst: 20}, Default: Rule{Rate: 50, Burst: 100}}

// For returns the rule of principal p (nil: anonymous).
func (rs Rules) For(p *auth.Principal) Rule {
	if p == nil {
		return rs.Anonymous
	}
	if r, ok := rs.ByRole[p.Role]; ok {
		return r
	}
	return rs.Default
}

// ParseRules reads rate limits written as comma-separated "who=rate/burst"
// entries on top of DefaultRules. who is anonymous, default (every
// authenticated role without its own entry) or a role (admin, staff, guest,
// partner); rate is requests per second; burst defaults to twice the rate;
// "off" instead of rate/burst lifts the limit. The whole string "off" lifts
// every limit. Example: "anonymous=5/10,partner=200/400,admin=off".
func ParseRules(s string) (Rules, error) {
	rs := Rules{Anonymous: DefaultRules.Anonymous, Default: DefaultRules.Default, ByRole: map[auth.Role]Rule{}}
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return Rules{ByRole: map[auth.Role]Rule{}}, nil
	}
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		who, spec, ok := strings.Cut(entry, "=")
		if !ok {
			return Rules{}, fmt.Errorf("rate limit %q: want who=rate/burst", entry)
		}
		rule, err := parseRule(strings.TrimSpace(spec))
		if err != nil {
			return Rules{}, fmt.Errorf("rate limit %q: %w", entry, err)
		}
		switch who = strings.ToUpper(strings.TrimSpace(who)); who {
		case "ANONYMOUS":
			rs.Anonymous = rule
		case "DEFAULT":
			rs.Default = rule
		case string(auth.RoleAdmin), string(auth.RoleStaff), string(auth.RoleGuest), string(auth.RolePartner):
			rs.ByRole[auth.Role(who)] = rule
		default:
			return Rules{}, fmt.Errorf("rate limit %q: unknown caller %q (anonymous, default, admin, staff, guest, partner)", entry, who)
		}
	}
	return rs, nil
}

func parseRule(spec string) (Rule, error) {
	if strings.EqualFold(spec, "off") {
		return Rule{}, nil
	}
	rateText, burstText, hasBurst := strings.Cut(spec, "/")
	rate, err := strconv.ParseFloat(rateText, 64)
	if err != nil || rate <= 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
		return Rule{}, fmt.Errorf("rate %q is not a positive number (or off)", rateText)
	}
	burst := int(math.Ceil(2 * rate))
	if hasBurst {
		if burst, err = strconv.Atoi(burstText); err != nil || burst < 1 {
			return Rule{}, fmt.Errorf("burst %q is not a positive whole number", burstText)
		}
	}
	return Rule{Rate: rate, Burst: burst}, nil
}

// Decision is what a Limiter decided about one request.
type Decision struct {
	// Allowed is true when the request may proceed.
	Allowed bool
	// Remaining is how many more requests the bucket allows right now.
	Remaining int
	// RetryAfter is how long a refused caller should wait.
	RetryAfter time.Duration
}

// Limiter takes one token from the bucket named key, which follows rule.
// Implementations are safe for concurrent use.
type Limiter interface {
	Take(ctx context.Context, key string, rule Rule) (Decision, error)
}

// refill is the token bucket arithmetic shared by every Limiter: a bucket
// that held tokens elapsed ago takes one token if it can. It returns the
// tokens left and the decision.
func refill(tokens float64, elapsed time.Duration, rule Rule) (float64, Decision) {
	burst := rule.burst()
	if elapsed > 0 {
		tokens = math.Min(burst, tokens+elapsed.Seconds()*rule.Rate)
	}
	if tokens >= 1 {
		tokens--
		return tokens, Decision{Allowed: true, Remaining: int(tokens)}
	}
	wait := time.Duration((1 - tokens) / rule.Rate * float64(time.Second))
	return tokens, Decision{RetryAfter: wait}
}

// RateLimitOpts configures RateLimit.
type RateLimitOpts struct {
	// Limiter keeps the buckets. Default: a MemoryLimiter.
	Limiter Limiter
	// Rules are the limits. Default: DefaultRules.
	Rules *Rules
	// ClientIP finds an anonymous client's address. Default ClientIP("").
	ClientIP func(*http.Request) netip.Addr
	// Logger receives limiter failures. Default slog.Default().
	Logger *slog.Logger
}

func (o RateLimitOpts) withDefaults() RateLimitOpts {
	if o.Limiter == nil {
		o.Limiter = NewMemoryLimiter()
	}
	if o.ClientIP == nil {
		o.ClientIP = ClientIP("")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// RateLimit limits each caller to its rule: authenticated principals by
// their API key or role and subject (so it must run after authentication),
// anonymous callers by client address. A caller over its limit gets 429
// with a Retry-After header and a GraphQL error RATE_LIMITED whose
// extensions.retryAfterSeconds says the same. Every answer carries
// X-RateLimit-Limit (the burst) and X-RateLimit-Remaining. When the limiter
// fails, the request goes through (and the failure is logged): an outage of
// the limiter's store must not take the API down.
func RateLimit(opts RateLimitOpts) func(http.Handler) http.Handler {
	opts = opts.withDefaults()
	rules := DefaultRules
	if opts.Rules != nil {
		rules = *opts.Rules
	}
	// take takes a token of the bucket of p (of addr when anonymous);
	// unlimited when p's rule has no limit.
	take := func(ctx context.Context, p *auth.Principal, addr netip.Addr) (rule Rule, d Decision, unlimited bool, err error) {
		rule = rules.For(p)
		if rule.Unlimited() {
			return rule, Decision{Allowed: true}, true, nil
		}
		key := PrincipalKey(p)
		if key == "" {
			key = clientKey(addr)
		}
		d, err = opts.Limiter.Take(ctx, key, rule)
		return rule, d, false, err
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			addr := opts.ClientIP(r)
			rule, d, unlimited, err := take(r.Context(), auth.FromContext(r.Context()), addr)
			if !unlimited || WebSocketHandshake(r) {
				// What an operation sent later on this request's socket (by
				// the caller its connection_init names), or a part of the
				// request that costs more than the request, costs: a token
				// of its caller's bucket then (see Charge).
				r = r.WithContext(context.WithValue(r.Context(), chargeKey{}, func(ctx context.Context) error {
					_, d, _, err := take(ctx, auth.FromContext(ctx), addr)
					if err != nil {
						opts.Logger.ErrorContext(ctx, "rate limiter failed; operation let through", "err", err)
						return nil
					}
					if !d.Allowed {
						return &RateLimitedError{RetryAfter: d.RetryAfter}
					}
					return nil
				}))
			}
			if unlimited {
				next.ServeHTTP(w, r)
				return
			}
			if err != nil {
				opts.Logger.ErrorContext(r.Context(), "rate limiter failed; request let through", "err", err)
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("X-RateLimit-Limit", strconv.Itoa(int(rule.burst())))
			w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(d.Remaining, 0)))
			if !d.Allowed {
				writeRateLimited(w, r, d.RetryAfter)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// chargeKey holds, in a request's context, what Charge calls.
type chargeKey struct{}

// Charge takes a token of the bucket of ctx's caller (as RateLimit takes one
// per request) for an operation that comes without a request of its own
// (one sent on a socket opened earlier), or for a part of a request that
// costs more than the request (each guess of a booking's reference). A
// caller over its limit gets a *RateLimitedError. Contexts not derived from
// a request RateLimit served are not limited.
func Charge(ctx context.Context) error {
	charge, _ := ctx.Value(chargeKey{}).(func(context.Context) error)
	if charge == nil {
		return nil
	}
	return charge(ctx)
}

// RateLimitedError is a caller over its rate limit.
type RateLimitedError struct {
	RetryAfter time.Duration
}

// RetryAfterSeconds is when to try again, in whole seconds (at least 1).
func (e *RateLimitedError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(e.RetryAfter.Seconds())))
}

func (e *RateLimitedError) Error() string {
	secs := e.RetryAfterSeconds()
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	return fmt.Sprintf("too many requests: retry in %d %s", secs, unit)
}

// writeRateLimited answers 429 with a Retry-After header and a GraphQL error
// RATE_LIMITED whose extensions.retryAfterSeconds says the same.
func writeRateLimited(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	e := &RateLimitedError{RetryAfter: wait}
	secs := e.RetryAfterSeconds()
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	WriteError(w, r, http.StatusTooManyRequests, CodeRateLimited, e.Error(), map[string]any{"retryAfterSeconds": secs})
}

// PrincipalKey names an authenticated caller, as its rate-limit bucket
// does: its API key, or its role and subject. "" for the anonymous caller.
func PrincipalKey(p *auth.Principal) string {
	switch {
	case p == nil:
		return ""
	case p.APIKeyID != uuid.Nil:
		return auth.APIKeySubject(p.APIKeyID)
	default:
		return "principal:" + p.Name()
	}
}
