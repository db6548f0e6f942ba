package auth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

type apiKeyBundle struct {
	pool  *pgxpool.Pool
	keys  *auth.APIKeys
	admin context.Context
}

func setupAPIKeys(t *testing.T) apiKeyBundle {
	t.Helper()
	pool := pgtest.NewDB(t)
	return apiKeyBundle{
		pool:  pool,
		keys:  auth.NewAPIKeys(pool),
		admin: auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"}),
	}
}

func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	b := setupAPIKeys(t)

	key, secret, err := b.keys.Create(b.admin, "  Acme OTA ", []string{auth.ScopeSearch, auth.ScopeBook, auth.ScopeSearch})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if key.Name != "Acme OTA" || key.Version != 1 || key.RevokedAt != nil || key.LastUsedAt != nil {
		t.Errorf("Create = %+v", key)
	}
	if !slices.Equal(key.Scopes, []string{auth.ScopeSearch, auth.ScopeBook}) {
		t.Errorf("scopes = %v, want [search book] without duplicates", key.Scopes)
	}
	if want := "sg_" + key.Prefix + "_"; !strings.HasPrefix(secret, want) || len(key.Prefix) != 12 {
		t.Errorf("key %q does not start with %q (12-char prefix)", secret, want)
	}

	p, err := b.keys.Verify(context.Background(), secret)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p.Role != auth.RolePartner || p.APIKeyID != key.ID || p.Subject != "apikey:"+key.ID.String() ||
		!p.HasScope(auth.ScopeBook) || p.HasScope(auth.ScopeWebhooks) || p.IsAdmin() {
		t.Errorf("Verify = %+v", *p)
	}
	got, err := b.keys.Get(b.admin, key.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.LastUsedAt == nil {
		t.Error("LastUsedAt not recorded by Verify")
	}

	revoked, err := b.keys.Revoke(b.admin, key.ID)
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if revoked.RevokedAt == nil || revoked.Version != 2 {
		t.Errorf("Revoke = %+v, want revoked at version 2", revoked)
	}
	// Revoking again, twice at once, changes nothing and records nothing.
	var audited int
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_log WHERE entity_id = $1", key.ID.String()).Scan(&audited))
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			again, err := b.keys.Revoke(b.admin, key.ID)
			if err != nil || again.Version != 2 || !again.RevokedAt.Equal(*revoked.RevokedAt) {
				t.Errorf("Revoke again = %+v, %v; want it unchanged at version 2", again, err)
			}
		})
	}
	wg.Wait()
	var after int
	must(b.pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_log WHERE entity_id = $1", key.ID.String()).Scan(&after))
	if after != audited {
		t.Errorf("revoking a revoked key added %d audit entries", after-audited)
	}
	if p, err := b.keys.Verify(context.Background(), secret); !apperr.HasCode(err, apperr.Unauthenticated) {
		t.Fatalf("Verify(revoked) = %+v, %v; want UNAUTHENTICATED", p, err)
	}

	list, err := b.keys.List(b.admin)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 1 || list[0].ID != key.ID || list[0].RevokedAt == nil {
		t.Errorf("List = %+v, want the one revoked key", list)
	}
}

func TestAPIKeyRejectionsLookAlike(t *testing.T) {
	t.Parallel()
	b := setupAPIKeys(t)
	key, secret, err := b.keys.Create(b.admin, "partner", []string{auth.ScopeSearch})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	revokedKey, revokedSecret, err := b.keys.Create(b.admin, "old partner", []string{auth.ScopeSearch})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := b.keys.Revoke(b.admin, revokedKey.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	otherSecret := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

	bad := map[string]string{
		"wrong secret":   "sg_" + key.Prefix + "_" + otherSecret,
		"unknown prefix": "sg_zzzzzzzzzzzz_" + otherSecret,
		"revoked":        revokedSecret,
		"truncated":      secret[:len(secret)-1],
		"no marker":      strings.TrimPrefix(secret, "sg_"),
		"uppercase":      strings.ToUpper(secret),
		"empty":          "",
	}
	var messages []string
	for name, k := range bad {
		p, err := b.keys.Verify(context.Background(), k)
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Unauthenticated {
			t.Errorf("%s: Verify = %+v, %v; want UNAUTHENTICATED", name, p, err)
			continue
		}
		messages = append(messages, e.Message)
	}
	slices.Sort(messages)
	if len(slices.Compact(messages)) != 1 {
		t.Errorf("rejections differ in message, leaking why: %q", messages)
	}
}

func TestAPIKeySecretNotStored(t *testing.T) {
	t.Parallel()
	b := setupAPIKeys(t)
	key, full, err := b.keys.Create(b.admin, "partner", []string{auth.ScopeSearch})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	secret := strings.TrimPrefix(full, "sg_"+key.Prefix+"_")
	raw, err := base64.RawURLEncoding.DecodeString(secret)
	if err != nil {
		t.Fatalf("decode secret: %v", err)
	}

	var row string
	var hash []byte
	err = b.pool.QueryRow(context.Background(),
		`SELECT row_to_json(k)::text, secret_hash FROM api_keys k WHERE id = $1`, key.ID).Scan(&row, &hash)
	if err != nil {
		t.Fatalf("select api key row: %v", err)
	}
	for _, needle := range []string{secret, hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw)} {
		if strings.Contains(row, needle) {
			t.Errorf("api_keys row contains the secret (%q)", needle)
		}
	}
	if bytes.Contains(hash, raw) || bytes.Contains(hash, []byte(secret)) {
		t.Error("secret_hash contains the secret")
	}
	if want := sha256.Sum256(raw); !bytes.Equal(hash, want[:]) {
		t.Errorf("secret_hash = %x, want the SHA-256 of the secret", hash)
	}
}

func TestAPIKeyAdministrationNeedsAdmin(t *testing.T) {
	t.Parallel()
	b := setupAPIKeys(t)
	key, _, err := b.keys.Create(b.admin, "partner", []string{auth.ScopeSearch})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	staff := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleStaff, Subject: "s", HotelIDs: []uuid.UUID{uuid.New()}})
	partner := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RolePartner, Subject: "apikey:x", Scopes: []string{auth.ScopeSearch}})

	for _, c := range []struct {
		name string
		ctx  context.Context
		code apperr.Code
	}{
		{"staff", staff, apperr.Forbidden},
		{"partner", partner, apperr.Forbidden},
		{"anonymous", context.Background(), apperr.Unauthenticated},
	} {
		if _, _, err := b.keys.Create(c.ctx, "mine", []string{auth.ScopeSearch}); !apperr.HasCode(err, c.code) {
			t.Errorf("%s: Create = %v, want %s", c.name, err, c.code)
		}
		if _, err := b.keys.List(c.ctx); !apperr.HasCode(err, c.code) {
			t.Errorf("%s: List = %v, want %s", c.name, err, c.code)
		}
		if _, err := b.keys.Get(c.ctx, key.ID); !apperr.HasCode(err, c.code) {
			t.Errorf("%s: Get = %v, want %s", c.name, err, c.code)
		}
		if _, err := b.keys.Revoke(c.ctx, key.ID); !apperr.HasCode(err, c.code) {
			t.Errorf("%s: Revoke = %v, want %s", c.name, err, c.code)
		}
	}
	list, err := b.keys.List(b.admin)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 1 || list[0].RevokedAt != nil {
		t.Errorf("refused calls changed the keys: %+v", list)
	}
}

func TestAPIKeyCreateValidation(t *testing.T) {
	t.Parallel()
	b := setupAPIKeys(t)
	tests := []struct {
		name   string
		key    string
		scopes []string
		field  string
	}{
		{"empty name", "  ", []string{auth.ScopeSearch}, "name"},
		{"long name", strings.Repeat("é", 201), []string{auth.ScopeSearch}, "name"},
		{"no scopes", "partner", nil, "scopes"},
		{"unknown scope", "partner", []string{auth.ScopeSearch, "admin"}, "scopes.1"},
	}
	for _, tt := range tests {
		_, _, err := b.keys.Create(b.admin, tt.key, tt.scopes)
		errs, ok := apperr.All(err)
		if !ok || len(errs) != 1 || errs[0].Code != apperr.InvalidInput || strings.Join(errs[0].Field, ".") != "input."+tt.field {
			t.Errorf("%s: Create = %v, want INVALID_INPUT on input.%s", tt.name, err, tt.field)
		}
	}
	if _, _, err := b.keys.Create(b.admin, strings.Repeat("é", 200), []string{auth.ScopeWebhooks}); err != nil {
		t.Errorf("Create with a 200-character name: %v", err)
	}
	if list, err := b.keys.List(b.admin); err != nil || len(list) != 1 {
		t.Errorf("List = %d keys, %v; want only the valid one", len(list), err)
	}
}

func TestAPIKeyUnknownID(t *testing.T) {
	t.Parallel()
	b := setupAPIKeys(t)
	if _, err := b.keys.Revoke(b.admin, uuid.New()); !apperr.HasCode(err, apperr.NotFound) {
		t.Errorf("Revoke(unknown) = %v, want NOT_FOUND", err)
	}
	if _, err := b.keys.Get(b.admin, uuid.New()); !apperr.HasCode(err, apperr.NotFound) {
		t.Errorf("Get(unknown) = %v, want NOT_FOUND", err)
	}
	if list, err := b.keys.List(b.admin); err != nil || list == nil || len(list) != 0 {
		t.Errorf("List(empty) = %#v, %v; want an empty slice", list, err)
	}
}

// Rolling a key gives it a new secret and keeps what it is: its id,
// prefix, scopes and so the principal (the owner of its partner's
// bookings). The old secret works for the time asked, as a principal that
// expires then; with 0 it stops at once; a revoked key cannot be rolled.
func TestAPIKeyRoll(t *testing.T) {
	t.Parallel()
	b := setupAPIKeys(t)
	key, oldSecret, err := b.keys.Create(b.admin, "Acme OTA", []string{auth.ScopeSearch, auth.ScopeBook})
	if err != nil {
		t.Fatal(err)
	}
	before, err := b.keys.Verify(context.Background(), oldSecret)
	if err != nil {
		t.Fatal(err)
	}

	rolled, newSecret, err := b.keys.Roll(b.admin, key.ID, 60)
	if err != nil {
		t.Fatalf("Roll: %v", err)
	}
	if rolled.ID != key.ID || rolled.Prefix != key.Prefix || !slices.Equal(rolled.Scopes, key.Scopes) || rolled.Version != key.Version+1 ||
		rolled.OldSecretValidUntil == nil || time.Until(*rolled.OldSecretValidUntil) < 59*time.Minute {
		t.Fatalf("rolled %+v from %+v, want the same key with the old secret valid for an hour", rolled, key)
	}
	if newSecret == oldSecret || !strings.HasPrefix(newSecret, "sg_"+key.Prefix+"_") {
		t.Fatalf("new secret %q (old %q), want another secret with the same prefix", newSecret, oldSecret)
	}
	now, err := b.keys.Verify(context.Background(), newSecret)
	if err != nil || now.Name() != before.Name() || !now.Expires.IsZero() {
		t.Fatalf("the new secret: %+v %v, want the same principal %s, not expiring", now, err, before.Name())
	}
	old, err := b.keys.Verify(context.Background(), oldSecret)
	if err != nil || old.Name() != before.Name() || !old.Expires.Equal(*rolled.OldSecretValidUntil) {
		t.Fatalf("the old secret during its hour: %+v %v, want the same principal expiring at %v", old, err, rolled.OldSecretValidUntil)
	}
	// A connection opened with the old secret before the roll stays open
	// while that secret is accepted ...
	authn := auth.NewAuthenticator(auth.JWTConfig{}, b.keys)
	if err := authn.StillValid(context.Background(), before); err != nil {
		t.Fatalf("a connection of the old secret during its hour: %v", err)
	}

	// Rolled again with 0: the secret before stops at once, the one rolled
	// out an hour ago too (only the last one replaced is kept).
	_, third, err := b.keys.Roll(b.admin, key.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"first": oldSecret, "second": newSecret} {
		if _, err := b.keys.Verify(context.Background(), s); !apperr.HasCode(err, apperr.Unauthenticated) {
			t.Errorf("the %s secret after a roll with 0 minutes: %v, want UNAUTHENTICATED", name, err)
		}
	}
	if _, err := b.keys.Verify(context.Background(), third); err != nil {
		t.Fatalf("the third secret: %v", err)
	}
	// ... and is closed once it is not: connections of rolled-out secrets
	// end at their next check, those of the current one go on.
	for name, p := range map[string]*auth.Principal{"opened before the first roll": before, "opened during the hour": old} {
		if err := authn.StillValid(context.Background(), p); !apperr.HasCode(err, apperr.Unauthenticated) {
			t.Errorf("a connection %s, after its secret was rolled out: %v, want UNAUTHENTICATED", name, err)
		}
	}
	if p, err := b.keys.Verify(context.Background(), third); err != nil || authn.StillValid(context.Background(), p) != nil {
		t.Fatalf("a connection of the current secret: %v", err)
	}
	// The secrets' hashes are not in the audit trail.
	var leaked int
	if err := b.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE entity = 'api_keys' AND changes ?| array['secret_hash', 'previous_secret_hash']`).Scan(&leaked); err != nil || leaked != 0 {
		t.Fatalf("%d audit entries hold a secret's hash (%v)", leaked, err)
	}

	for name, minutes := range map[string]int{"negative": -1, "over a week": auth.MaxOldSecretMinutes + 1} {
		if _, _, err := b.keys.Roll(b.admin, key.ID, minutes); !apperr.HasCode(err, apperr.InvalidInput) {
			t.Errorf("roll keeping the old secret %s: %v, want INVALID_INPUT", name, err)
		}
	}
	if _, _, err := b.keys.Roll(b.admin, uuid.New(), 60); !apperr.HasCode(err, apperr.NotFound) {
		t.Errorf("roll of an unknown key: %v, want NOT_FOUND", err)
	}
	if _, err := b.keys.Revoke(b.admin, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.keys.Roll(b.admin, key.ID, 60); !apperr.HasCode(err, apperr.Conflict) {
		t.Errorf("roll of a revoked key: %v, want CONFLICT", err)
	}
	if _, _, err := b.keys.Roll(context.Background(), key.ID, 60); err == nil {
		t.Error("roll without credentials succeeded")
	}
}

// Two administrators rolling one key at once, both having read it before
// either wrote (the test holds the key's row until both wait on it): one
// gets the new secret, the other STALE_VERSION — never a secret that is
// already on its way out.
func TestAPIKeyConcurrentRolls(t *testing.T) {
	t.Parallel()
	b := setupAPIKeys(t)
	ctx := context.Background()
	key, _, err := b.keys.Create(b.admin, "Acme OTA", []string{auth.ScopeSearch})
	if err != nil {
		t.Fatal(err)
	}
	lock, err := b.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx) //nolint:errcheck
	if _, err := lock.Exec(ctx, `SELECT FROM api_keys WHERE id = $1 FOR UPDATE`, key.ID); err != nil {
		t.Fatal(err)
	}
	type result struct {
		secret string
		err    error
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			_, secret, err := b.keys.Roll(b.admin, key.ID, 60)
			results <- result{secret, err}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE '%RollAPIKey%'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d rolls wait on the key's row, want 2", waiting)
		}
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	first, second := <-results, <-results
	if first.err != nil {
		first, second = second, first
	}
	if first.err != nil || !apperr.HasCode(second.err, apperr.StaleVersion) || second.secret != "" {
		t.Fatalf("rolls: %v and %v, want one secret and one STALE_VERSION", first.err, second.err)
	}
	if p, err := b.keys.Verify(ctx, first.secret); err != nil || !p.Expires.IsZero() {
		t.Fatalf("the winning roll's secret: %+v %v, want it current", p, err)
	}
}
