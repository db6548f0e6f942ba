package auth

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
)

// DefaultTokenTTL is how long a token from Mint lives when MintOpts.TTL is
// zero.
const DefaultTokenTTL = 24 * time.Hour

// maxTokenLen bounds the bearer tokens the parser looks at; real tokens are a
// few hundred bytes.
const maxTokenLen = 8 << 10

// clockSkew is the leeway granted on exp, nbf and iat for clocks that drift
// between the token issuer and this server.
const clockSkew = 30 * time.Second

// JWTConfig says which JWT bearer tokens the server accepts. Either or both
// algorithms may be configured; a token signed with an algorithm that is not
// configured is rejected, as is every unsigned ("none") token.
type JWTConfig struct {
	// HS256Secret enables HS256 tokens signed with this shared secret.
	HS256Secret []byte
	// RS256PublicKey enables RS256 tokens signed by the matching private key
	// (an external identity provider).
	RS256PublicKey *rsa.PublicKey
	// Issuer, when set, must equal the token's "iss" claim.
	Issuer string
	// Audience, when set, must appear in the token's "aud" claim.
	Audience string
}

// Enabled reports whether any signing algorithm is configured. When none is,
// every JWT is rejected.
func (c JWTConfig) Enabled() bool {
	return len(c.HS256Secret) > 0 || c.RS256PublicKey != nil
}

// claims is the JWT payload: the registered claims plus the product's own.
type claims struct {
	jwt.RegisteredClaims
	// Role is ADMIN, STAFF or GUEST.
	Role string `json:"role"`
	// Hotels are the UUIDs of the hotels a STAFF token manages.
	Hotels []string `json:"hotels,omitempty"`
}

// Verify checks a JWT's signature and claims and returns the principal it
// names. Every rejection is an UNAUTHENTICATED apperr error; its message never
// repeats the token.
func (c JWTConfig) Verify(token string) (*Principal, error) {
	if !c.Enabled() {
		return nil, invalidToken(errors.New("jwt authentication is not configured"))
	}
	if len(token) > maxTokenLen {
		return nil, invalidToken(errors.New("token too long"))
	}
	var methods []string
	if len(c.HS256Secret) > 0 {
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	if c.RS256PublicKey != nil {
		methods = append(methods, jwt.SigningMethodRS256.Alg())
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(clockSkew),
	}
	if c.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(c.Issuer))
	}
	if c.Audience != "" {
		opts = append(opts, jwt.WithAudience(c.Audience))
	}
	var cl claims
	_, err := jwt.ParseWithClaims(token, &cl, c.key, opts...)
	if errors.Is(err, jwt.ErrTokenExpired) {
		return nil, apperr.New(apperr.Unauthenticated, "token expired")
	}
	if err != nil {
		return nil, invalidToken(fmt.Errorf("parse jwt: %w", err))
	}
	p, err := cl.principal()
	if err != nil {
		return nil, invalidToken(fmt.Errorf("check jwt claims: %w", err))
	}
	p.Expires = cl.ExpiresAt.Add(clockSkew)
	return p, nil
}

// key returns the verification key for the token's algorithm. The parser has
// already refused algorithms that are not configured; the switch repeats the
// check so a key is never used with the wrong algorithm.
func (c JWTConfig) key(t *jwt.Token) (any, error) {
	switch t.Method.Alg() {
	case jwt.SigningMethodHS256.Alg():
		if len(c.HS256Secret) > 0 {
			return c.HS256Secret, nil
		}
	case jwt.SigningMethodRS256.Alg():
		if c.RS256PublicKey != nil {
			return c.RS256PublicKey, nil
		}
	}
	return nil, fmt.Errorf("algorithm %q not accepted", t.Method.Alg())
}

// principal turns verified claims into a principal, enforcing the product's
// rules on role, subject and hotels.
func (cl *claims) principal() (*Principal, error) {
	if cl.Subject == "" {
		return nil, errors.New("missing sub claim")
	}
	// The subject names the caller in booking owners and the audit trail.
	if len(cl.Subject) > 255 || strings.ContainsFunc(cl.Subject, unicode.IsControl) {
		return nil, errors.New("sub claim too long or with control characters")
	}
	p := &Principal{Role: Role(cl.Role), Subject: cl.Subject}
	switch p.Role {
	case RoleAdmin, RoleGuest:
	case RoleStaff:
		ids, err := parseHotelIDs(cl.Hotels)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, errors.New("staff token names no hotels")
		}
		p.HotelIDs = ids
	default:
		return nil, fmt.Errorf("role %q not accepted in a jwt", cl.Role)
	}
	return p, nil
}

func parseHotelIDs(raw []string) ([]uuid.UUID, error) {
	ids := make([]uuid.UUID, 0, len(raw))
	for _, s := range raw {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("parse hotel id: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// invalidToken is the error every rejected JWT gets; cause stays internal.
func invalidToken(cause error) error {
	return &apperr.Error{Code: apperr.Unauthenticated, Message: "invalid token", Err: cause}
}

// MintOpts describes a token for Mint.
type MintOpts struct {
	// Role is ADMIN, STAFF or GUEST.
	Role Role
	// Subject is the "sub" claim. It defaults to "admin" for ADMIN and
	// "staff" for STAFF; GUEST tokens must name their guest.
	Subject string
	// HotelIDs are the hotels a STAFF token manages; at least one is needed.
	HotelIDs []uuid.UUID
	// TTL is how long the token lives; zero means DefaultTokenTTL.
	TTL time.Duration
	// Issuer is the "iss" claim; empty leaves it out.
	Issuer string
	// Audience is the "aud" claim; empty leaves it out.
	Audience string
}

// Mint issues an HS256 token signed with secret, for development, tests and
// operators who run without an external identity provider.
func Mint(secret []byte, o MintOpts) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("mint token: empty hs256 secret")
	}
	if o.TTL < 0 {
		return "", errors.New("mint token: negative ttl")
	}
	if o.TTL == 0 {
		o.TTL = DefaultTokenTTL
	}
	cl := claims{Role: string(o.Role)}
	switch o.Role {
	case RoleAdmin:
		if o.Subject == "" {
			o.Subject = "admin"
		}
	case RoleStaff:
		if len(o.HotelIDs) == 0 {
			return "", errors.New("mint token: staff token needs at least one hotel")
		}
		if o.Subject == "" {
			o.Subject = "staff"
		}
		for _, id := range o.HotelIDs {
			cl.Hotels = append(cl.Hotels, id.String())
		}
	case RoleGuest:
		if o.Subject == "" {
			return "", errors.New("mint token: guest token needs a subject")
		}
	default:
		return "", fmt.Errorf("mint token: role %q not allowed in a jwt", o.Role)
	}
	now := time.Now()
	cl.Subject = o.Subject
	cl.Issuer = o.Issuer
	if o.Audience != "" {
		cl.Audience = jwt.ClaimStrings{o.Audience}
	}
	cl.IssuedAt = jwt.NewNumericDate(now)
	cl.ExpiresAt = jwt.NewNumericDate(now.Add(o.TTL))
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, cl).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("mint token: sign: %w", err)
	}
	return s, nil
}

// ParseRSAPublicKeyPEM reads the RSA public key that verifies RS256 tokens
// from PEM (PKIX "PUBLIC KEY", PKCS#1 "RSA PUBLIC KEY" or a certificate).
func ParseRSAPublicKeyPEM(pemBytes []byte) (*rsa.PublicKey, error) {
	k, err := jwt.ParseRSAPublicKeyFromPEM(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("parse rsa public key pem: %w", err)
	}
	return k, nil
}
