package server

import (
	"log/slog"
	"net/http"
)

// StackOpts configures the middleware of the API server.
type StackOpts struct {
	// Logger writes the request log. It is wrapped in a LogHandler.
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Headers configures the security headers.
	Headers HeaderOpts
	// CORSOrigins are the origins whose pages may call the API.
	CORSOrigins []string
	// RateLimit configures the per-caller rate limits.
	RateLimit RateLimitOpts
}

// Stack is the middleware of the API server, in the order requests meet it.
// Every route: request id, request log, security headers, CORS (Wrap). The
// API route then: data headers, body limit, authentication, rate limit
// (API).
type Stack struct {
	opts StackOpts
	log  *slog.Logger
}

// NewStack returns the middleware configured by opts.
func NewStack(opts StackOpts) *Stack {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := slog.New(NewLogHandler(opts.Logger.Handler()))
	if opts.RateLimit.Logger == nil {
		opts.RateLimit.Logger = log
	}
	if opts.RateLimit.Limiter == nil {
		opts.RateLimit.Limiter = NewMemoryLimiter()
	}
	return &Stack{opts: opts, log: log}
}

// Wrap puts the middleware every response goes through around h (the whole
// router).
func (s *Stack) Wrap(h http.Handler) http.Handler {
	return Chain(h,
		RequestIDs,
		AccessLog(s.log),
		SecurityHeaders(s.opts.Headers),
		CORS(s.opts.CORSOrigins),
	)
}

// API puts the middleware of the GraphQL endpoint around api. authenticate
// puts the caller's principal in the request context (or refuses bad
// credentials, which count against the client address before it);
// rate limits apply per principal after it.
func (s *Stack) API(api http.Handler, authenticate func(http.Handler) http.Handler) http.Handler {
	return Chain(api,
		DataHeaders,
		LimitBody(s.opts.MaxBodyBytes),
		AuthFailureLimit(s.opts.RateLimit),
		authenticate,
		RateLimit(s.opts.RateLimit),
	)
}
