package auth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/server"
)

// whoami answers with the principal server.Authenticate put in the context.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	if p == nil {
		io.WriteString(w, "anonymous")
		return
	}
	io.WriteString(w, string(p.Role)+" "+p.Subject)
})

func serve(t *testing.T, a *auth.Authenticator, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{__typename}"}`))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	server.Authenticate(a)(whoami).ServeHTTP(rec, req)
	return rec
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	b := setupAPIKeys(t)
	a := auth.NewAuthenticator(auth.JWTConfig{HS256Secret: testSecret}, b.keys)

	staffTok, err := auth.Mint(testSecret, auth.MintOpts{Role: auth.RoleStaff, Subject: "ana", HotelIDs: []uuid.UUID{uuid.New()}})
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	key, apiKey, err := b.keys.Create(b.admin, "partner", []string{auth.ScopeSearch})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	revokedKey, revokedAPIKey, err := b.keys.Create(b.admin, "gone", []string{auth.ScopeSearch})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := b.keys.Revoke(b.admin, revokedKey.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	expired := claimsMap("ADMIN")
	expired["iat"], expired["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
	expiredTok := sign(t, jwt.SigningMethodHS256, testSecret, expired)
	forgedTok := sign(t, jwt.SigningMethodHS256, []byte("guessed"), claimsMap("ADMIN"))

	passing := []struct {
		name   string
		header map[string]string
		want   string
	}{
		{"anonymous", nil, "anonymous"},
		{"jwt", map[string]string{"Authorization": "Bearer " + staffTok}, "STAFF ana"},
		{"lowercase scheme", map[string]string{"Authorization": "bearer " + staffTok}, "STAFF ana"},
		{"api key as bearer", map[string]string{"Authorization": "Bearer " + apiKey}, "PARTNER apikey:" + key.ID.String()},
		{"api key header", map[string]string{"X-API-Key": apiKey}, "PARTNER apikey:" + key.ID.String()},
	}
	for _, tt := range passing {
		rec := serve(t, a, tt.header)
		if rec.Code != http.StatusOK || rec.Body.String() != tt.want {
			t.Errorf("%s: got %d %q, want 200 %q", tt.name, rec.Code, rec.Body.String(), tt.want)
		}
	}

	rejected := []struct {
		name   string
		header map[string]string
	}{
		{"garbage bearer", map[string]string{"Authorization": "Bearer not-a-token"}},
		{"forged jwt", map[string]string{"Authorization": "Bearer " + forgedTok}},
		{"expired jwt", map[string]string{"Authorization": "Bearer " + expiredTok}},
		{"revoked api key", map[string]string{"X-API-Key": revokedAPIKey}},
		{"revoked api key as bearer", map[string]string{"Authorization": "Bearer " + revokedAPIKey}},
		{"empty bearer", map[string]string{"Authorization": "Bearer "}},
		{"basic scheme", map[string]string{"Authorization": "Basic YWRtaW46YWRtaW4="}},
		{"two credentials", map[string]string{"Authorization": "Bearer " + staffTok, "X-API-Key": apiKey}},
	}
	for _, tt := range rejected {
		rec := serve(t, a, tt.header)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401 (body %q)", tt.name, rec.Code, rec.Body.String())
			continue
		}
		if got := rec.Header().Get("Content-Type"); got != "application/json" {
			t.Errorf("%s: Content-Type %q", tt.name, got)
		}
		if got := rec.Header().Get("WWW-Authenticate"); got != "Bearer" {
			t.Errorf("%s: WWW-Authenticate %q", tt.name, got)
		}
		var body struct {
			Errors []struct {
				Message    string
				Extensions struct{ Code string }
			}
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Errorf("%s: body %q: %v", tt.name, rec.Body.String(), err)
			continue
		}
		if len(body.Errors) != 1 || body.Errors[0].Extensions.Code != "UNAUTHENTICATED" || body.Errors[0].Message == "" {
			t.Errorf("%s: body %q, want one UNAUTHENTICATED error", tt.name, rec.Body.String())
		}
		for _, v := range tt.header {
			if tok := strings.TrimPrefix(v, "Bearer "); len(tok) > 8 && strings.Contains(rec.Body.String(), tok) {
				t.Errorf("%s: response repeats the credential", tt.name)
			}
		}
	}
}

// A database outage is a server failure, not bad credentials: clients must
// not throw away a good key because of it.
func TestAuthenticateDatabaseDownIsNot401(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewDB(t)
	keys := auth.NewAPIKeys(pool)
	pool.Close()
	a := auth.NewAuthenticator(auth.JWTConfig{HS256Secret: testSecret}, keys)
	rec := serve(t, a, map[string]string{"X-API-Key": "sg_abcdefghijkl_" + strings.Repeat("A", 43)})
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"INTERNAL"`) {
		t.Errorf("got %d %q, want 500 INTERNAL", rec.Code, rec.Body.String())
	}
}
