package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/db"
	"github.com/staygraph/staygraph/internal/textfield"
)

// Key format: sg_<prefix>_<secret>. The prefix is public (it identifies the
// key in listings and logs); the secret is 32 random bytes in unpadded
// base64url and is stored only as its SHA-256.
const (
	apiKeyMarker     = "sg_"
	apiKeyPrefixLen  = 12
	apiKeySecretLen  = 32
	apiKeyPrefixABC  = "abcdefghijklmnopqrstuvwxyz0123456789"
	maxAPIKeyNameLen = 200
)

// prefixConstraint is the unique constraint on api_keys.prefix.
const prefixConstraint = "api_keys_prefix_key"

// APIKey is a partner API key as administrators see it. The secret is never
// part of it: it is shown once, by Create.
type APIKey struct {
	// ID identifies the key.
	ID uuid.UUID
	// Version increases with every change (revocation).
	Version int64
	// Name says whom the key was issued to.
	Name string
	// Prefix is the public part of the key, "sg_<Prefix>_…".
	Prefix string
	// Scopes are what the key allows.
	Scopes []string
	// CreatedAt is when the key was issued.
	CreatedAt time.Time
	// RevokedAt is when the key was revoked; nil while it is active.
	RevokedAt *time.Time
	// LastUsedAt is when the key last authenticated a request, to the
	// minute; nil if never.
	LastUsedAt *time.Time
	// OldSecretValidUntil is, after a roll, until when the secret it
	// replaced authenticates (or did); nil for a key never rolled.
	OldSecretValidUntil *time.Time
}

// APIKeys issues, lists, revokes and verifies partner API keys.
type APIKeys struct {
	pool *pgxpool.Pool
	q    *db.Queries
}

// NewAPIKeys returns the API key store on pool.
func NewAPIKeys(pool *pgxpool.Pool) *APIKeys {
	return &APIKeys{pool: pool, q: db.New(pool)}
}

// write runs one statement in a transaction attributed to the caller in the
// audit trail. Callers have required an administrator, named as audit.Actor
// names it (audit imports this package).
func write[T any](ctx context.Context, k *APIKeys, stmt func(q *db.Queries) (T, error)) (T, error) {
	actor := "system:unknown"
	if p := FromContext(ctx); p != nil {
		actor = p.Name()
	}
	var row T
	err := postgres.InTx(ctx, postgres.WritesAs(k.pool, actor), func(tx pgx.Tx) error {
		var err error
		row, err = stmt(k.q.WithTx(tx))
		return err
	})
	return row, err
}

// Create issues a key named name with scopes and returns it with the full key
// string, which is shown this once and never stored. Administrators only.
func (k *APIKeys) Create(ctx context.Context, name string, scopes []string) (APIKey, string, error) {
	if err := RequireAdmin(ctx); err != nil {
		return APIKey{}, "", err
	}
	name = textfield.Trim(name)
	scopes, err := validateNewKey(name, scopes)
	if err != nil {
		return APIKey{}, "", err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create api key: new id: %w", err)
	}
	// A prefix collision among 36^12 values is practically impossible; retry
	// a few times rather than fail if it ever happens.
	for attempt := 0; ; attempt++ {
		prefix, secret, raw, err := newAPIKeyParts()
		if err != nil {
			return APIKey{}, "", fmt.Errorf("create api key: %w", err)
		}
		hash := sha256.Sum256(raw)
		row, err := write(ctx, k, func(q *db.Queries) (db.ApiKey, error) {
			return q.CreateAPIKey(ctx, db.CreateAPIKeyParams{
				ID:         id,
				Name:       name,
				Prefix:     prefix,
				SecretHash: hash[:],
				Scopes:     scopes,
			})
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == prefixConstraint && attempt < 3 {
			continue
		}
		if err != nil {
			return APIKey{}, "", fmt.Errorf("create api key: %w", err)
		}
		return apiKeyFromRow(row), apiKeyMarker + prefix + "_" + secret, nil
	}
}

// validateNewKey checks the input of Create and returns the scopes without
// duplicates.
func validateNewKey(name string, scopes []string) ([]string, error) {
	var errs apperr.List
	switch {
	case name == "":
		errs = append(errs, apperr.Invalid("name is required", "input", "name"))
	case utf8.RuneCountInString(name) > maxAPIKeyNameLen:
		errs = append(errs, apperr.Invalid(fmt.Sprintf("name is longer than %d characters", maxAPIKeyNameLen), "input", "name"))
	}
	if len(scopes) == 0 {
		errs = append(errs, apperr.Invalid("at least one scope is required", "input", "scopes"))
	}
	var out []string
	for i, s := range scopes {
		if !IsKnownScope(s) {
			errs = append(errs, apperr.Invalid(fmt.Sprintf("unknown scope %s (known: %s)", apperr.Quote(s), strings.Join(knownScopes, ", ")), "input", "scopes", strconv.Itoa(i)))
			continue
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// newAPIKeyParts returns a fresh random prefix, the encoded secret and the
// secret's raw bytes.
func newAPIKeyParts() (prefix, secret string, raw []byte, err error) {
	p := make([]byte, apiKeyPrefixLen)
	// Rejection sampling keeps every character equally likely: 252 is the
	// largest multiple of 36 that fits in a byte.
	var b [1]byte
	for i := 0; i < len(p); {
		if _, err := rand.Read(b[:]); err != nil {
			return "", "", nil, fmt.Errorf("random prefix: %w", err)
		}
		if b[0] < 252 {
			p[i] = apiKeyPrefixABC[b[0]%36]
			i++
		}
	}
	raw = make([]byte, apiKeySecretLen)
	if _, err := rand.Read(raw); err != nil {
		return "", "", nil, fmt.Errorf("random secret: %w", err)
	}
	return string(p), base64.RawURLEncoding.EncodeToString(raw), raw, nil
}

// List returns every key, revoked ones included, oldest first.
// Administrators only.
func (k *APIKeys) List(ctx context.Context) ([]APIKey, error) {
	if err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	rows, err := k.q.ListAPIKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	keys := make([]APIKey, 0, len(rows))
	for _, r := range rows {
		keys = append(keys, apiKeyFromRow(r))
	}
	return keys, nil
}

// Get returns the key with id, or NOT_FOUND. Administrators only.
func (k *APIKeys) Get(ctx context.Context, id uuid.UUID) (APIKey, error) {
	if err := RequireAdmin(ctx); err != nil {
		return APIKey{}, err
	}
	row, err := k.q.GetAPIKey(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return APIKey{}, apperr.New(apperr.NotFound, "api key not found")
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("get api key: %w", err)
	}
	return apiKeyFromRow(row), nil
}

// Revoke makes the key with id stop authenticating, effective for the next
// request, and returns it; revoking a revoked key keeps its first revocation
// time. NOT_FOUND for an unknown id. Administrators only.
func (k *APIKeys) Revoke(ctx context.Context, id uuid.UUID) (APIKey, error) {
	if err := RequireAdmin(ctx); err != nil {
		return APIKey{}, err
	}
	row, err := write(ctx, k, func(q *db.Queries) (db.ApiKey, error) { return q.RevokeAPIKey(ctx, id) })
	if errors.Is(err, pgx.ErrNoRows) {
		// Revoked already (nothing changes, nothing is audited), or unknown.
		row, err = k.q.GetAPIKey(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return APIKey{}, apperr.New(apperr.NotFound, "api key not found")
		}
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("revoke api key: %w", err)
	}
	return apiKeyFromRow(row), nil
}

// MaxOldSecretMinutes bounds how long a rolled key's old secret keeps
// working: a week.
const MaxOldSecretMinutes = 7 * 24 * 60

// Roll gives the active key with id a new secret and returns it with the
// full key string, shown this once. The key keeps its id, prefix and scopes
// — and so its partner keeps its bookings, idempotency keys and webhooks —
// and the secret it replaces still authenticates for keepOldMinutes (0 to
// MaxOldSecretMinutes), so the partner can deploy the new one without a
// gap. NOT_FOUND for an unknown key, CONFLICT for a revoked one.
// Administrators only.
func (k *APIKeys) Roll(ctx context.Context, id uuid.UUID, keepOldMinutes int) (APIKey, string, error) {
	if err := RequireAdmin(ctx); err != nil {
		return APIKey{}, "", err
	}
	if keepOldMinutes < 0 || keepOldMinutes > MaxOldSecretMinutes {
		return APIKey{}, "", apperr.Invalid(fmt.Sprintf("the old secret may be kept 0 to %d minutes", MaxOldSecretMinutes), "input", "keepOldSecretMinutes")
	}
	current, err := k.Get(ctx, id)
	if err != nil {
		return APIKey{}, "", err
	}
	_, secret, raw, err := newAPIKeyParts()
	if err != nil {
		return APIKey{}, "", fmt.Errorf("roll api key: %w", err)
	}
	hash := sha256.Sum256(raw)
	row, err := write(ctx, k, func(q *db.Queries) (db.ApiKey, error) {
		return q.RollAPIKey(ctx, db.RollAPIKeyParams{ID: id, Version: current.Version, SecretHash: hash[:],
			PreviousValidUntil: ptr(time.Now().Add(time.Duration(keepOldMinutes) * time.Minute))})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		if current.RevokedAt != nil {
			return APIKey{}, "", apperr.New(apperr.Conflict, "the api key is revoked: create a new one")
		}
		// Another roll (or a revocation) came first: its secret stands.
		return APIKey{}, "", apperr.New(apperr.StaleVersion, "the api key changed meanwhile (another roll or a revocation); get it again")
	}
	if err != nil {
		return APIKey{}, "", fmt.Errorf("roll api key: %w", err)
	}
	return apiKeyFromRow(row), apiKeyMarker + current.Prefix + "_" + secret, nil
}

func ptr[T any](v T) *T { return &v }

// Verify checks a full key string and returns the PARTNER principal it
// authenticates. Malformed, unknown, wrong and revoked keys all get the same
// UNAUTHENTICATED error, so a caller cannot tell which it was. A database
// failure is returned as an internal error.
func (k *APIKeys) Verify(ctx context.Context, key string) (*Principal, error) {
	prefix, raw, ok := splitAPIKey(key)
	if !ok {
		return nil, invalidAPIKey()
	}
	row, err := k.q.GetAPIKeyByPrefix(ctx, prefix)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, invalidAPIKey()
	}
	if err != nil {
		return nil, fmt.Errorf("look up api key: %w", err)
	}
	hash := sha256.Sum256(raw)
	accepted, expires := secretAccepted(row, hash, time.Now())
	if !accepted || row.RevokedAt != nil {
		return nil, invalidAPIKey()
	}
	// last_used_at is bookkeeping (the query writes at most once a minute);
	// failing to record it must not fail the partner's request.
	if err := k.q.TouchAPIKey(ctx, row.ID); err != nil && ctx.Err() == nil {
		slog.WarnContext(ctx, "record api key use", "api_key_id", row.ID, "err", err)
	}
	return &Principal{
		Role:         RolePartner,
		Subject:      APIKeySubject(row.ID),
		Scopes:       slices.Clone(row.Scopes),
		APIKeyID:     row.ID,
		Expires:      expires,
		apiKeySecret: hash,
	}, nil
}

// secretAccepted says whether the secret whose SHA-256 is hash opens the key
// of row at now: its current secret, or the one a roll replaced until its
// time is up — then expires is that time (a socket it opened closes then).
func secretAccepted(row db.ApiKey, hash [32]byte, now time.Time) (accepted bool, expires time.Time) {
	if subtle.ConstantTimeCompare(hash[:], row.SecretHash) == 1 {
		return true, time.Time{}
	}
	if row.PreviousSecretHash != nil && row.PreviousValidUntil != nil &&
		subtle.ConstantTimeCompare(hash[:], row.PreviousSecretHash) == 1 && now.Before(*row.PreviousValidUntil) {
		return true, *row.PreviousValidUntil
	}
	return false, time.Time{}
}

// stillValid reports whether the key with id exists, is not revoked, and
// still accepts the secret whose SHA-256 is secret (a roll may have
// replaced it).
func (k *APIKeys) stillValid(ctx context.Context, id uuid.UUID, secret [32]byte) error {
	row, err := k.q.GetAPIKey(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && row.RevokedAt != nil) {
		return invalidAPIKey()
	}
	if err != nil {
		return fmt.Errorf("look up api key: %w", err)
	}
	if ok, _ := secretAccepted(row, secret, time.Now()); !ok {
		return invalidAPIKey()
	}
	return nil
}

// IsAPIKeyPrefix reports whether s has the form of a key's public prefix
// (APIKey.Prefix): 12 lowercase letters and digits.
func IsAPIKeyPrefix(s string) bool {
	if len(s) != apiKeyPrefixLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(apiKeyPrefixABC, rune(s[i])) {
			return false
		}
	}
	return true
}

// splitAPIKey parses "sg_<prefix>_<secret>" into the prefix and the secret's
// raw bytes.
func splitAPIKey(key string) (prefix string, raw []byte, ok bool) {
	rest, ok := strings.CutPrefix(key, apiKeyMarker)
	if !ok || len(rest) < apiKeyPrefixLen+1 || rest[apiKeyPrefixLen] != '_' {
		return "", nil, false
	}
	prefix, secret := rest[:apiKeyPrefixLen], rest[apiKeyPrefixLen+1:]
	if !IsAPIKeyPrefix(prefix) {
		return "", nil, false
	}
	if len(secret) != base64.RawURLEncoding.EncodedLen(apiKeySecretLen) {
		return "", nil, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(secret)
	if err != nil || len(raw) != apiKeySecretLen {
		return "", nil, false
	}
	return prefix, raw, true
}

// invalidAPIKey is the one error every rejected key gets.
func invalidAPIKey() error {
	return apperr.New(apperr.Unauthenticated, "invalid api key")
}

func apiKeyFromRow(r db.ApiKey) APIKey {
	scopes := r.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return APIKey{
		ID:                  r.ID,
		Version:             r.Version,
		Name:                r.Name,
		Prefix:              r.Prefix,
		Scopes:              scopes,
		CreatedAt:           r.CreatedAt,
		RevokedAt:           r.RevokedAt,
		LastUsedAt:          r.LastUsedAt,
		OldSecretValidUntil: r.PreviousValidUntil,
	}
}
