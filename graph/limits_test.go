package graph_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/indexer/hub"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/server"
)

func TestDeepQueriesAreRefused(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})

	ok(t, "12 levels", c.post(t, nil, gql{Query: nested(4)}))
	refused(t, "14 levels", c.post(t, nil, gql{Query: nested(5)}), http.StatusBadRequest, graph.CodeQueryTooDeep)

	// Fragments do not hide depth.
	var q strings.Builder
	q.WriteString("query { hotels(first: 1) { edges { node { ...F0 } } } }\n")
	for i := range 5 {
		fmt.Fprintf(&q, "fragment F%d on Hotel { roomTypes { hotel { ...F%d } } }\n", i, i+1)
	}
	q.WriteString("fragment F5 on Hotel { name }\n")
	refused(t, "14 levels through fragments", c.post(t, nil, gql{Query: q.String()}), http.StatusBadRequest, graph.CodeQueryTooDeep)
	refused(t, "inline fragments", c.post(t, nil, gql{Query: strings.Replace(nested(5), "node {", "node { ... on Hotel {", 1) + " }"}),
		http.StatusBadRequest, graph.CodeQueryTooDeep)

	// A client that accepts only application/json gets 422, as for other
	// refused operations.
	r := c.post(t, map[string]string{"Accept": "application/json"}, gql{Query: nested(5)})
	refused(t, "application/json client", r, http.StatusUnprocessableEntity, graph.CodeQueryTooDeep)
}

func TestIntrospectionIsNotLimitedByDepth(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	ok(t, "GraphiQL's introspection query", c.post(t, nil, gql{Query: introspectionQuery}))

	// Switched off, asking for the schema is the client's refusal, not an
	// internal failure to log and count (an alert on INTERNAL errors would
	// fire at every probe).
	off := setupChain(t, graph.HandlerOpts{DisableIntrospection: true}, server.StackOpts{})
	for _, q := range []string{introspectionQuery, `{ __type(name: "Hotel") { name } }`} {
		r := off.post(t, nil, gql{Query: q})
		if len(r.Errors) == 0 {
			t.Fatalf("introspection switched off still answers: %.200s", r.raw)
		}
		if r.code() != "FORBIDDEN" || r.Errors[0].Message != "introspection is switched off on this server" {
			t.Errorf("introspection switched off answers %s: %.300s", r.code(), r.raw)
		}
	}
	if strings.Contains(off.logs.String(), "internal error") {
		t.Errorf("a refused introspection query is logged as an internal error:\n%.500s", off.logs.String())
	}
}

func TestAliasAndRootFieldLimits(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{ viewer {")
		for i := range n {
			fmt.Fprintf(&b, " r%d: role", i)
		}
		return b.String() + " } }"
	}
	ok(t, "30 aliases", c.post(t, nil, gql{Query: aliases(30)}))
	refused(t, "31 aliases", c.post(t, nil, gql{Query: aliases(31)}), http.StatusBadRequest, graph.CodeTooManyAliases)

	// A fragment spread many times counts every time.
	// 8 aliases in V, spread 4 times, and 2 more: 34.
	spread := "{ viewer { ...V } a: viewer { ...V } b: viewer { ...V } c: viewer { ...V } } " +
		"fragment V on Viewer { r1: role s1: subject c1: scopes h1: hotelIds r2: role s2: subject c2: scopes h2: hotelIds }"
	refused(t, "aliases in fragments", c.post(t, nil, gql{Query: spread}), http.StatusBadRequest, graph.CodeTooManyAliases)

	roots := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, " v%d: viewer { role }", i)
		}
		return b.String() + " }"
	}
	ok(t, "10 root fields", c.post(t, nil, gql{Query: roots(10)}))
	refused(t, "11 root fields", c.post(t, nil, gql{Query: roots(11)}), http.StatusBadRequest, graph.CodeTooManyRootFields)
}

func TestExpensiveQueriesAreTooComplex(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})

	// What the explorer's "Browse hotels" example asks, a page of 20.
	ok(t, "browse hotels", c.post(t, nil, gql{Query: `query Hotels($first: Int) { hotels(first: $first) {
	  totalCount pageInfo { hasNextPage endCursor }
	  edges { node { id version name timeZone currency starRating amenities address { city countryCode }
	    roomTypes { id name maxOccupancy ratePlans { id name cancellationPolicy { refundable penalties { hoursBeforeCheckIn percent } } } } } } } }`,
		Variables: map[string]any{"first": 20}}))

	huge := c.post(t, nil, gql{Query: `{ hotels(first: 100) { edges { node { roomTypes { ratePlans {
	  rates(from: "2026-01-01", to: "2026-12-31") { night price { amount currency } } } } } } } }`})
	refused(t, "a year of rates for 100 hotels", huge, http.StatusBadRequest, graph.CodeQueryTooComplex)
	// it says what lowers the cost
	if msg := huge.Errors[0].Message; !strings.Contains(msg, "complexity") || !strings.Contains(msg, "a smaller first") {
		t.Errorf("message %q", msg)
	}
	// Page sizes through variables count the same, and out-of-range ones
	// cannot overflow the calculation.
	for _, first := range []int{100, 2147483647} {
		r := c.post(t, nil, gql{Query: `query($n: Int) { hotels(first: $n) { edges { node { roomTypes { ratePlans {
		  rates(from: "2026-01-01", to: "2026-12-31") { night } } } } } } }`, Variables: map[string]any{"n": first}})
		refused(t, fmt.Sprint("first: ", first), r, http.StatusBadRequest, graph.CodeQueryTooComplex)
	}
	ok(t, "a week of rates", c.post(t, nil, gql{Query: `{ hotels(first: 10) { edges { node { roomTypes { ratePlans {
	  rates(from: "2026-01-01", to: "2026-01-07") { night price { amount } } } } } } } }`}))
	// Lists without a page size multiply too: one night of every plan of
	// every room type of 100 hotels is some 800 rate plans to read.
	refused(t, "a night of rates of 100 hotels' plans", c.post(t, nil, gql{Query: `{ hotels(first: 100) { edges { node { roomTypes { ratePlans {
	  rates(from: "2026-01-01", to: "2026-01-01") { night } } } } } } }`}), http.StatusBadRequest, graph.CodeQueryTooComplex)
}

func TestFragmentBombIsRefused(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	// 2^40 fields once expanded, in 41 short fragments.
	var q strings.Builder
	q.WriteString("{ viewer { ...F40 } }\nfragment F0 on Viewer { role }\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&q, "fragment F%d on Viewer { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	refused(t, "fragment bomb", c.post(t, nil, gql{Query: q.String()}), http.StatusBadRequest, graph.CodeQueryTooComplex)
}

// Bad credentials are refused like every other refusal before the GraphQL
// server: 401 UNAUTHENTICATED with the request id.
func TestBadCredentialsAreRefusedWithTheRequestID(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	r := c.post(t, map[string]string{"Authorization": "Bearer not-a-token"}, []byte(`{"query":"{ viewer { role } }"}`))
	refused(t, "a bad token", r, http.StatusUnauthorized, "UNAUTHENTICATED")
	if got := r.header.Get("WWW-Authenticate"); got != "Bearer" {
		t.Errorf("WWW-Authenticate %q, want Bearer", got)
	}
}

// A bad credential in a socket's connection_init costs its address as one
// over HTTP does, and an address suspect of guessing pays before a socket's
// credential is checked: once its bucket is empty the socket is closed with
// 4429, unless its credential authenticated lately. Each server below has
// its own limiter; both sides of the API run from one address.
func TestSocketCredentialsAreLimitedByAddress(t *testing.T) {
	t.Parallel()
	rules := server.Rules{Anonymous: server.Rule{Rate: 1.0 / 3600, Burst: 2}}
	setup := func() chain {
		c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{RateLimit: server.RateLimitOpts{Rules: &rules}})
		c.resolver.Live = hub.New(hub.Opts{})
		return c
	}
	bad := map[string]string{"Authorization": "Bearer not-a-token"}
	closed := func(c chain, what string, payload map[string]any) (websocket.StatusCode, string) {
		t.Helper()
		ws := openSocket(t, c.url, "graphql-transport-ws")
		raw, _ := json.Marshal(payload)
		ws.send(wsMessage{Type: "connection_init", Payload: raw})
		m, err := ws.read()
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			if m.Type != "connection_ack" {
				t.Fatalf("%s: %+v %v", what, m, err)
			}
			return 0, m.Type
		}
		return ce.Code, ce.Reason
	}

	// A bad credential on a socket makes the address suspect and takes a
	// token: of its bucket of 2, the first bad token over HTTP takes the
	// last, and the next one waits.
	c := setup()
	if code, reason := closed(c, "a bad token on a socket", map[string]any{"Authorization": "Bearer not-a-token"}); code != 4403 {
		t.Fatalf("a bad token on a socket: closed %d %q, want 4403", code, reason)
	}
	refused(t, "the first bad token over HTTP", c.post(t, bad, gql{Query: "{ viewer { role } }"}), http.StatusUnauthorized, "UNAUTHENTICATED")
	refused(t, "the second bad token over HTTP", c.post(t, bad, gql{Query: "{ viewer { role } }"}), http.StatusTooManyRequests, server.CodeRateLimited)

	// An address that emptied its bucket with bad tokens over HTTP: a
	// socket's credential is not checked, whatever it is, unless it
	// authenticated lately.
	c = setup()
	known := token(t, auth.RoleGuest)
	ok(t, "a good token", c.post(t, map[string]string{"Authorization": "Bearer " + known}, gql{Query: "{ viewer { role } }"}))
	for range 2 {
		refused(t, "a bad token over HTTP", c.post(t, bad, gql{Query: "{ viewer { role } }"}), http.StatusUnauthorized, "UNAUTHENTICATED")
	}
	if code, reason := closed(c, "a bad token on a socket", map[string]any{"Authorization": "Bearer also-not-a-token"}); code != 4429 || !strings.Contains(reason, "too many requests") {
		t.Fatalf("a bad token on a socket from the suspect address: closed %d %q, want 4429", code, reason)
	}
	if code, got := closed(c, "the good token on a socket", map[string]any{"Authorization": "Bearer " + known}); code != 0 {
		t.Fatalf("a token that authenticated lately, on a socket from the suspect address: closed %d %q, want connection_ack", code, got)
	}
	// Nor when the socket's upgrade request carried that good token: what
	// its connection_init carries is checked as a request's would be.
	header := http.Header{"Authorization": {"Bearer " + known}}
	conn, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(c.url, "http"),
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	ws := &wsClient{t: t, conn: conn, ctx: t.Context()}
	ws.send(wsMessage{Type: "connection_init", Payload: json.RawMessage(`{"Authorization": "Bearer a-guess"}`)})
	var ce websocket.CloseError
	if _, err := ws.read(); !errors.As(err, &ce) || ce.Code != 4429 {
		t.Fatalf("a bad token in connection_init of a socket opened with a good one, from the suspect address: %v, want 4429", err)
	}
}

func TestOnlyOneOperationPerRequest(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	batch := []byte(`[{"query":"{ viewer { role } }"},{"query":"{ hotels { totalCount } }"}]`)
	refused(t, "batch", c.post(t, nil, batch), http.StatusBadRequest, graph.CodeBatchingNotSupported)
	refused(t, "batch after whitespace", c.post(t, nil, append([]byte("\n  "), batch...)), http.StatusBadRequest, graph.CodeBatchingNotSupported)
	// A client that accepts only application/json gets 422, as for the limits.
	refused(t, "batch, JSON only", c.post(t, map[string]string{"Accept": "application/json"}, batch),
		http.StatusUnprocessableEntity, graph.CodeBatchingNotSupported)
	refused(t, "not JSON, JSON only", c.post(t, map[string]string{"Accept": "application/json"}, []byte(`{"query"`)),
		http.StatusUnprocessableEntity, graph.CodeBadRequest)

	for name, body := range map[string]string{
		"not JSON":         `{"query": "{ viewer { role } }"`,
		"wrong types":      `{"query": 5, "variables": {"email": "ana@example.com"}}`,
		"two objects":      `{"query": "{ viewer { role } }"} {"query": "{ viewer { role } }"}`,
		"variables a list": `{"query": "{ viewer { role } }", "variables": ["ana@example.com"]}`,
		"empty":            ``,
	} {
		r := c.post(t, nil, []byte(body))
		refused(t, name, r, http.StatusBadRequest, graph.CodeBadRequest)
		if strings.Contains(string(r.raw), "example.com") {
			t.Errorf("%s: the refusal repeats the body: %s", name, r.raw)
		}
	}
	refused(t, "form post", c.post(t, map[string]string{"Content-Type": "text/plain"}, []byte(`{"query":"{ viewer { role } }"}`)),
		http.StatusUnsupportedMediaType, graph.CodeBadRequest)
	req, _ := http.NewRequest(http.MethodPut, c.url, strings.NewReader(`{"query":"{ viewer { role } }"}`))
	refused(t, "PUT", c.send(t, req), http.StatusMethodNotAllowed, graph.CodeBadRequest)
	// Malformed GET variables are the client's fault too.
	get, _ := http.NewRequest(http.MethodGet, c.url+`?query={viewer{role}}&variables={oops`, nil)
	refused(t, "GET with bad variables", c.send(t, get), http.StatusBadRequest, graph.CodeBadRequest)

	if strings.Contains(c.logs.String(), "internal error") {
		t.Errorf("malformed requests were logged as internal errors: %s", c.logs)
	}
}

func TestLargeBodiesAreRefused(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	big := gql{Query: "{ viewer { role } }", Variables: map[string]any{"pad": strings.Repeat("x", 300<<10)}}
	refused(t, "300 KiB", c.post(t, nil, big), http.StatusRequestEntityTooLarge, server.CodeRequestTooLarge)
	ok(t, "a small request", c.post(t, nil, gql{Query: "{ viewer { role } }"}))

	small := setupChain(t, graph.HandlerOpts{}, server.StackOpts{MaxBodyBytes: 64})
	refused(t, "over a configured limit", small.post(t, nil, gql{Query: nested(1)}), http.StatusRequestEntityTooLarge, server.CodeRequestTooLarge)
}

func TestRateLimitsOverHTTP(t *testing.T) {
	t.Parallel()
	rules := server.Rules{Anonymous: server.Rule{Rate: 1.0 / 60, Burst: 2}, Default: server.Rule{Rate: 1.0 / 60, Burst: 3}}
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{RateLimit: server.RateLimitOpts{Rules: &rules}})
	q := gql{Query: "{ viewer { role } }"}
	for i := range 2 {
		ok(t, fmt.Sprint("anonymous request ", i), c.post(t, nil, q))
	}
	r := c.post(t, nil, q)
	refused(t, "third anonymous request", r, http.StatusTooManyRequests, server.CodeRateLimited)
	if r.header.Get("Retry-After") == "" || r.Errors[0].Extensions["retryAfterSeconds"] == nil {
		t.Fatalf("no Retry-After: %v %s", r.header, r.raw)
	}
	guest := map[string]string{"Authorization": "Bearer " + token(t, auth.RoleGuest)}
	for i := range 3 {
		ok(t, fmt.Sprint("guest request ", i), c.post(t, guest, q))
	}
	refused(t, "fourth guest request", c.post(t, guest, q), http.StatusTooManyRequests, server.CodeRateLimited)
}

// A document whose validation would cost far more than it is worth is
// refused before gqlgen validates it. Validation does quadratic work in
// places (fields merged in a selection set and their sub-selections,
// fragments spread together, arguments of same-named fields, variable
// uses): a 100 KB document of one field written 20,000 times took 25-30 s
// of CPU to validate before it was refused, and documents of 40-240 KB
// built around the first version of this check took 0.45-0.85 s.
func TestOversizedDocumentsAreRefusedBeforeValidation(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	roles := func(n int) string { return strings.Repeat("role ", n) }
	before := func(what string, r reply, message string) {
		t.Helper()
		refused(t, what, r, http.StatusBadRequest, graph.CodeQueryTooComplex)
		if msg := r.Errors[0].Message; !strings.Contains(msg, message) {
			t.Fatalf("%s: refused after validation: %q", what, msg)
		}
	}
	before("2,001 fields", c.post(t, nil, gql{Query: "{ viewer { " + roles(2001) + "} }"}),
		"the document writes 2002 fields and fragment spreads, more than 2000")
	before("101 leaves of one name", c.post(t, nil, gql{Query: "{ viewer { " + roles(50) + "... on Viewer { " + roles(51) + "} } }"}),
		"the document merges 101 fields named role in one selection set, more than 100")
	bookings := func(n int) string { return strings.Repeat("bookings(first: 1) { totalCount } ", n) }
	before("11 fields with arguments", c.post(t, nil, gql{Query: "{ viewer { " + bookings(5) + "... on Viewer { " + bookings(6) + "} } }"}),
		"the document merges 11 fields named bookings in one selection set, more than 10")
	before("sub-selections merged", c.post(t, nil, gql{Query: "{ " + strings.Repeat("viewer { "+bookings(3)+"} ", 4) + "}"}),
		"the document merges 12 fields named bookings in one selection set")
	// 995 fragments spread together, each spreading one more: validation
	// compares every pair of them.
	var q strings.Builder
	q.WriteString("{ viewer { ")
	for i := range 995 {
		fmt.Fprintf(&q, "...F%d ", i)
	}
	q.WriteString("} }\nfragment Z on Viewer { role }\n")
	for i := range 995 {
		fmt.Fprintf(&q, "fragment F%d on Viewer { ...Z }\n", i)
	}
	before("995 fragments", c.post(t, nil, gql{Query: q.String()}), "the document merges 996 fragments into one selection set, more than 64")
	args := make([]string, 21)
	for i := range args {
		args[i] = fmt.Sprintf("a%d: 1", i)
	}
	before("21 arguments", c.post(t, nil, gql{Query: "{ viewer { role(" + strings.Join(args, " ") + ") } }"}), "a field has 21 arguments, more than 20")
	vars := make([]string, 101)
	for i := range vars {
		vars[i] = fmt.Sprintf("$v%d: Int", i)
	}
	before("101 variables", c.post(t, nil, gql{Query: "query(" + strings.Join(vars, " ") + ") { viewer { role } }"}), "an operation declares 101 variables, more than 100")
	// Past the token limit, the parser stops.
	if r := c.post(t, nil, gql{Query: "{ viewer { " + roles(graph.MaxTokens) + "} }"}); r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest ||
		!strings.Contains(r.Errors[0].Message, "token limit") {
		t.Fatalf("%d tokens: %d %s", graph.MaxTokens, r.status, r.raw)
	}

	ok(t, "100 leaves of one name", c.post(t, nil, gql{Query: "{ viewer { " + roles(100) + "} }"}))
	ok(t, "a fragment spread twice", c.post(t, nil, gql{Query: "{ viewer { ...F ...F } } fragment F on Viewer { role }"}))
	// A client that adds __typename and id to every fragment, as Apollo
	// and Relay do, spreading ten of them in a set.
	q.Reset()
	q.WriteString("{ hotels(first: 2) { edges { node { __typename id ")
	for i := range 10 {
		fmt.Fprintf(&q, "...H%d ", i)
	}
	q.WriteString("} } } }\n")
	for i := range 10 {
		fmt.Fprintf(&q, "fragment H%d on Hotel { __typename id name }\n", i)
	}
	ok(t, "ten component fragments", c.post(t, nil, gql{Query: q.String()}))
}

// A document of several operations needs operationName to pick one: the
// error says so (gqlgen's own reads "operation  not found"), and an
// operationName the document lacks is named.
func TestOperationNameIsExplained(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	doc := "query A { viewer { role } } query B { viewer { subject } }"
	r := c.post(t, nil, gql{Query: doc})
	refused(t, "two operations, no operationName", r, http.StatusBadRequest, "GRAPHQL_VALIDATION_FAILED")
	if msg := r.Errors[0].Message; msg != "the document holds several operations: name the one to run in operationName" {
		t.Errorf("two operations, no operationName: %q", msg)
	}
	r = c.post(t, nil, gql{Query: doc, OperationName: "C"})
	if msg := r.Errors[0].Message; msg != `the document holds no operation named "C" (operationName)` {
		t.Errorf("operationName C: %q", msg)
	}
	ok(t, "operationName B", c.post(t, nil, gql{Query: doc, OperationName: "B"}))
}
