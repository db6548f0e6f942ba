package graph

import (
	"context"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

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

func init() {
	for _, code := range []string{CodeQueryTooDeep, CodeTooManyAliases, CodeTooManyRootFields, CodeQueryTooComplex,
		CodeCardDataRefused, CodeOperationNotAllowed, CodeBadRequest, server.CodeRateLimited} {
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

// MutateOperationParameters refuses a document that writes more fields,
// in all its operations and fragments, than the complexity limit lets an
// operation select, before gqlgen validates it. Validation compares the
// fields of a selection set pairwise (OverlappingFieldsCanBeMerged): a
// 100 KB document of one field written 20,000 times took 25-30 s of CPU to
// validate, and was only refused after. Parsing is linear, and a document
// gqlgen has validated before is not parsed again.
func (l operationLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil // gqlgen answers that no operation was given
	}
	if l.validated != nil {
		if _, ok := l.validated.Get(ctx, p.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: p.Query})
	if err != nil {
		return nil // gqlgen parses it again and answers the syntax error
	}
	var w written
	for _, op := range doc.Operations {
		w.selectionSet(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		w.selectionSet(f.SelectionSet)
	}
	switch {
	case w.selections > l.maxFields:
		return refuse(CodeQueryTooComplex, "the document writes %d fields and fragment spreads, more than the complexity limit of %d",
			w.selections, l.maxFields)
	case w.repeated != "":
		return refuse(CodeQueryTooComplex, "the document writes %s more than %d times in one selection set", w.repeated, maxRepeats)
	}
	return nil
}

// maxRepeats is how often a document may write one response name (or
// spread one fragment) in a selection set: validation compares them
// pairwise, and no client needs the same field many times over.
const maxRepeats = 20

// written measures a document as written, fragments not followed.
type written struct {
	selections int    // fields and fragment spreads
	repeated   string // a response name written more than maxRepeats times in one set
}

func (w *written) selectionSet(set ast.SelectionSet) {
	w.collect(set, map[string]int{})
}

// collect measures set, counting its response names in names (an inline
// fragment's fields are its parent's).
func (w *written) collect(set ast.SelectionSet, names map[string]int) {
	count := func(name string) {
		if names[name]++; names[name] > maxRepeats && w.repeated == "" {
			w.repeated = name
		}
	}
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			w.selections = addSat(w.selections, 1)
			count(sel.Alias)
			if len(sel.SelectionSet) > 0 {
				w.selectionSet(sel.SelectionSet)
			}
		case *ast.FragmentSpread:
			w.selections = addSat(w.selections, 1)
			count("..." + sel.Name)
		case *ast.InlineFragment:
			w.collect(sel.SelectionSet, names)
		}
	}
}

// MutateOperationContext refuses an operation over a limit.
func (l operationLimits) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
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
// QUERY_TOO_COMPLEX.
type complexityLimit struct {
	*extension.ComplexityLimit
}

// MutateOperationContext refuses an operation over the complexity limit.
func (c complexityLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	err := c.ComplexityLimit.MutateOperationContext(ctx, opCtx)
	if err != nil {
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
