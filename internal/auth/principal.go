// Package auth decides who is calling and what they may do: principals with
// roles, JWT bearer tokens for people (admins, hotel staff, guests), partner
// API keys for machines, the Authenticator that turns a request's
// credentials into a principal (server.Authenticate puts it in the request
// context), and the per-object checks services call.
//
// Services never look at tokens. They call Require, RequireAdmin,
// RequireHotel or RequireScope with the request context and return the
// resulting apperr error as is.
package auth

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
)

// Role is what kind of caller a principal is.
type Role string

// Roles known to the product.
const (
	// RoleAdmin operates the whole platform: every hotel, every scope.
	RoleAdmin Role = "ADMIN"
	// RoleStaff works at one or more hotels and manages only those.
	RoleStaff Role = "STAFF"
	// RoleGuest is a person booking stays for themselves.
	RoleGuest Role = "GUEST"
	// RolePartner is a machine client (OTA, metasearch) holding an API key.
	// Partners exist only through API keys, never through JWTs.
	RolePartner Role = "PARTNER"
)

// Scopes a partner API key may carry.
const (
	// ScopeSearch allows availability and catalog search.
	ScopeSearch = "search"
	// ScopeBook allows holding, confirming and cancelling bookings.
	ScopeBook = "book"
	// ScopeReadBookings allows reading bookings made with the key.
	ScopeReadBookings = "read:bookings"
	// ScopeWebhooks allows following availability and rate changes live
	// (the availabilityChanged subscription), as the partner feed posts them.
	ScopeWebhooks = "webhooks"
)

// knownScopes lists every scope an API key may be created with.
var knownScopes = []string{ScopeSearch, ScopeBook, ScopeReadBookings, ScopeWebhooks}

// IsKnownScope reports whether scope is one an API key may carry.
func IsKnownScope(scope string) bool {
	return slices.Contains(knownScopes, scope)
}

// Principal is an authenticated caller. A nil *Principal is the anonymous
// caller; every method is safe to call on nil and then grants nothing.
type Principal struct {
	// Role says what kind of caller this is.
	Role Role
	// Subject identifies the caller: the JWT "sub" claim, or "apikey:<id>"
	// for partners.
	Subject string
	// HotelIDs are the hotels a STAFF principal manages.
	HotelIDs []uuid.UUID
	// Scopes are what a PARTNER principal's API key allows.
	Scopes []string
	// APIKeyID is the key a PARTNER principal authenticated with; zero
	// otherwise.
	APIKeyID uuid.UUID
	// apiKeySecret is the SHA-256 of the key's secret it authenticated
	// with: a long-lived connection is closed once that secret is rolled
	// out (StillValid).
	apiKeySecret [32]byte
	// Expires is when the credential stops being valid (a JWT's exp, with
	// the clock-skew leeway; a rolled API key's old secret, when its time is
	// up); zero for API keys otherwise, which last until revoked.
	Expires time.Time
}

// APIKeySubject is the Subject of the PARTNER principal of an API key.
func APIKeySubject(id uuid.UUID) string { return "apikey:" + id.String() }

// APIKeyOwner is how records name the PARTNER principal of an API key
// (its Name): the owner of the bookings made with it.
func APIKeyOwner(id uuid.UUID) string {
	return (&Principal{Role: RolePartner, Subject: APIKeySubject(id)}).Name()
}

// Name is how records name the principal: "ROLE:subject", the actor of
// audit entries and the owner of bookings.
func (p *Principal) Name() string { return string(p.Role) + ":" + p.Subject }

// IsAdmin reports whether p is a platform administrator.
func (p *Principal) IsAdmin() bool {
	return p != nil && p.Role == RoleAdmin
}

// CanManageHotel reports whether p may manage the hotel with id: admins may
// manage every hotel, staff only the hotels they belong to.
func (p *Principal) CanManageHotel(id uuid.UUID) bool {
	switch {
	case p == nil:
		return false
	case p.Role == RoleAdmin:
		return true
	case p.Role == RoleStaff:
		return slices.Contains(p.HotelIDs, id)
	default:
		return false
	}
}

// HasScope reports whether p holds scope: admins hold every scope, partners
// the scopes of their API key, everyone else none.
func (p *Principal) HasScope(scope string) bool {
	switch {
	case p == nil:
		return false
	case p.Role == RoleAdmin:
		return true
	case p.Role == RolePartner:
		return slices.Contains(p.Scopes, scope)
	default:
		return false
	}
}

type principalKey struct{}

// WithPrincipal returns a copy of ctx carrying p. A nil p makes the context
// anonymous.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal ctx carries, or nil for an anonymous
// caller.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Require returns the caller, or an UNAUTHENTICATED error when the caller is
// anonymous.
func Require(ctx context.Context) (*Principal, error) {
	p := FromContext(ctx)
	if p == nil {
		return nil, apperr.New(apperr.Unauthenticated, "authentication required")
	}
	return p, nil
}

// RequireAdmin returns nil when the caller is an administrator,
// UNAUTHENTICATED when anonymous and FORBIDDEN otherwise.
func RequireAdmin(ctx context.Context) error {
	p, err := Require(ctx)
	if err != nil {
		return err
	}
	if !p.IsAdmin() {
		return apperr.New(apperr.Forbidden, "administrator role required")
	}
	return nil
}

// RequireHotel returns nil when the caller may manage the hotel with
// hotelID, UNAUTHENTICATED when anonymous and FORBIDDEN otherwise.
func RequireHotel(ctx context.Context, hotelID uuid.UUID) error {
	p, err := Require(ctx)
	if err != nil {
		return err
	}
	if !p.CanManageHotel(hotelID) {
		return apperr.New(apperr.Forbidden, "not allowed to manage this hotel")
	}
	return nil
}

// RequireHotels is RequireHotel for each of hotelIDs.
func RequireHotels(ctx context.Context, hotelIDs []uuid.UUID) error {
	for _, id := range hotelIDs {
		if err := RequireHotel(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// RequireScope returns nil when the caller holds scope, UNAUTHENTICATED when
// anonymous and FORBIDDEN otherwise.
func RequireScope(ctx context.Context, scope string) error {
	p, err := Require(ctx)
	if err != nil {
		return err
	}
	if !p.HasScope(scope) {
		return apperr.New(apperr.Forbidden, fmt.Sprintf("missing scope %q", scope))
	}
	return nil
}
