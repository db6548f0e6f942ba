// Package graph is the GraphQL edge of staygraph: resolvers parse input, call
// one service method and shape the result. Business rules live in the
// services under internal/.
package graph

//go:generate go run ./generate

import (
	"github.com/staygraph/staygraph/internal/audit"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/search"
)

// Resolver wires the services the API exposes.
type Resolver struct {
	Catalog      *catalog.Service
	Reservations *booking.Service
	Search       *search.Router
	Keys         *auth.APIKeys
	// Audit reads the audit trail (auditLog).
	Audit *audit.Trail
	// Live feeds subscriptions (the change stream's hub); nil switches
	// them off.
	Live EventSource
	// Stream reports the change stream this server runs (changeStream);
	// nil when it runs none.
	Stream StreamStatus

	subscriptions slots // live subscriptions per caller
}
