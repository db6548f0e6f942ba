package auth

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
)

// APIKeyHeader is the header that may carry a partner API key instead of
// "Authorization: Bearer sg_…".
const APIKeyHeader = "X-API-Key"

// Authenticator turns request credentials into a Principal: JWT bearer
// tokens for people, API keys for partners.
type Authenticator struct {
	jwt  JWTConfig
	keys *APIKeys
}

// NewAuthenticator returns an Authenticator accepting the JWTs cfg allows and
// the API keys in keys. A nil keys rejects every API key.
func NewAuthenticator(cfg JWTConfig, keys *APIKeys) *Authenticator {
	return &Authenticator{jwt: cfg, keys: keys}
}

// Authenticate returns the principal r's credentials name. Credentials come
// from "Authorization: Bearer <token>" (an API key when the token starts with
// "sg_", a JWT otherwise) or from the X-API-Key header. A request without
// credentials is anonymous: (nil, nil). Bad credentials give an
// UNAUTHENTICATED apperr error; any other error is an internal failure.
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, error) {
	return a.AuthenticateHeader(r.Context(), r.Header)
}

// AuthenticateHeader is Authenticate for credentials that come as header
// values without a request: the connection_init payload of the
// subscription socket.
func (a *Authenticator) AuthenticateHeader(ctx context.Context, h http.Header) (*Principal, error) {
	authz := h.Values("Authorization")
	keys := h.Values(APIKeyHeader)
	switch {
	case len(authz) == 0 && len(keys) == 0:
		return nil, nil
	case len(authz)+len(keys) > 1:
		return nil, apperr.New(apperr.Unauthenticated, "send exactly one credential")
	case len(keys) == 1:
		return a.verifyAPIKey(ctx, strings.TrimSpace(keys[0]))
	}
	token, err := BearerToken(authz[0])
	if err != nil {
		return nil, err
	}
	return a.AuthenticateToken(ctx, token)
}

// BearerToken reads the token of an Authorization value "Bearer <token>";
// another scheme is UNAUTHENTICATED.
func BearerToken(authorization string) (string, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", apperr.New(apperr.Unauthenticated, "authorization must use the Bearer scheme")
	}
	return strings.TrimSpace(token), nil
}

// AuthenticateToken returns the principal a bare bearer token names: an API
// key when it starts with "sg_", a JWT otherwise. It serves transports
// without headers, such as the graphql-ws connection_init payload.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, apperr.New(apperr.Unauthenticated, "empty bearer token")
	}
	if strings.HasPrefix(token, apiKeyMarker) {
		return a.verifyAPIKey(ctx, token)
	}
	return a.jwt.Verify(token)
}

// StillValid reports whether the credential p authenticated with is still
// good: a JWT before its expiry, an API key while it exists unrevoked and
// the secret used is still accepted (not rolled out). A long-lived
// connection checks it now and then.
func (a *Authenticator) StillValid(ctx context.Context, p *Principal) error {
	switch {
	case p == nil:
		return nil
	case !p.Expires.IsZero() && !time.Now().Before(p.Expires):
		return apperr.New(apperr.Unauthenticated, "token expired")
	case p.APIKeyID != uuid.Nil:
		if a.keys == nil {
			return invalidAPIKey()
		}
		return a.keys.stillValid(ctx, p.APIKeyID, p.apiKeySecret)
	}
	return nil
}

func (a *Authenticator) verifyAPIKey(ctx context.Context, key string) (*Principal, error) {
	if a.keys == nil {
		return nil, invalidAPIKey()
	}
	return a.keys.Verify(ctx, key)
}
