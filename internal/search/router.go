package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
)

// Unavailable is the error code when the configured engine cannot answer
// and falling back is switched off.
const Unavailable apperr.Code = "SEARCH_UNAVAILABLE"

// RouterOpts configures a Router.
type RouterOpts struct {
	// Primary answers searches; Fallback (the PostgreSQL engine) answers
	// when Primary fails or is too slow. Either may be the same engine.
	Primary, Fallback Engine
	// Timeout bounds one search on Primary. Default 500ms.
	Timeout time.Duration
	// NoFallback returns SEARCH_UNAVAILABLE instead of falling back.
	NoFallback bool
	// Cooldown is how long Primary is skipped after it failed, so a down
	// engine costs nothing per request. Default 10s.
	Cooldown time.Duration
	// Now is the clock of queries that bring none (each hotel's "today",
	// its business date). Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Router validates queries and sends them to the configured engine, falling
// back to PostgreSQL within a bounded time when that engine is unreachable.
type Router struct {
	opts     RouterOpts
	mu       sync.Mutex
	downTill time.Time
}

// NewRouter returns a router over opts.
func NewRouter(opts RouterOpts) *Router {
	if opts.Timeout == 0 {
		opts.Timeout = 500 * time.Millisecond
	}
	if opts.Cooldown == 0 {
		opts.Cooldown = 10 * time.Second
	}
	if opts.Fallback == nil {
		opts.Fallback = opts.Primary
	}
	if opts.Primary == nil {
		opts.Primary = opts.Fallback
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Router{opts: opts}
}

// Search normalizes q and answers it. Result.Engine names who answered.
func (r *Router) Search(ctx context.Context, q Query) (Result, error) {
	// Anyone may search; a partner, with an API key whose scopes allow it.
	if p := auth.FromContext(ctx); p != nil && p.Role == auth.RolePartner && !p.HasScope(auth.ScopeSearch) {
		return Result{}, apperr.New(apperr.Forbidden, `this API key's scopes do not include "search"`)
	}
	if q.Now.IsZero() {
		q.Now = r.opts.Now()
	}
	if err := q.Normalize(); err != nil {
		return Result{}, err
	}
	primary, fallback := r.opts.Primary, r.opts.Fallback
	if primary == fallback {
		return primary.Search(ctx, q)
	}
	// A next page goes to the engine that made its cursor: the engines'
	// sort keys differ, so another would repeat or skip hits.
	cursor, err := ParseCursor(q.After, q.Sort)
	if err != nil {
		return Result{}, err
	}
	if cursor != nil && cursor.Engine == fallback.Name() {
		return fallback.Search(ctx, q)
	}
	if !answers(primary, q) && !r.opts.NoFallback {
		return fallback.Search(ctx, q)
	}
	if r.healthy() {
		pctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
		res, err := primary.Search(pctx, q)
		timedOut := pctx.Err() != nil
		cancel()
		if err == nil {
			return res, nil
		}
		if _, expected := apperr.As(err); expected || ctx.Err() != nil {
			return Result{}, err // the query's fault, or the caller gave up
		}
		// Only an engine that cannot answer is left alone for a while; a
		// request it refused is this request's problem alone.
		if errors.Is(err, ErrUnavailable) || timedOut {
			r.markDown()
		}
		r.opts.Logger.WarnContext(ctx, "search engine failed", "engine", primary.Name(), "err", err)
	}
	if r.opts.NoFallback {
		// before the cursor's engine: retrying the same page later works
		return Result{}, apperr.New(Unavailable, fmt.Sprintf("the %s search engine is unavailable; try again shortly", primary.Name()))
	}
	if err := cursor.CheckEngine(fallback.Name()); err != nil {
		return Result{}, err
	}
	return fallback.Search(ctx, q)
}

// Partial is an engine that answers some queries only roughly; the router
// sends those to the fallback, unless fallback is off.
type Partial interface {
	// Answers reports whether the engine answers q as well as the fallback.
	Answers(q Query) bool
}

// Wrapper is an engine that decorates another (with metrics, tracing):
// what the wrapped engine can do besides searching (Partial) is looked for
// through it.
type Wrapper interface {
	Unwrap() Engine
}

// answers reports whether e, or the engine it wraps, answers q as well as
// the fallback (true unless it is Partial and says otherwise).
func answers(e Engine, q Query) bool {
	for {
		if p, ok := e.(Partial); ok {
			return p.Answers(q)
		}
		w, ok := e.(Wrapper)
		if !ok {
			return true
		}
		e = w.Unwrap()
	}
}

// Ping reports whether the primary engine answers.
func (r *Router) Ping(ctx context.Context) error { return r.opts.Primary.Ping(ctx) }

func (r *Router) healthy() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Now().After(r.downTill)
}

func (r *Router) markDown() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.downTill = time.Now().Add(r.opts.Cooldown)
}
