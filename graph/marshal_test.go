package graph

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	gqlast "github.com/vektah/gqlparser/v2/ast"
)

// selection is the selection set of the field at path (response names)
// in the operation query, validated against the API's schema.
func selection(t *testing.T, query string, path ...string) gqlast.SelectionSet {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(NewExecutableSchema(Config{}).Schema(), query)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", query, errs)
	}
	sel := doc.Operations[0].SelectionSet
	for _, name := range path {
		var next gqlast.SelectionSet
		for _, f := range graphql.CollectFields(&graphql.OperationContext{Doc: doc}, sel, nil) {
			if f.Alias == name {
				next = f.Selections
			}
		}
		if next == nil {
			t.Fatalf("%s: no field %q on the path %v", query, name, path)
		}
		sel = next
	}
	return sel
}

// A results page's lists (hits, offers, facets) are marshalled in place; a
// list under which a field waits on a data loader keeps a goroutine per
// element, so that the loads of its elements are batched.
func TestListsWithoutConcurrentFieldsAreMarshalledInPlace(t *testing.T) {
	const page = `query($input: HotelSearchInput!) { searchHotels(input: $input, first: 20) {
  edges { cursor node { hotel { id name starRating } distanceKm lowestTotal { amount currency }
    roomTypes { __typename roomType { __typename id name maxOccupancy } ratePlan { id name } total { amount currency } unitsLeft } } }
  facets { amenities { value count } stars { value count } prices { from { amount } to { amount } count } } } }`
	for _, path := range [][]string{{"searchHotels", "edges"}, {"searchHotels", "edges", "node", "roomTypes"}, {"searchHotels", "facets", "amenities"}} {
		if selectsConcurrent(selection(t, page, path...)) {
			t.Errorf("%v: marshalled with a goroutine per element", path)
		}
	}
	concurrent := map[string][]string{
		// Hotel.roomTypes and RoomType.ratePlans wait on data loaders
		`{ hotels(first: 5) { edges { node { roomTypes { ratePlans { name } } } } } }`:                             {"hotels", "edges"},
		`{ hotels(first: 5) { edges { node { name ...Types } } } } fragment Types on Hotel { roomTypes { name } }`: {"hotels", "edges"},
		`{ hotels(first: 5) { edges { node { ... on Hotel { roomTypes { name } } } } } }`:                          {"hotels", "edges"},
	}
	for query, path := range concurrent {
		if !selectsConcurrent(selection(t, query, path...)) {
			t.Errorf("%s: %v marshalled in place", query, path)
		}
	}
}

// An element that panics becomes an error at its own path and a null, the
// others their values, as with gqlgen's goroutines.
func TestAPanicInAListElementIsThatElementsError(t *testing.T) {
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &gqlast.Field{Alias: "items"}}})
	got := marshalList(ctx, nil, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		if i == 1 {
			panic("boom")
		}
		return graphql.MarshalInt(i)
	})
	var out bytes.Buffer
	got.MarshalGQL(&out)
	if out.String() != "[0,null,2]" {
		t.Fatalf("elements: %s", out.String())
	}
	errs := graphql.GetErrors(ctx)
	if len(errs) != 1 || errs[0].Path.String() != "items[1]" {
		t.Fatalf("errors: %v", errs)
	}
}

// graph/generate leaves id fields out of concurrentFields because their
// resolvers only encode the object's own key; this keeps that true.
func TestIDResolversOnlyEncode(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "schema.resolvers.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "ID" || fn.Recv == nil {
			continue
		}
		n++
		ret, ok := fn.Body.List[0].(*ast.ReturnStmt)
		if len(fn.Body.List) != 1 || !ok {
			t.Errorf("an ID resolver does more than return: line %d", fn.Pos())
			continue
		}
		ast.Inspect(ret, func(node ast.Node) bool {
			if id, ok := node.(*ast.Ident); ok && (id.Name == "ctx" || id.Name == "r") {
				t.Errorf("an ID resolver uses %s: %s", id.Name, strings.TrimSpace(fn.Name.Name))
			}
			return true
		})
	}
	if n == 0 {
		t.Fatal("no ID resolvers found")
	}
}

// An object's deferred group has its path only when one of its fields is
// deferred: that is what marshalling the deferred fields later reads.
func TestDeferredGroupHasAPathOnlyWhenSomethingIsDeferred(t *testing.T) {
	ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Field: graphql.CollectedField{Field: &gqlast.Field{Alias: "hotel"}}})
	plain := []graphql.CollectedField{{Field: &gqlast.Field{Name: "name"}}}
	if g := deferredGroup(ctx, plain); g.Path != nil || g.Defers != nil {
		t.Fatalf("nothing deferred: %+v", g)
	}
	deferred := append(plain, graphql.CollectedField{Field: &gqlast.Field{Name: "rooms"}, Deferrables: []*graphql.Deferrable{{Label: "later"}}})
	if g := deferredGroup(ctx, deferred); g.Path.String() != "hotel" || g.Defers == nil {
		t.Fatalf("a field deferred: %+v", g)
	}
}

// The executor marshals a leaf read from a struct field without a field
// context (graph/generate), so a field interceptor never sees one. The only
// interceptor, operationTracing, traces resolvers alone; another one would
// have to say what it does with those leaves.
func TestOnlyTracingInterceptsFields(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var interceptors []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv != nil && fn.Name.Name == "InterceptField" {
				interceptors = append(interceptors, types.ExprString(fn.Recv.List[0].Type))
			}
		}
	}
	if !slices.Equal(interceptors, []string{"operationTracing"}) {
		t.Fatalf("field interceptors: %v", interceptors)
	}
}
