package graph

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/trace"

	"github.com/staygraph/staygraph/graph/model"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/metrics"
	"github.com/staygraph/staygraph/internal/server"
)

// HandlerOpts configures the GraphQL endpoint.
type HandlerOpts struct {
	// Logger receives internal errors and panics.
	Logger *slog.Logger
	// MaxComplexity rejects operations whose cost exceeds it. Default 2000.
	MaxComplexity int
	// MaxDepth rejects operations whose fields nest deeper. Default 12.
	MaxDepth int
	// MaxAliases rejects operations with more aliased fields. Default 30.
	MaxAliases int
	// MaxRootFields rejects operations with more top-level fields. Default 10.
	MaxRootFields int
	// DisableIntrospection switches off schema introspection.
	DisableIntrospection bool
	// APQCacheSize is how many automatic persisted queries are remembered.
	// Default 1000; negative switches automatic persisted queries off.
	APQCacheSize int
	// Allowlist, when set, limits PARTNER principals to its operations.
	Allowlist *OperationAllowlist
	// Metrics, when set, records operation latency and errors.
	Metrics *metrics.Metrics
	// TracerProvider, when set, makes spans of operations and resolver
	// fields. Nil (tracing off) installs nothing.
	TracerProvider trace.TracerProvider
	// Authenticator checks the token of a subscription connection's
	// connection_init payload; nil refuses tokens there.
	Authenticator *auth.Authenticator
	// CredentialCheckInterval is how often an open subscription socket
	// checks that its API key was not revoked; 0 means
	// DefaultCredentialCheckInterval.
	CredentialCheckInterval time.Duration
	// CORSOrigins are the origins, besides the API's own, whose pages may
	// open subscription sockets: those whose pages may call the API
	// (server.StackOpts.CORSOrigins; "*": any).
	CORSOrigins []string
}

// NewHandler returns the /graphql endpoint: GraphQL over HTTP (POST JSON, GET
// for queries) answering application/graphql-response+json or application/json
// as the client accepts, with the error presenter, panic recovery and
// limits installed. Before an operation runs, in order: bodies that are not
// one operation are refused (batches, other content), card numbers in
// variables and arguments are refused, persisted operations are resolved
// (the partner allow-list, then automatic persisted queries) and partners
// held to the allow-list, then depth, root field, alias and complexity
// limits apply.
func NewHandler(r *Resolver, opts HandlerOpts) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.MaxComplexity = positiveOr(opts.MaxComplexity, 2000)
	opts.MaxDepth = positiveOr(opts.MaxDepth, DefaultMaxDepth)
	opts.MaxAliases = positiveOr(opts.MaxAliases, DefaultMaxAliases)
	opts.MaxRootFields = positiveOr(opts.MaxRootFields, DefaultMaxRootFields)
	cfg := Config{Resolvers: r}
	setComplexity(&cfg.Complexity)
	srv := handler.New(NewExecutableSchema(cfg))
	srv.AddTransport(transport.Options{})
	if opts.CredentialCheckInterval <= 0 {
		opts.CredentialCheckInterval = DefaultCredentialCheckInterval
	}
	srv.AddTransport(websocketTransport(opts.Authenticator, opts.CredentialCheckInterval, ErrorPresenter(opts.Logger),
		server.NewOrigins(opts.CORSOrigins)))
	srv.AddTransport(asIs{transport.GET{UseGrapQLResponseJsonByDefault: true}})
	srv.AddTransport(asIs{transport.POST{UseGrapQLResponseJsonByDefault: true}})
	validated := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(answeredInline{validated})
	srv.SetParserTokenLimit(MaxTokens)

	if opts.Metrics != nil {
		srv.Use(operationMetrics{opts.Metrics})
	}
	if opts.TracerProvider != nil {
		srv.Use(newOperationTracing(opts.TracerProvider))
	}
	srv.Use(transportOperations{})
	srv.Use(&stringInts{})
	srv.Use(cardDataGuard{})
	srv.Use(searchEngines{})
	if opts.Allowlist != nil {
		srv.Use(allowlistLookup{opts.Allowlist})
	}
	if opts.APQCacheSize >= 0 {
		srv.Use(persistedQueries{extension.AutomaticPersistedQuery{Cache: lru.New[string](positiveOr(opts.APQCacheSize, 1000))}})
	}
	if opts.Allowlist != nil {
		srv.Use(allowlistCheck{opts.Allowlist})
	}
	if !opts.DisableIntrospection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(operationLimits{maxDepth: opts.MaxDepth, maxAliases: opts.MaxAliases,
		maxRootFields: opts.MaxRootFields, maxFields: opts.MaxComplexity, validated: validated})
	srv.Use(complexityLimit{extension.FixedComplexityLimit(opts.MaxComplexity)})
	srv.SetErrorPresenter(ErrorPresenter(opts.Logger))
	srv.SetRecoverFunc(Recover(opts.Logger))
	srv.AroundRootFields(mutationsNeedCredentials)
	srv.AroundRootFields(freshLoadersPerMutation(r))
	return oneOperation(Loaders(r, srv))
}

func positiveOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// setComplexity makes list fields cost in proportion to the items they ask
// for: connections their page size, rates their nights, other lists the
// items they usually hold.
func setComplexity(c *ComplexityRoot) {
	c.Query.Hotels = func(childComplexity int, first *int, after *string) int {
		return listCost(childComplexity, pageCost(first))
	}
	c.Query.SearchHotels = func(childComplexity int, _ model.HotelSearchInput, first *int, _ *string) int {
		return addSat(9, listCost(childComplexity, pageCost(first)))
	}
	c.Viewer.Bookings = func(childComplexity int, first *int, _ *string) int {
		return listCost(childComplexity, pageCost(first))
	}
	c.Query.AuditLog = func(childComplexity int, first *int, _ *string, _ *model.AuditEntity, _ *string) int {
		return listCost(childComplexity, pageCost(first))
	}
	c.RatePlan.Rates = func(childComplexity int, from, to time.Time) int {
		nights := int(to.Sub(from).Hours()/24) + 1
		return listCost(childComplexity, min(max(nights, 1), catalog.MaxRateNights))
	}
	// Lists without a page size cost what a typical hotel or booking holds
	// (the page sizes above already bound the worst case they multiply),
	// so that nesting them multiplies as it does for the database.
	c.Hotel.RoomTypes = itemsCost(4)
	c.Hotel.Rooms = itemsCost(20)
	c.Hotel.Relocations = itemsCost(2)
	c.Hotel.MaintenanceBlocks = itemsCost(2)
	// The staff's lists below are read hotel by hotel (a query each, not
	// batched as the lists above are): they cost a read of their own, so
	// that one operation asks for them of a few dozen hotels at most.
	c.Hotel.UndeliveredNotifications = func(childComplexity int, first *int) int {
		return addSat(perHotelRead, listCost(childComplexity, pageCost(first)))
	}
	c.Hotel.Arrivals = func(childComplexity int, _ *time.Time, first *int, _ *string) int {
		return addSat(perHotelRead, listCost(childComplexity, pageCost(first)))
	}
	c.Hotel.InHouse = func(childComplexity int, first *int, _ *string) int {
		return addSat(perHotelRead, listCost(childComplexity, pageCost(first)))
	}
	c.RoomType.RatePlans = itemsCost(2)
	c.Booking.Rooms = itemsCost(2)
	c.Booking.Guests = itemsCost(2)
	c.Booking.CancellationPenalties = itemsCost(2)
	c.Booking.Payments = itemsCost(2)
	c.Booking.Refunds = itemsCost(2)
	c.Booking.Notifications = itemsCost(4)
}

// perHotelRead is what a list read with a query of its own for each hotel
// costs on top of its items.
const perHotelRead = 50

// itemsCost is the cost function of a list field that has about n items.
func itemsCost(n int) func(childComplexity int) int {
	return func(childComplexity int) int { return listCost(childComplexity, n) }
}
