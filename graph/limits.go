package graph

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/server"
)

// Codes of operations refused before they run. They are protocol errors:
// HTTP 400 (422 for clients that accept only application/json), no data.
const (
	// CodeQueryTooDeep: fields nest deeper than the depth limit.
	CodeQueryTooDeep = "QUERY_TOO_DEEP"
	// CodeTooManyAliases: the operation uses more aliases than allowed.
	CodeTooManyAliases = "TOO_MANY_ALIASES"
	// CodeTooManyRootFields: the operation asks for more top-level fields than allowed.
	CodeTooManyRootFields = "TOO_MANY_ROOT_FIELDS"
	// CodeQueryTooComplex: the operation costs more than the complexity limit.
	CodeQueryTooComplex = "QUERY_TOO_COMPLEX"
)

// The codes of refusals before the operation runs are protocol errors, so
// gqlgen's transports answer them with HTTP 400 (422 for clients that accept
// only application/json), as a document that fails validation. INVALID_INPUT
// is one when a variable is not of its type (stringInts); raised by a field
// while the operation runs, it is that field's error.
func init() {
	for _, code := range []string{CodeQueryTooDeep, CodeTooManyAliases, CodeTooManyRootFields, CodeQueryTooComplex,
		CodeCardDataRefused, CodeOperationNotAllowed, CodeBadRequest, server.CodeRateLimited, string(apperr.InvalidInput)} {
		errcode.RegisterErrorType(code, errcode.KindProtocol)
	}
}

// Defaults of the operation limits.
const (
	DefaultMaxDepth      = 12
	DefaultMaxAliases    = 30
	DefaultMaxRootFields = 10
)

// operationLimits refuses operations whose shape alone makes them
// expensive, before the complexity calculation and before any resolver:
// too deep, too many aliases, too many root fields, or more selected fields
// than the complexity limit (every field costs at least 1, and counting is
// cheap where the complexity calculation walks every fragment spread).
// Fragments are followed; a fragment spread several times counts as often.
//
// A document's written size is checked earlier still, before gqlgen
// validates it: see MutateOperationParameters.
type operationLimits struct {
	maxDepth, maxAliases, maxRootFields, maxFields int
	// validated holds the documents gqlgen validated (its query cache):
	// they passed the written-size check, and are not parsed again for it.
	validated graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = operationLimits{}

// ExtensionName names the extension in gqlgen's stats.
func (operationLimits) ExtensionName() string { return "OperationLimits" }

// Validate accepts every schema.
func (operationLimits) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters refuses, before gqlgen validates it, a
// document whose validation would cost far more than it is worth.
// Validation does quadratic work in places: it compares the fields a
// selection set merges (fragments followed) pairwise and again their
// sub-selections, every pair of fragments spread in a set, the arguments
// of same-named fields pairwise, and each variable use with the list of
// definitions. A 100 KB document of one field written 20,000 times took
// 25-30 s of CPU, and was only refused after. Refused here: more than
// MaxTokens tokens (gqlgen's parser stops there too), more than maxWritten
// fields and fragment spreads written, an operation selecting more fields
// than the complexity limit (as MutateOperationContext counts them), more
// than maxRepeats fields of one response name merged in a selection set
// (maxLeafRepeats for fields without arguments or sub-selections, such as
// the __typename and id a client adds to every fragment), more than
// maxFragmentsMerged fragments merged into one set, a field with more than
// maxArguments arguments and an operation with more than maxVariables
// variables. Parsing is linear, and a document gqlgen has validated before
// is not parsed again.
func (l operationLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil // gqlgen answers that no operation was given
	}
	if l.validated != nil {
		if _, ok := l.validated.Get(ctx, p.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, MaxTokens)
	if err != nil {
		return nil // gqlgen parses it again and answers the error
	}
	var w writing
	for _, op := range doc.Operations {
		if len(op.VariableDefinitions) > maxVariables {
			return refuse(CodeQueryTooComplex, "an operation declares %d variables, more than %d", len(op.VariableDefinitions), maxVariables)
		}
		w.selectionSet(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		w.selectionSet(f.SelectionSet)
	}
	switch {
	case w.selections > maxWritten:
		return refuse(CodeQueryTooComplex, "the document writes %d fields and fragment spreads, more than %d", w.selections, maxWritten)
	case w.arguments > maxArguments:
		return refuse(CodeQueryTooComplex, "a field has %d arguments, more than %d", w.arguments, maxArguments)
	}
	m := measurer{doc: doc, memo: map[string]shape{}, active: map[string]bool{}}
	for _, op := range doc.Operations {
		if s := m.selectionSet(op.SelectionSet); s.fields > l.maxFields {
			return refuse(CodeQueryTooComplex, "an operation selects %d fields, more than the complexity limit of %d", s.fields, l.maxFields)
		}
	}
	g := merging{doc: doc, budget: 4 * max(l.maxFields, maxWritten)}
	for _, op := range doc.Operations {
		g.check([]ast.SelectionSet{op.SelectionSet}, nil)
	}
	for _, f := range doc.Fragments {
		g.check([]ast.SelectionSet{f.SelectionSet}, map[string]bool{f.Name: true})
	}
	switch {
	case g.refusal != "":
		return refuse(CodeQueryTooComplex, "the document %s", g.refusal)
	case g.budget < 0:
		return refuse(CodeQueryTooComplex, "the document's fragments expand to too many fields to check")
	}
	return nil
}

// Bounds of a document's shape that keep its validation cheap (a few ms):
// far above what clients write (a results page is about 150 tokens and 50
// fields, GraphiQL's schema query about 200 tokens).
const (
	// MaxTokens bounds a document's tokens (names, punctuation, values).
	MaxTokens = 10000
	// maxWritten bounds the fields and fragment spreads a document writes,
	// whatever the complexity limit.
	maxWritten = 2000
	// maxRepeats bounds the fields of one response name merged in a
	// selection set, fragments followed, that have arguments or
	// sub-selections: validation compares them, and their sub-selections,
	// pairwise.
	maxRepeats = 10
	// maxLeafRepeats bounds the other fields of one name merged in a set
	// (an id or __typename in every fragment), cheap to compare.
	maxLeafRepeats = 100
	// maxFragmentsMerged bounds the fragments merged into one selection set:
	// validation compares each pair.
	maxFragmentsMerged = 64
	// maxArguments bounds a field's arguments: validation compares those
	// of same-named fields pairwise.
	maxArguments = 20
	// maxVariables bounds an operation's variables: validation looks each
	// use up in the list of definitions.
	maxVariables = 100
)

// writing measures a document as written, fragments not followed.
type writing struct {
	selections int // fields and fragment spreads
	arguments  int // the most arguments of one field
}

func (w *writing) selectionSet(set ast.SelectionSet) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			w.selections = addSat(w.selections, 1)
			w.arguments = max(w.arguments, len(sel.Arguments))
			w.selectionSet(sel.SelectionSet)
		case *ast.FragmentSpread:
			w.selections = addSat(w.selections, 1)
		case *ast.InlineFragment:
			w.selectionSet(sel.SelectionSet)
		}
	}
}

// merging merges selection sets as validation does: the fields of a set,
// of its inline fragments and of the fragments it spreads, grouped by
// response name, then each group's sub-selections merged in turn.
type merging struct {
	doc     *ast.QueryDocument
	budget  int    // selections left to visit; below 0, too many
	refusal string // why the document is refused
}

// check merges sets; path holds the fragments being expanded (a cycle,
// which validation refuses, is not followed).
func (g *merging) check(sets []ast.SelectionSet, path map[string]bool) {
	groups := map[string][]*ast.Field{}
	var order []string
	spread := map[string]bool{} // a fragment spread twice in a set merges once
	var collect func(set ast.SelectionSet)
	collect = func(set ast.SelectionSet) {
		for _, sel := range set {
			if g.budget--; g.budget < 0 {
				return
			}
			switch sel := sel.(type) {
			case *ast.Field:
				if _, ok := groups[sel.Alias]; !ok {
					order = append(order, sel.Alias)
				}
				groups[sel.Alias] = append(groups[sel.Alias], sel)
			case *ast.InlineFragment:
				collect(sel.SelectionSet)
			case *ast.FragmentSpread:
				if spread[sel.Name] || path[sel.Name] {
					continue
				}
				spread[sel.Name] = true
				if def := g.doc.Fragments.ForName(sel.Name); def != nil {
					collect(def.SelectionSet)
				}
			}
		}
	}
	for _, set := range sets {
		collect(set)
	}
	if len(spread) > maxFragmentsMerged {
		g.refusal = fmt.Sprintf("merges %d fragments into one selection set, more than %d", len(spread), maxFragmentsMerged)
		return
	}
	inner := path
	if len(spread) > 0 {
		inner = maps.Clone(path)
		if inner == nil {
			inner = map[string]bool{}
		}
		for name := range spread {
			inner[name] = true
		}
	}
	for _, name := range order {
		fields := groups[name]
		var children []ast.SelectionSet
		leaves := true
		for _, f := range fields {
			if len(f.SelectionSet) > 0 {
				children = append(children, f.SelectionSet)
			}
			if len(f.SelectionSet) > 0 || len(f.Arguments) > 0 {
				leaves = false
			}
		}
		bound := maxRepeats
		if leaves {
			bound = maxLeafRepeats
		}
		if len(fields) > bound {
			g.refusal = fmt.Sprintf("merges %d fields named %s in one selection set, more than %d", len(fields), name, bound)
			return
		}
		if len(children) > 0 {
			g.check(children, inner)
		}
		if g.refusal != "" || g.budget < 0 {
			return
		}
	}
}

// MutateOperationContext refuses an operation over a limit.
func (l operationLimits) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	if opCtx.Operation.Operation == ast.Subscription {
		// One response key (the spec's "single root field"): gqlparser
		// compares field names, so the same field under two aliases passed
		// and failed at execution as INTERNAL.
		if keys := responseKeys(opCtx.Doc, opCtx.Operation.SelectionSet, map[string]bool{}); len(keys) > 1 {
			return refuse(errcode.ValidationFailed, "a subscription selects exactly one root field, not %d (%s)", len(keys), strings.Join(keys, ", "))
		}
	}
	m := measurer{doc: opCtx.Doc, memo: map[string]shape{}, active: map[string]bool{}}
	s := m.selectionSet(opCtx.Operation.SelectionSet)
	switch {
	case s.depth > l.maxDepth:
		return refuse(CodeQueryTooDeep, "operation nests fields %d deep, more than the limit of %d", s.depth, l.maxDepth)
	case s.top > l.maxRootFields:
		return refuse(CodeTooManyRootFields, "operation asks for %d root fields, more than the limit of %d", s.top, l.maxRootFields)
	case s.aliases > l.maxAliases:
		return refuse(CodeTooManyAliases, "operation uses %d aliases, more than the limit of %d", s.aliases, l.maxAliases)
	case s.fields > l.maxFields:
		return refuse(CodeQueryTooComplex, "operation selects %d fields, more than the complexity limit of %d", s.fields, l.maxFields)
	}
	return nil
}

// responseKeys lists the distinct response keys of set, following
// fragments (seen: the fragments entered, against a cycle).
func responseKeys(doc *ast.QueryDocument, set ast.SelectionSet, seen map[string]bool) []string {
	var keys []string
	add := func(more ...string) {
		for _, k := range more {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			add(cmp.Or(sel.Alias, sel.Name))
		case *ast.InlineFragment:
			add(responseKeys(doc, sel.SelectionSet, seen)...)
		case *ast.FragmentSpread:
			if f := doc.Fragments.ForName(sel.Name); f != nil && !seen[sel.Name] {
				seen[sel.Name] = true
				add(responseKeys(doc, f.SelectionSet, seen)...)
			}
		}
	}
	return keys
}

// refuse returns a protocol error with code.
func refuse(code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, code)
	return err
}

// shape is what operationLimits measures of a selection set.
type shape struct {
	depth   int // deepest nesting of fields; an introspection field counts 1
	top     int // fields at the top level of the set
	aliases int // aliased fields in the set and below
	fields  int // fields in the set and below
}

// measurer measures selection sets, each fragment once.
type measurer struct {
	doc    *ast.QueryDocument
	memo   map[string]shape
	active map[string]bool
}

func (m *measurer) selectionSet(set ast.SelectionSet) shape {
	var s shape
	for _, sel := range set {
		var c shape
		switch sel := sel.(type) {
		case *ast.Field:
			c = m.field(sel)
		case *ast.InlineFragment:
			c = m.selectionSet(sel.SelectionSet)
		case *ast.FragmentSpread:
			c = m.fragment(sel.Name)
		}
		s.depth = max(s.depth, c.depth)
		s.top = addSat(s.top, c.top)
		s.aliases = addSat(s.aliases, c.aliases)
		s.fields = addSat(s.fields, c.fields)
	}
	return s
}

func (m *measurer) field(f *ast.Field) shape {
	child := m.selectionSet(f.SelectionSet)
	s := shape{depth: 1, top: 1, aliases: child.aliases, fields: addSat(child.fields, 1)}
	// Introspection has its own depth rule in validation and its own
	// switch (--introspection); GraphiQL's schema query nests deeper than
	// any API query needs to.
	if f.Name != "__schema" && f.Name != "__type" {
		s.depth = addSat(child.depth, 1)
	}
	if f.Alias != "" && f.Alias != f.Name {
		s.aliases = addSat(s.aliases, 1)
	}
	return s
}

func (m *measurer) fragment(name string) shape {
	if s, ok := m.memo[name]; ok {
		return s
	}
	def := m.doc.Fragments.ForName(name)
	if def == nil || m.active[name] {
		return shape{} // validation refuses unknown and cyclic fragments first
	}
	m.active[name] = true
	s := m.selectionSet(def.SelectionSet)
	delete(m.active, name)
	m.memo[name] = s
	return s
}

// addSat adds without overflowing.
func addSat(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// mulSat multiplies non-negative numbers without overflowing.
func mulSat(a, b int) int {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}

// complexityLimit is gqlgen's complexity limit answering with the code
// QUERY_TOO_COMPLEX, and with what lowers an operation's cost.
type complexityLimit struct {
	*extension.ComplexityLimit
}

// MutateOperationContext refuses an operation over the complexity limit.
func (c complexityLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	err := c.ComplexityLimit.MutateOperationContext(ctx, opCtx)
	if err != nil {
		err.Message += ": each list counts its items, so ask for fewer (a smaller first) or fewer nested lists and fields"
		errcode.Set(err, CodeQueryTooComplex)
	}
	return err
}

// pageCost is the number of items a page argument asks for, as the
// resolver will serve it: the default when absent, at most MaxPageSize
// (larger values are refused by the resolver).
func pageCost(first *int) int {
	n := orDefault(first, DefaultPageSize)
	return min(max(n, 1), MaxPageSize)
}

// listCost is 1 for the field plus n times its children, saturating.
func listCost(childComplexity, n int) int {
	return addSat(1, mulSat(max(childComplexity, 1), n))
}
