package graph

import (
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/staygraph/staygraph/graph/model"
)

// HandlerOpts configures the GraphQL endpoint.
type HandlerOpts struct {
	// Logger receives internal errors and panics.
	Logger *slog.Logger
	// MaxComplexity rejects operations whose cost exceeds it. Default 2000.
	MaxComplexity int
	// DisableIntrospection switches off schema introspection.
	DisableIntrospection bool
}

// NewHandler returns the /graphql endpoint: GraphQL over HTTP (POST JSON, GET
// for queries) answering application/graphql-response+json or application/json
// as the client accepts, with the error presenter, panic recovery and
// complexity limit installed.
func NewHandler(r *Resolver, opts HandlerOpts) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxComplexity == 0 {
		opts.MaxComplexity = 2000
	}
	cfg := Config{Resolvers: r}
	setComplexity(&cfg.Complexity)
	srv := handler.New(NewExecutableSchema(cfg))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{UseGrapQLResponseJsonByDefault: true})
	srv.AddTransport(transport.POST{UseGrapQLResponseJsonByDefault: true})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if !opts.DisableIntrospection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.FixedComplexityLimit(opts.MaxComplexity))
	srv.SetErrorPresenter(ErrorPresenter(opts.Logger))
	srv.SetRecoverFunc(Recover(opts.Logger))
	return Loaders(r, srv)
}

// setComplexity makes list fields cost in proportion to the page they ask for.
func setComplexity(c *ComplexityRoot) {
	c.Query.Hotels = func(childComplexity int, first *int, after *string) int {
		return 1 + childComplexity*orDefault(first, DefaultPageSize)
	}
	c.Query.SearchHotels = func(childComplexity int, _ model.HotelSearchInput, first *int, _ *string) int {
		return 10 + childComplexity*orDefault(first, DefaultPageSize)
	}
	c.Viewer.Bookings = func(childComplexity int, first *int, _ *string) int {
		return 1 + childComplexity*orDefault(first, DefaultPageSize)
	}
}
