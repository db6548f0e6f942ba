package auth_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
)

var testSecret = []byte("test-secret-at-least-32-bytes-long!!")

// rsaKey generates a key pair and returns it with the public half parsed
// back from PEM, as a server would load it.
func rsaKey(t *testing.T) (*rsa.PrivateKey, *rsa.PublicKey, []byte) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generate rsa key: %v", err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatalf("marshal public key: %v", err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pub, err := auth.ParseRSAPublicKeyPEM(pemBytes)
	if err != nil {
		t.Fatalf("ParseRSAPublicKeyPEM: %v", err)
	}
	return priv, pub, pemBytes
}

// claimsMap is a valid payload for a token signed by hand; tests break one
// field at a time.
func claimsMap(role string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub":  "someone",
		"role": role,
		"iat":  now.Unix(),
		"exp":  now.Add(time.Hour).Unix(),
	}
}

func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatalf("sign token: %v", err)
	}
	return s
}

func TestHS256RoundTrip(t *testing.T) {
	t.Parallel()
	hotelA, hotelB := uuid.New(), uuid.New()
	cfg := auth.JWTConfig{HS256Secret: testSecret, Issuer: "staygraph", Audience: "api"}
	tests := []struct {
		opts auth.MintOpts
		want auth.Principal
	}{
		{auth.MintOpts{Role: auth.RoleAdmin}, auth.Principal{Role: auth.RoleAdmin, Subject: "admin"}},
		{auth.MintOpts{Role: auth.RoleStaff, HotelIDs: []uuid.UUID{hotelA, hotelB}},
			auth.Principal{Role: auth.RoleStaff, Subject: "staff", HotelIDs: []uuid.UUID{hotelA, hotelB}}},
		{auth.MintOpts{Role: auth.RoleGuest, Subject: "guest-42", TTL: time.Minute},
			auth.Principal{Role: auth.RoleGuest, Subject: "guest-42"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.opts.Role), func(t *testing.T) {
			t.Parallel()
			tt.opts.Issuer, tt.opts.Audience = cfg.Issuer, cfg.Audience
			tok, err := auth.Mint(testSecret, tt.opts)
			if err != nil {
				t.Fatalf("Mint: %v", err)
			}
			p, err := cfg.Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Role != tt.want.Role || p.Subject != tt.want.Subject || !slices.Equal(p.HotelIDs, tt.want.HotelIDs) {
				t.Errorf("Verify = %+v, want %+v", *p, tt.want)
			}
		})
	}
}

func TestRS256RoundTrip(t *testing.T) {
	t.Parallel()
	priv, pub, _ := rsaKey(t)
	hotel := uuid.New()
	c := claimsMap("STAFF")
	c["hotels"] = []string{hotel.String()}
	tok := sign(t, jwt.SigningMethodRS256, priv, c)

	// Both algorithms configured: the RS256 token still verifies.
	cfg := auth.JWTConfig{HS256Secret: testSecret, RS256PublicKey: pub}
	p, err := cfg.Verify(tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p.Role != auth.RoleStaff || p.Subject != "someone" || !p.CanManageHotel(hotel) {
		t.Errorf("Verify = %+v, want staff of %s", *p, hotel)
	}
}

func TestRejectedTokens(t *testing.T) {
	t.Parallel()
	priv, pub, pubPEM := rsaKey(t)
	otherPriv, _, _ := rsaKey(t)
	hsOnly := auth.JWTConfig{HS256Secret: testSecret}
	rsOnly := auth.JWTConfig{RS256PublicKey: pub}
	withIss := auth.JWTConfig{HS256Secret: testSecret, Issuer: "staygraph", Audience: "api"}

	expired := claimsMap("ADMIN")
	expired["iat"] = time.Now().Add(-2 * time.Hour).Unix()
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	noExp := claimsMap("ADMIN")
	delete(noExp, "exp")
	noSub := claimsMap("GUEST")
	delete(noSub, "sub")
	nulSub := claimsMap("GUEST")
	nulSub["sub"] = "ana\x00admin"
	longSub := claimsMap("GUEST")
	longSub["sub"] = strings.Repeat("a", 256)
	staffNoHotels := claimsMap("STAFF")
	staffBadHotel := claimsMap("STAFF")
	staffBadHotel["hotels"] = []string{"not-a-uuid"}
	wrongIss := claimsMap("ADMIN")
	wrongIss["iss"], wrongIss["aud"] = "evil", "api"
	wrongAud := claimsMap("ADMIN")
	wrongAud["iss"], wrongAud["aud"] = "staygraph", "other"
	noneTok := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsMap("ADMIN"))

	tests := []struct {
		name string
		cfg  auth.JWTConfig
		tok  string
	}{
		{"expired", hsOnly, sign(t, jwt.SigningMethodHS256, testSecret, expired)},
		{"forged with wrong secret", hsOnly, sign(t, jwt.SigningMethodHS256, []byte("not-the-secret"), claimsMap("ADMIN"))},
		{"alg none", hsOnly, noneTok},
		{"alg none with rs256", rsOnly, noneTok},
		{"hs256 when only rs256 configured", rsOnly, sign(t, jwt.SigningMethodHS256, testSecret, claimsMap("ADMIN"))},
		{"hs256 signed with the rsa public key", rsOnly, sign(t, jwt.SigningMethodHS256, pubPEM, claimsMap("ADMIN"))},
		{"rs256 when only hs256 configured", hsOnly, sign(t, jwt.SigningMethodRS256, priv, claimsMap("ADMIN"))},
		{"rs256 from another key", rsOnly, sign(t, jwt.SigningMethodRS256, otherPriv, claimsMap("ADMIN"))},
		{"hs512", hsOnly, sign(t, jwt.SigningMethodHS512, testSecret, claimsMap("ADMIN"))},
		{"nothing configured", auth.JWTConfig{}, sign(t, jwt.SigningMethodHS256, testSecret, claimsMap("ADMIN"))},
		{"no exp", hsOnly, sign(t, jwt.SigningMethodHS256, testSecret, noExp)},
		{"no sub", hsOnly, sign(t, jwt.SigningMethodHS256, testSecret, noSub)},
		{"sub with a NUL", hsOnly, sign(t, jwt.SigningMethodHS256, testSecret, nulSub)},
		{"sub of 256 bytes", hsOnly, sign(t, jwt.SigningMethodHS256, testSecret, longSub)},
		{"partner role", hsOnly, sign(t, jwt.SigningMethodHS256, testSecret, claimsMap("PARTNER"))},
		{"unknown role", hsOnly, sign(t, jwt.SigningMethodHS256, testSecret, claimsMap("ROOT"))},
		{"lowercase role", hsOnly, sign(t, jwt.SigningMethodHS256, testSecret, claimsMap("admin"))},
		{"staff without hotels", hsOnly, sign(t, jwt.SigningMethodHS256, testSecret, staffNoHotels)},
		{"staff with bad hotel id", hsOnly, sign(t, jwt.SigningMethodHS256, testSecret, staffBadHotel)},
		{"wrong issuer", withIss, sign(t, jwt.SigningMethodHS256, testSecret, wrongIss)},
		{"wrong audience", withIss, sign(t, jwt.SigningMethodHS256, testSecret, wrongAud)},
		{"missing issuer", withIss, sign(t, jwt.SigningMethodHS256, testSecret, claimsMap("ADMIN"))},
		{"garbage", hsOnly, "not.a.jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := tt.cfg.Verify(tt.tok)
			if !apperr.HasCode(err, apperr.Unauthenticated) {
				t.Fatalf("Verify = %+v, %v; want UNAUTHENTICATED", p, err)
			}
			if e, _ := apperr.As(err); e.Message == "" || len(e.Message) > 40 {
				t.Errorf("message %q: want a short client-facing message", e.Message)
			}
		})
	}
}

func TestMintRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		secret []byte
		opts   auth.MintOpts
	}{
		{"no secret", nil, auth.MintOpts{Role: auth.RoleAdmin}},
		{"partner", testSecret, auth.MintOpts{Role: auth.RolePartner, Subject: "p"}},
		{"staff without hotels", testSecret, auth.MintOpts{Role: auth.RoleStaff}},
		{"guest without subject", testSecret, auth.MintOpts{Role: auth.RoleGuest}},
		{"negative ttl", testSecret, auth.MintOpts{Role: auth.RoleAdmin, TTL: -time.Hour}},
	}
	for _, tt := range tests {
		if tok, err := auth.Mint(tt.secret, tt.opts); err == nil {
			t.Errorf("%s: Mint = %q, want error", tt.name, tok)
		}
	}
}

func TestParseRSAPublicKeyPEMRejectsGarbage(t *testing.T) {
	t.Parallel()
	if _, err := auth.ParseRSAPublicKeyPEM([]byte("not pem")); err == nil {
		t.Error("ParseRSAPublicKeyPEM(garbage) = nil error")
	}
}
