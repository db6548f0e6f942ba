package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/staygraph/staygraph/internal/auth"
)

// CodeOperationNotAllowed: a partner sent an operation that is not on the
// operation allow-list.
const CodeOperationNotAllowed = "OPERATION_NOT_ALLOWED"

// codePersistedQueryInvalid: the persistedQuery extension of a request is
// malformed or its hash does not match the query sent with it.
const codePersistedQueryInvalid = "PERSISTED_QUERY_INVALID"

// OperationAllowlist is the set of operations partners may run, each by the
// SHA-256 of its exact text (lower-case hex), as automatic persisted queries
// and persisted query manifests name them.
type OperationAllowlist struct {
	byHash map[string]string
}

// LoadOperationAllowlist reads an allow-list file (see
// ParseOperationAllowlist).
func LoadOperationAllowlist(path string) (*OperationAllowlist, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read operation allow-list: %w", err)
	}
	list, err := ParseOperationAllowlist(data)
	if err != nil {
		return nil, fmt.Errorf("operation allow-list %s: %w", path, err)
	}
	return list, nil
}

// ParseOperationAllowlist reads an allow-list: a JSON object from hash to
// operation text ({"<sha256>": "query …", …}, as Relay writes persisted
// queries), or an Apollo persisted query manifest ({"format":
// "apollo-persisted-query-manifest", "operations": [{"id", "body"}, …]}).
// Every hash must be the SHA-256 of its text and every text must parse.
func ParseOperationAllowlist(data []byte) (*OperationAllowlist, error) {
	var manifest struct {
		Format     string `json:"format"`
		Operations []struct {
			ID   string `json:"id"`
			Body string `json:"body"`
		} `json:"operations"`
	}
	pairs := map[string]string{}
	if err := json.Unmarshal(data, &manifest); err == nil && manifest.Format != "" {
		if manifest.Format != "apollo-persisted-query-manifest" {
			return nil, fmt.Errorf("unknown manifest format %q", manifest.Format)
		}
		for _, op := range manifest.Operations {
			pairs[op.ID] = op.Body
		}
	} else if err := json.Unmarshal(data, &pairs); err != nil {
		return nil, fmt.Errorf("want a JSON object of hash to operation text, or an Apollo manifest: %w", err)
	}
	list := &OperationAllowlist{byHash: make(map[string]string, len(pairs))}
	for hash, text := range pairs {
		hash = strings.ToLower(hash)
		if operationHash(text) != hash {
			return nil, fmt.Errorf("entry %s: not the SHA-256 of its operation text", hash)
		}
		if _, err := parser.ParseQuery(&ast.Source{Input: text}); err != nil {
			return nil, fmt.Errorf("entry %s: %w", hash, err)
		}
		list.byHash[hash] = text
	}
	return list, nil
}

// Len is the number of operations on the list.
func (l *OperationAllowlist) Len() int { return len(l.byHash) }

// Allows reports whether query is on the list.
func (l *OperationAllowlist) Allows(query string) bool {
	_, ok := l.byHash[operationHash(query)]
	return ok
}

func operationHash(query string) string {
	sum := sha256.Sum256([]byte(query))
	return hex.EncodeToString(sum[:])
}

// persistedHash is the sha256Hash of a request's persistedQuery extension,
// or "".
func persistedHash(params *graphql.RawParams) string {
	pq, _ := params.Extensions["persistedQuery"].(map[string]any)
	h, _ := pq["sha256Hash"].(string)
	return strings.ToLower(h)
}

// allowlistLookup fills in the text of a request that names an allow-listed
// operation by hash only, so partners can send hashes without registering
// them first. It runs before automatic persisted queries.
type allowlistLookup struct{ list *OperationAllowlist }

// ExtensionName names the extension in gqlgen's stats.
func (allowlistLookup) ExtensionName() string { return "OperationAllowlistLookup" }

// Validate accepts every schema.
func (allowlistLookup) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters fills in the query of a known hash.
func (a allowlistLookup) MutateOperationParameters(_ context.Context, params *graphql.RawParams) *gqlerror.Error {
	if params.Query == "" {
		if text, ok := a.list.byHash[persistedHash(params)]; ok {
			params.Query = text
		}
	}
	return nil
}

// allowlistCheck refuses PARTNER principals any operation that is not on
// the list, before it is parsed. Other callers are not restricted. It runs
// after automatic persisted queries, on the final text.
type allowlistCheck struct{ list *OperationAllowlist }

// ExtensionName names the extension in gqlgen's stats.
func (allowlistCheck) ExtensionName() string { return "OperationAllowlist" }

// Validate accepts every schema.
func (allowlistCheck) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters refuses a partner's unlisted operation.
func (a allowlistCheck) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if p := auth.FromContext(ctx); p == nil || p.Role != auth.RolePartner {
		return nil
	}
	if a.list.Allows(params.Query) {
		return nil
	}
	return refuse(CodeOperationNotAllowed, "this operation is not on the partner operation allow-list; "+
		"send one of the persisted operations agreed with staygraph")
}

// persistedQueries is gqlgen's automatic persisted queries, with a code on
// every error it answers.
type persistedQueries struct {
	extension.AutomaticPersistedQuery
}

// MutateOperationParameters resolves a hash to its cached query, or caches
// the query sent with its hash. A hash in capitals is the same hash (hex
// has no case): gqlgen compares it as sent, so it is lowered first.
func (p persistedQueries) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if pq, ok := params.Extensions["persistedQuery"].(map[string]any); ok {
		if h, ok := pq["sha256Hash"].(string); ok && h != strings.ToLower(h) {
			lowered := maps.Clone(pq)
			lowered["sha256Hash"] = strings.ToLower(h)
			params.Extensions = maps.Clone(params.Extensions)
			params.Extensions["persistedQuery"] = lowered
		}
	}
	err := p.AutomaticPersistedQuery.MutateOperationParameters(ctx, params)
	if err != nil {
		if _, coded := err.Extensions["code"]; !coded {
			errcode.Set(err, codePersistedQueryInvalid)
		}
	}
	return err
}

var (
	_ graphql.OperationParameterMutator = allowlistLookup{}
	_ graphql.OperationParameterMutator = allowlistCheck{}
	_ graphql.OperationParameterMutator = persistedQueries{}
)
