package auth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
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
	authz := r.Header.Values("Authorization")
	keys := r.Header.Values(APIKeyHeader)
	switch {
	case len(authz) == 0 && len(keys) == 0:
		return nil, nil
	case len(authz)+len(keys) > 1:
		return nil, apperr.New(apperr.Unauthenticated, "send exactly one credential")
	case len(keys) == 1:
		return a.verifyAPIKey(r.Context(), strings.TrimSpace(keys[0]))
	}
	token, err := BearerToken(authz[0])
	if err != nil {
		return nil, err
	}
	return a.AuthenticateToken(r.Context(), token)
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
// good: a JWT before its expiry, an API key while it exists unrevoked. A
// long-lived connection checks it now and then.
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
		return a.keys.stillValid(ctx, p.APIKeyID)
	}
	return nil
}

func (a *Authenticator) verifyAPIKey(ctx context.Context, key string) (*Principal, error) {
	if a.keys == nil {
		return nil, invalidAPIKey()
	}
	return a.keys.Verify(ctx, key)
}

// Middleware authenticates every request before next sees it. Anonymous
// requests pass through unchanged (resolvers decide what anonymous callers
// may do); authenticated ones carry their Principal in the request context
// (see FromContext). Bad credentials end the request with 401 and a GraphQL
// error body with extensions.code UNAUTHENTICATED, so a client learns its
// token is bad instead of silently being treated as anonymous.
func (a *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		if err != nil {
			writeAuthError(w, r, err)
			return
		}
		if p != nil {
			r = r.WithContext(WithPrincipal(r.Context(), p))
		}
		next.ServeHTTP(w, r)
	})
}

// graphQLErrors is the body of an error response, shaped like a GraphQL
// response so clients handle it with their usual code.
type graphQLErrors struct {
	Errors []graphQLError `json:"errors"`
}

type graphQLError struct {
	Message    string            `json:"message"`
	Extensions map[string]string `json:"extensions"`
}

func writeAuthError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := http.StatusInternalServerError, "INTERNAL", "internal server error"
	var e *apperr.Error
	if errors.As(err, &e) && e.Code == apperr.Unauthenticated {
		status, code, msg = http.StatusUnauthorized, string(e.Code), e.Message
		w.Header().Set("WWW-Authenticate", "Bearer")
	} else {
		// Errors from this package never contain the credential itself.
		slog.ErrorContext(r.Context(), "authenticate request", "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(graphQLErrors{Errors: []graphQLError{{
		Message:    msg,
		Extensions: map[string]string{"code": code},
	}}})
}
