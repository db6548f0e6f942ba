package search_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/metrics"
	"github.com/staygraph/staygraph/internal/search"
	"github.com/staygraph/staygraph/internal/tracing"
)

// engine is a stand-in for an engine's client side: it answers with a fixed
// result, an error, or not before its context ends.
type engine struct {
	name  string
	err   error
	hang  bool
	calls atomic.Int32
	now   time.Time // the last query's clock
}

func (e *engine) Name() string                   { return e.name }
func (e *engine) Ping(ctx context.Context) error { return e.err }
func (e *engine) Search(ctx context.Context, q search.Query) (search.Result, error) {
	e.calls.Add(1)
	e.now = q.Now
	if e.hang {
		<-ctx.Done()
		return search.Result{}, ctx.Err()
	}
	if e.err != nil {
		return search.Result{}, e.err
	}
	return search.Result{Engine: e.name}, nil
}

func TestRouterFallsBackWithinTheTimeout(t *testing.T) {
	t.Parallel()
	for _, primary := range []*engine{
		{name: "elasticsearch", err: fmt.Errorf("%w: dial tcp 127.0.0.1:9200: connection refused", search.ErrUnavailable)},
		{name: "elasticsearch", hang: true},
	} {
		pg := &engine{name: "postgres"}
		r := search.NewRouter(search.RouterOpts{Primary: primary, Fallback: pg, Timeout: 50 * time.Millisecond, Cooldown: time.Hour})
		start := time.Now()
		res, err := r.Search(context.Background(), search.Query{})
		if err != nil || res.Engine != "postgres" {
			t.Fatalf("fallback: %v %+v", err, res)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("fallback took %v", d)
		}
		// While the primary cools down it is not asked again.
		if _, err := r.Search(context.Background(), search.Query{}); err != nil || primary.calls.Load() != 1 {
			t.Fatalf("second search: %v, primary asked %d times", err, primary.calls.Load())
		}
	}
}

func TestRouterWithoutFallbackSaysUnavailableFast(t *testing.T) {
	t.Parallel()
	primary := &engine{name: "elasticsearch", hang: true}
	r := search.NewRouter(search.RouterOpts{Primary: primary, Fallback: &engine{name: "postgres"}, Timeout: 50 * time.Millisecond, NoFallback: true})
	start := time.Now()
	_, err := r.Search(context.Background(), search.Query{})
	if !apperr.HasCode(err, search.Unavailable) || time.Since(start) > time.Second {
		t.Fatalf("got %v after %v", err, time.Since(start))
	}
}

// A next page, too: retrying it later is what works, not "search again
// from the first page" (INVALID_INPUT on its cursor), which fails the same
// way while the engine is down.
func TestRouterWithoutFallbackSaysUnavailableForANextPage(t *testing.T) {
	t.Parallel()
	primary := &engine{name: "elasticsearch", err: fmt.Errorf("%w: connection refused", search.ErrUnavailable)}
	r := search.NewRouter(search.RouterOpts{Primary: primary, Fallback: &engine{name: "postgres"}, Timeout: 50 * time.Millisecond, NoFallback: true})
	after := search.Cursor{Sort: search.SortStars, Key: -4, ID: uuid.New(), Engine: "elasticsearch"}.Encode()
	if _, err := r.Search(context.Background(), search.Query{Sort: search.SortStars, After: after}); !apperr.HasCode(err, search.Unavailable) {
		t.Fatalf("a next page with the engine down and no fallback: %v, want %s", err, search.Unavailable)
	}
}

func TestRouterPassesQueryErrorsThrough(t *testing.T) {
	t.Parallel()
	pg := &engine{name: "postgres"}
	r := search.NewRouter(search.RouterOpts{Primary: &engine{name: "elasticsearch", err: apperr.Invalid("malformed cursor", "after")}, Fallback: pg})
	if _, err := r.Search(context.Background(), search.Query{}); !apperr.HasCode(err, apperr.InvalidInput) || pg.calls.Load() != 0 {
		t.Fatalf("a query error must not fall back: %v", err)
	}
	if _, err := r.Search(context.Background(), search.Query{Sort: search.SortPrice}); !apperr.HasCode(err, apperr.InvalidInput) {
		t.Fatalf("invalid query: %v", err)
	}
}

// A query without its own clock is asked at the router's.
func TestRouterClock(t *testing.T) {
	t.Parallel()
	pg := &engine{name: "postgres"}
	at := time.Date(2027, 6, 10, 11, 0, 0, 0, time.UTC)
	r := search.NewRouter(search.RouterOpts{Primary: pg, Now: func() time.Time { return at }})
	if _, err := r.Search(context.Background(), search.Query{}); err != nil || !pg.now.Equal(at) {
		t.Fatalf("router's clock: %v %v", pg.now, err)
	}
	own := at.AddDate(1, 0, 0)
	if _, err := r.Search(context.Background(), search.Query{Now: own}); err != nil || !pg.now.Equal(own) {
		t.Fatalf("the query's own clock: %v %v", pg.now, err)
	}
	if _, err := search.NewRouter(search.RouterOpts{Primary: pg}).Search(context.Background(), search.Query{}); err != nil || time.Since(pg.now) > time.Minute {
		t.Fatalf("default clock: %v %v", pg.now, err)
	}
}

// A request the primary refuses (not an outage) falls back alone: the
// primary is asked again by the next search.
func TestRouterFallsBackWithoutCoolingDownOnARefusedRequest(t *testing.T) {
	t.Parallel()
	primary, pg := &engine{name: "elasticsearch", err: errors.New("elasticsearch: 400 parse_exception")}, &engine{name: "postgres"}
	r := search.NewRouter(search.RouterOpts{Primary: primary, Fallback: pg, Timeout: time.Second, Cooldown: time.Hour})
	for range 2 {
		if res, err := r.Search(context.Background(), search.Query{}); err != nil || res.Engine != "postgres" {
			t.Fatalf("fallback: %v %+v", err, res)
		}
	}
	if primary.calls.Load() != 2 {
		t.Fatalf("the primary was asked %d times, want 2: one refused request cooled it down", primary.calls.Load())
	}
}

// A next page goes to the engine whose cursor it carries; a cursor of an
// engine that cannot answer is refused rather than read by the other.
func TestRouterResumesOnTheCursorsEngine(t *testing.T) {
	t.Parallel()
	primary, pg := &engine{name: "elasticsearch"}, &engine{name: "postgres"}
	r := search.NewRouter(search.RouterOpts{Primary: primary, Fallback: pg, Timeout: time.Second, Cooldown: time.Hour})
	after := func(engine string) string {
		return search.Cursor{Sort: search.SortRelevance, Key: -0.5, ID: uuid.New(), Engine: engine}.Encode()
	}
	if res, err := r.Search(context.Background(), search.Query{After: after("postgres")}); err != nil || res.Engine != "postgres" || primary.calls.Load() != 0 {
		t.Fatalf("a postgres cursor: %v %+v, primary asked %d times", err, res, primary.calls.Load())
	}
	primary.err = fmt.Errorf("%w: connection refused", search.ErrUnavailable)
	_, err := r.Search(context.Background(), search.Query{After: after("elasticsearch")})
	if all, _ := apperr.All(err); len(all) != 1 || all[0].Code != apperr.InvalidInput {
		t.Fatalf("an elasticsearch cursor while it is down: %v, want INVALID_INPUT", err)
	}
	// a cursor of another sort says so, rather than "malformed"
	if _, err := search.ParseCursor(after("postgres"), search.SortPrice); !apperr.HasCode(err, apperr.InvalidInput) ||
		!strings.Contains(err.Error(), "sorted by RELEVANCE, not PRICE") {
		t.Errorf("a RELEVANCE cursor for a PRICE search: %v", err)
	}
	for _, bad := range []string{"NaN", "+Inf", "-Inf"} {
		c := base64.RawURLEncoding.EncodeToString([]byte("RELEVANCE|" + bad + "|" + uuid.NewString() + "|elasticsearch"))
		if _, err := search.ParseCursor(c, search.SortRelevance); !apperr.HasCode(err, apperr.InvalidInput) {
			t.Errorf("a cursor key of %s: %v, want INVALID_INPUT", bad, err)
		}
	}
}

// partial is an engine that answers only queries without a price.
type partial struct{ engine }

func (p *partial) Answers(q search.Query) bool { return q.Sort != search.SortPrice && q.Price == nil }

// What the primary answers only roughly goes to the fallback, unless
// fallback is off; also when the primary is wrapped in metrics and tracing,
// as 'serve' wraps it.
func TestRouterGivesWhatThePrimaryAnswersRoughlyToTheFallback(t *testing.T) {
	t.Parallel()
	es, pg := &partial{engine{name: "elasticsearch"}}, &engine{name: "postgres"}
	m := metrics.New(metrics.Opts{})
	for name, primary := range map[string]search.Engine{
		"bare":                 es,
		"with metrics":         m.Engine(es),
		"with metrics, traced": tracing.Engine(m.Engine(es), noop.NewTracerProvider()),
	} {
		r := search.NewRouter(search.RouterOpts{Primary: primary, Fallback: pg, Timeout: time.Second, Cooldown: time.Hour})
		in := time.Now().AddDate(0, 0, 10)
		out := in.AddDate(0, 0, 1)
		byPrice := search.Query{Sort: search.SortPrice, CheckIn: &in, CheckOut: &out}
		if res, err := r.Search(context.Background(), byPrice); err != nil || res.Engine != "postgres" {
			t.Errorf("%s, sorted by price: %v %+v, want postgres", name, err, res)
		}
		if res, err := r.Search(context.Background(), search.Query{}); err != nil || res.Engine != "elasticsearch" {
			t.Errorf("%s, by relevance: %v %+v, want elasticsearch", name, err, res)
		}
		strict := search.NewRouter(search.RouterOpts{Primary: primary, Fallback: pg, Timeout: time.Second, Cooldown: time.Hour, NoFallback: true})
		if res, err := strict.Search(context.Background(), byPrice); err != nil || res.Engine != "elasticsearch" {
			t.Errorf("%s, sorted by price, fallback off: %v %+v, want elasticsearch", name, err, res)
		}
	}
}
