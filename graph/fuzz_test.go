package graph_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/internal/server"
)

// FuzzGraphQLRequestBody sends arbitrary bodies through the whole chain:
// whatever arrives, the answer is a GraphQL-shaped JSON body and never a
// 5xx.
func FuzzGraphQLRequestBody(f *testing.F) {
	for _, seed := range []string{
		`{"query":"{ viewer { role } }"}`,
		`{"query":"query($r: String!, $e: String!) { bookingByReference(reference: $r, email: $e) { id } }","variables":{"r":"4111 1111 1111 1111","e":"a@b.c"}}`,
		`[{"query":"{ viewer { role } }"}]`,
		`{"query":"{ hotels(first: 100) { edges { node { roomTypes { ratePlans { rates(from: \"2026-01-01\", to: \"2026-12-31\") { night } } } } } } }"}`,
		`{"query":"` + strings.ReplaceAll(nested(6), `"`, `\"`) + `"}`,
		`{"query":"{ hotels(first: 99999999999999999999) { totalCount } }"}`,
		`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}`,
		`{"extensions":{"persistedQuery":"x"}}`,
		`{"query":"{ node(id: \"\u0000\") { id } }"}`,
		`{"query":"query { __schema { types { name } } }"}`,
		`{"query":"fragment A on Query { ...A } { ...A }"}`,
		`{"query": null, "variables": null}`,
		`{"query":"mutation { createHotel(input: {}) { hotel { id } } }"}`,
		``, `null`, `"x"`, `{`, `{"query":"{`,
	} {
		f.Add([]byte(seed))
	}
	c := setupChain(f, graph.HandlerOpts{}, server.StackOpts{})
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := http.NewRequest(http.MethodPost, c.url, strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("status %d for %q: %s", res.StatusCode, body, raw)
		}
		if !strings.HasPrefix(strings.TrimSpace(string(raw)), "{") {
			t.Fatalf("status %d for %q: not a GraphQL body: %s", res.StatusCode, body, raw)
		}
		if strings.Contains(string(raw), `"INTERNAL"`) {
			t.Fatalf("internal error for %q: %s", body, raw)
		}
	})
}
