// Package apitest runs the GraphQL API in-process for tests that exercise it
// the way clients do: over HTTP, on a fresh database holding the demo catalog,
// with a fixed clock so that dates, prices and deadlines are the same on every
// run. The documentation test (docs/) and the example client (examples/) use it.
package apitest

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/demo"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/search"
	searchpg "github.com/staygraph/staygraph/internal/search/postgres"
	"github.com/staygraph/staygraph/internal/server"
)

// Today is the first night of the demo catalog's rates and the date of the
// API's clock: documented stays are a few weeks after it.
var Today = time.Date(2031, time.May, 1, 0, 0, 0, 0, time.UTC)

// Now is the fixed instant the booking core takes as "now" (10:00 UTC on Today).
var Now = Today.Add(10 * time.Hour)

// Secret signs the bearer tokens the API accepts.
var Secret = []byte("apitest-secret")

// GuestSubject is the customer id of the GUEST token from Token.
const GuestSubject = "guest-ana"

// Opts configures Start. Zero values take the defaults.
type Opts struct {
	// Hotels is how many demo hotels are loaded; default 60, the catalog of
	// 'staygraph dev'.
	Hotels int
	// Nights is how many nights of rates each rate plan gets from Today;
	// default 120.
	Nights int
}

// Server is the API listening on a local port.
type Server struct {
	// URL is the GraphQL endpoint.
	URL string
}

// Start loads the demo catalog into a fresh database and serves the API
// until the test ends.
func Start(t testing.TB, opts Opts) *Server {
	t.Helper()
	if opts.Hotels == 0 {
		opts.Hotels = demo.DefaultHotels
	}
	if opts.Nights == 0 {
		opts.Nights = 120
	}
	pool := pgtest.NewDB(t)
	cat := catalog.NewService(pool).WithClock(func() time.Time { return Now }) // as the booking core and search
	if _, err := demo.Load(context.Background(), pool, demo.Opts{Hotels: opts.Hotels, Nights: opts.Nights, Today: Today}); err != nil {
		t.Fatalf("load demo catalog: %v", err)
	}
	keys := auth.NewAPIKeys(pool)
	pg := searchpg.NewEngine(pool, searchpg.Opts{})
	r := &graph.Resolver{Catalog: cat, Keys: keys,
		Reservations: booking.NewService(pool, cat, payment.NewRegistry(sandbox.New()), nil,
			booking.Opts{Now: func() time.Time { return Now }}),
		Search: search.NewRouter(search.RouterOpts{Primary: pg, Fallback: pg, Now: func() time.Time { return Now }})}
	h := server.Authenticate(auth.NewAuthenticator(auth.JWTConfig{HS256Secret: Secret}, keys))(graph.NewHandler(r, graph.HandlerOpts{}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL + "/graphql"}
}

// Token mints a bearer token for role: ADMIN, or GUEST with subject
// GuestSubject. STAFF tokens name hotels and are not offered here.
func Token(t testing.TB, role auth.Role) string {
	t.Helper()
	o := auth.MintOpts{Role: role, TTL: time.Hour}
	if role == auth.RoleGuest {
		o.Subject = GuestSubject
	}
	tok, err := auth.Mint(Secret, o)
	if err != nil {
		t.Fatalf("mint %s token: %v", role, err)
	}
	return tok
}
