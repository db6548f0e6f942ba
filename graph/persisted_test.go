package graph_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/server"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func persisted(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	q := "query Count { hotels { totalCount } }"

	// The hash alone is unknown at first; the client then sends both.
	if r := c.post(t, nil, gql{Extensions: persisted(sha(q))}); r.code() != "PERSISTED_QUERY_NOT_FOUND" {
		t.Fatalf("unknown hash: %s", r.raw)
	}
	ok(t, "hash and query", c.post(t, nil, gql{Query: q, Extensions: persisted(sha(q))}))
	r := c.post(t, nil, gql{Extensions: persisted(sha(q))})
	ok(t, "hash only, afterwards", r)
	if string(r.Data) != `{"hotels":{"totalCount":0}}` {
		t.Fatalf("data %s", r.Data)
	}
	// A hash that does not match its query is refused, and poisons nothing.
	other := "{ viewer { role } }"
	if r := c.post(t, nil, gql{Query: other, Extensions: persisted(sha(q))}); r.code() != "PERSISTED_QUERY_INVALID" {
		t.Fatalf("mismatched hash: %s", r.raw)
	}
	if r := c.post(t, nil, gql{Extensions: persisted(sha(q))}); string(r.Data) != `{"hotels":{"totalCount":0}}` {
		t.Fatalf("the cached query changed: %s", r.raw)
	}
	if r := c.post(t, nil, gql{Extensions: map[string]any{"persistedQuery": map[string]any{"version": 2, "sha256Hash": sha(q)}}}); r.code() != "PERSISTED_QUERY_INVALID" {
		t.Fatalf("unsupported version: %s", r.raw)
	}
	// A hash in capitals is the same hash (hex has no case): sent with its
	// query it is taken, and the lower-case one finds what it cached.
	q2 := "query Viewer { viewer { role } }"
	ok(t, "an upper-case hash and its query", c.post(t, nil, gql{Query: q2, Extensions: persisted(strings.ToUpper(sha(q2)))}))
	ok(t, "the lower-case hash, afterwards", c.post(t, nil, gql{Extensions: persisted(sha(q2))}))
	ok(t, "the upper-case hash, afterwards", c.post(t, nil, gql{Extensions: persisted(strings.ToUpper(sha(q2)))}))

	off := setupChain(t, graph.HandlerOpts{APQCacheSize: -1}, server.StackOpts{})
	off.post(t, nil, gql{Query: q, Extensions: persisted(sha(q))})
	if r := off.post(t, nil, gql{Extensions: persisted(sha(q))}); len(r.Errors) == 0 {
		t.Fatalf("with persisted queries off a hash alone must not run: %s", r.raw)
	}
}

func TestPartnerOperationAllowlist(t *testing.T) {
	t.Parallel()
	listed := "query PartnerHotels($first: Int) { hotels(first: $first) { totalCount } }"
	dir := t.TempDir()
	file := filepath.Join(dir, "operations.json")
	data, _ := json.Marshal(map[string]string{sha(listed): listed})
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	allow, err := graph.LoadOperationAllowlist(file)
	if err != nil || allow.Len() != 1 {
		t.Fatalf("load: %v", err)
	}
	c := setupChain(t, graph.HandlerOpts{Allowlist: allow}, server.StackOpts{})
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"})
	_, key, err := c.keys.Create(admin, "Acme OTA", []string{auth.ScopeSearch})
	if err != nil {
		t.Fatal(err)
	}
	partner := map[string]string{"Authorization": "Bearer " + key}
	unlisted := "{ hotels { totalCount } }"

	ok(t, "listed operation", c.post(t, partner, gql{Query: listed, Variables: map[string]any{"first": 5}}))
	ok(t, "listed operation by hash only", c.post(t, partner, gql{Extensions: persisted(sha(listed))}))
	ok(t, "listed operation, X-API-Key", c.post(t, map[string]string{"X-API-Key": key}, gql{Query: listed}))
	refused(t, "unlisted operation", c.post(t, partner, gql{Query: unlisted}), http.StatusBadRequest, graph.CodeOperationNotAllowed)
	refused(t, "listed text with a change", c.post(t, partner, gql{Query: listed + " "}), http.StatusBadRequest, graph.CodeOperationNotAllowed)
	// Persisting an operation first does not get it past the list.
	c.post(t, nil, gql{Query: unlisted, Extensions: persisted(sha(unlisted))})
	refused(t, "unlisted operation by hash", c.post(t, partner, gql{Extensions: persisted(sha(unlisted))}), http.StatusBadRequest, graph.CodeOperationNotAllowed)

	// Other callers are not restricted.
	ok(t, "anonymous", c.post(t, nil, gql{Query: unlisted}))
	ok(t, "admin", c.post(t, map[string]string{"Authorization": "Bearer " + token(t, auth.RoleAdmin)}, gql{Query: unlisted}))

	// Without a list partners run anything.
	open := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	_, key2, err := open.keys.Create(admin, "Acme OTA", []string{auth.ScopeSearch})
	if err != nil {
		t.Fatal(err)
	}
	ok(t, "no allow-list", open.post(t, map[string]string{"Authorization": "Bearer " + key2}, gql{Query: unlisted}))
}

func TestParseOperationAllowlist(t *testing.T) {
	t.Parallel()
	q := "query A { viewer { role } }"
	manifest := `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"` + sha(q) + `","name":"A","type":"query","body":"query A { viewer { role } }"}]}`
	if l, err := graph.ParseOperationAllowlist([]byte(manifest)); err != nil || l.Len() != 1 || !l.Allows(q) {
		t.Fatalf("apollo manifest: %v", err)
	}
	for name, bad := range map[string]string{
		"wrong hash":     `{"` + sha("other") + `": "query A { viewer { role } }"}`,
		"does not parse": `{"` + sha("query {") + `": "query {"}`,
		"not an object":  `["query A { viewer { role } }"]`,
		"unknown format": `{"format":"relay","operations":[]}`,
	} {
		if _, err := graph.ParseOperationAllowlist([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "viewer") {
			t.Errorf("%s: error repeats the operation: %v", name, err)
		}
	}
}
