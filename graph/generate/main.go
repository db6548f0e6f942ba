// Command generate writes the graph package's generated code: gqlgen's
// executor and models (gqlgen.yml), then two changes to the executor.
//
// gqlgen marshals each element of a list of objects in a goroutine of its
// own, so that the resolvers under the elements (data loaders) wait
// together, and starts every object's marshalling by working out its path
// in case a field of it is deferred (@defer). Where nothing under a list
// resolves concurrently and nothing is deferred, both only cost: on a search
// page of ~100 offers, a goroutine and a grown stack per offer and a path per
// object were a fifth of the API's CPU. So (marshal.go):
//
//   - every list is marshalled by marshalList rather than
//     graphql.MarshalSliceConcurrently: in place when its selection reaches
//     no field in concurrentFields (written here, to concurrent_gen.go, from
//     gqlgen's own model of which fields it resolves concurrently), as
//     gqlgen does otherwise;
//   - every object starts with deferredGroup(ctx, fields) rather than
//     graphql.NewDeferredGroup(ctx): an empty group, without a path, when
//     none of its fields is deferred.
//
// And gqlgen resolves every field through graphql.ResolveField: a field
// context and a context.Context of its own, closures, the value boxed in an
// interface, a deferred recover. A leaf read from a Go struct field needs
// none of it: it cannot fail, panic or be null, and no field interceptor
// of the API looks at it (operationTracing traces resolvers only). So
//
//   - the executor's function of each such field (a non-null String, Int or
//     Boolean, read from a struct field reached without a pointer:
//     isPlainLeaf, from gqlgen's model) marshals the value directly: a search
//     page has ~550 of them.
//
// Run it with go generate ./graph (it runs in the graph directory and
// finds gqlgen.yml above it, as gqlgen generate does).
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		return err
	}
	exec := cfg.Exec.Filename
	model := &executorModel{file: filepath.Join(filepath.Dir(exec), "concurrent_gen.go"), pkg: cfg.Exec.Package}
	if err := api.Generate(cfg, api.AddPlugin(model)); err != nil {
		return err
	}
	src, err := os.ReadFile(exec)
	if err != nil {
		return err
	}
	out, err := rewrite(exec, src, model.plainLeaves)
	if err != nil {
		return err
	}
	return os.WriteFile(exec, out, 0o644)
}

// executorModel is a gqlgen plugin that reads gqlgen's model of the
// executor. It writes to file (concurrent_gen.go) the fields gqlgen resolves
// in a goroutine of their own, by object and by interface; it runs before
// gqlgen writes and compiles the package, so the package compiles with the
// table. It keeps the executor's functions of the plain leaves for rewrite.
type executorModel struct {
	file, pkg   string
	plainLeaves map[string]bool
}

func (*executorModel) Name() string { return "executormodel" }

func (c *executorModel) GenerateCode(data *codegen.Data) error {
	c.plainLeaves = map[string]bool{}
	byObject := map[string][]string{}
	for _, o := range data.Objects {
		for _, f := range o.Fields {
			if isPlainLeaf(o, f) {
				c.plainLeaves["_"+o.Name+"_"+f.Name] = true
			}
			// an id's resolver encodes the object's own key and returns:
			// it never waits (TestIDResolversOnlyEncode)
			if f.IsConcurrent() && f.Name != "id" {
				byObject[o.Name] = append(byObject[o.Name], f.Name)
			}
		}
	}
	byType := maps.Clone(byObject)
	// a field selected on an interface is concurrent if it is on any of
	// the interface's objects
	for name, iface := range data.Interfaces {
		for _, impl := range iface.Implementors {
			byType[name] = append(byType[name], byObject[impl.Name]...)
		}
	}
	src, err := tableSource(c.pkg, byType)
	if err != nil {
		return err
	}
	return os.WriteFile(c.file, src, 0o644)
}

// plainMarshalers are the scalars' marshallers that never return null nor
// read the context: gqlgen's String, Int and Boolean, and the API's String
// and Int (graph/scalar: gqlgen's, with a stricter input).
var plainMarshalers = map[string]bool{
	"github.com/99designs/gqlgen/graphql.MarshalString":         true,
	"github.com/99designs/gqlgen/graphql.MarshalInt":            true,
	"github.com/99designs/gqlgen/graphql.MarshalInt32":          true,
	"github.com/99designs/gqlgen/graphql.MarshalInt64":          true,
	"github.com/99designs/gqlgen/graphql.MarshalBoolean":        true,
	"github.com/staygraph/staygraph/graph/scalar.MarshalString": true,
	"github.com/staygraph/staygraph/graph/scalar.MarshalInt":    true,
	"github.com/staygraph/staygraph/graph/scalar.MarshalInt32":  true,
	"github.com/staygraph/staygraph/graph/scalar.MarshalInt64":  true,
}

// isPlainLeaf reports whether f is a non-null scalar of plainMarshalers, read
// from a field of o's Go struct that is reached without a pointer (obj.Name
// on a non-nil obj cannot panic), with no resolver and no directive.
func isPlainLeaf(o *codegen.Object, f *codegen.Field) bool {
	ref := f.TypeReference
	if o.Root || o.Stream || f.IsResolver || !f.IsVariable() || f.HasDirectives() || f.IsReserved() ||
		ref == nil || !ref.GQL.NonNull || ref.GQL.Elem != nil || ref.IsNilable() ||
		ref.Marshaler == nil || !plainMarshalers[ref.Marshaler.FullName()] {
		return false
	}
	t := o.Type
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	field, _, indirect := types.LookupFieldOrMethod(t, false, nil, f.GoFieldName)
	_, isVar := field.(*types.Var)
	return isVar && !indirect
}

// tableSource is concurrent_gen.go: the table marshalList reads, sorted.
func tableSource(pkg string, byType map[string][]string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by graph/generate; DO NOT EDIT.\n\npackage %s\n\n", pkg)
	b.WriteString("// concurrentFields are the fields gqlgen resolves in a goroutine of their\n")
	b.WriteString("// own (resolvers, and methods that take a context), by object or interface.\n")
	b.WriteString("var concurrentFields = map[string]map[string]bool{\n")
	for _, name := range slices.Sorted(maps.Keys(byType)) {
		fields := slices.Compact(slices.Sorted(slices.Values(byType[name])))
		if len(fields) == 0 {
			continue
		}
		quoted := make([]string, len(fields))
		for i, f := range fields {
			quoted[i] = strconv.Quote(f) + ": true"
		}
		fmt.Fprintf(&b, "\t%q: {%s},\n", name, strings.Join(quoted, ", "))
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

// rewrite makes the changes to gqlgen's executor (see the package comment)
// and fails when it finds nothing to change, or a plain leaf's function not
// in the shape it expects, which would mean gqlgen's output changed shape.
func rewrite(filename string, src []byte, plainLeaves map[string]bool) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filename, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	type edit struct {
		from, to int
		text     string
	}
	var edits []edit
	source := func(n ast.Node) []byte { return src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset] }
	lists, groups, leaves := 0, 0, 0
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		if plainLeaves[fn.Name.Name] {
			value, marshal, ok := plainLeaf(fn)
			if !ok {
				return nil, fmt.Errorf("%s: %s is not in the shape of a plain leaf's function", fset.Position(fn.Pos()), fn.Name.Name)
			}
			text := fmt.Sprintf("{\n\treturn %s(ctx, field.Selections, %s)\n}", source(marshal), source(value))
			edits = append(edits, edit{fset.Position(fn.Body.Pos()).Offset, fset.Position(fn.Body.End()).Offset, text})
			leaves++
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch {
			case isCall(call, "MarshalSliceConcurrently"):
				if !hasParam(fn, "sel") {
					err = fmt.Errorf("%s: %s marshals a list without a selection set", fset.Position(call.Pos()), fn.Name.Name)
				}
				// marshalList(ctx, sel, <gqlgen's arguments after ctx>)
				edits = append(edits, edit{fset.Position(call.Fun.Pos()).Offset, fset.Position(call.Args[1].Pos()).Offset, "marshalList(ctx, sel, "})
				lists++
			case isCall(call, "NewDeferredGroup"):
				if !declares(fn, "fields") {
					err = fmt.Errorf("%s: %s starts a deferred group without its fields", fset.Position(call.Pos()), fn.Name.Name)
				}
				edits = append(edits, edit{fset.Position(call.Pos()).Offset, fset.Position(call.End()).Offset, "deferredGroup(ctx, fields)"})
				groups++
			}
			return err == nil
		})
		if err != nil {
			return nil, err
		}
	}
	if lists == 0 || groups == 0 || leaves != len(plainLeaves) || leaves == 0 {
		return nil, fmt.Errorf("%s: found %d lists, %d deferred groups and %d of %d plain leaves to change; has gqlgen's output changed?",
			filename, lists, groups, leaves, len(plainLeaves))
	}
	slices.SortFunc(edits, func(a, b edit) int { return a.from - b.from })
	var b bytes.Buffer
	at := 0
	for _, e := range edits {
		b.Write(src[at:e.from])
		b.WriteString(e.text)
		at = e.to
	}
	b.Write(src[at:])
	return format.Source(b.Bytes())
}

// plainLeaf reads a plain leaf's function as gqlgen writes it,
//
//	return graphql.ResolveField(ctx, ec.OperationContext, field, <field context>,
//		func(ctx context.Context) (any, error) { return obj.Name, nil },
//		nil,
//		func(ctx context.Context, selections ast.SelectionSet, v string) graphql.Marshaler {
//			return ec.marshalNString2string(ctx, selections, v)
//		},
//		true, true)
//
// and returns the value (obj.Name) and the marshaller (ec.marshalNString2string).
func plainLeaf(fn *ast.FuncDecl) (value, marshal ast.Expr, ok bool) {
	if len(fn.Body.List) != 1 {
		return nil, nil, false
	}
	ret, ok := fn.Body.List[0].(*ast.ReturnStmt)
	if !ok || len(ret.Results) != 1 {
		return nil, nil, false
	}
	call, ok := ret.Results[0].(*ast.CallExpr)
	if !ok || !isCall(call, "ResolveField") || len(call.Args) != 9 || !isIdent(call.Args[5], "nil") {
		return nil, nil, false
	}
	resolve, ok := returned(call.Args[4])
	if !ok || len(resolve) != 2 || !isIdent(resolve[1], "nil") {
		return nil, nil, false
	}
	if sel, ok := resolve[0].(*ast.SelectorExpr); !ok || !isIdent(sel.X, "obj") {
		return nil, nil, false
	}
	result, ok := returned(call.Args[6])
	if !ok || len(result) != 1 {
		return nil, nil, false
	}
	m, ok := result[0].(*ast.CallExpr)
	if !ok || len(m.Args) != 3 || !isIdent(m.Args[0], "ctx") || !isIdent(m.Args[1], "selections") || !isIdent(m.Args[2], "v") {
		return nil, nil, false
	}
	if sel, ok := m.Fun.(*ast.SelectorExpr); !ok || !isIdent(sel.X, "ec") || !strings.HasPrefix(sel.Sel.Name, "marshalN") {
		return nil, nil, false
	}
	return resolve[0], m.Fun, true
}

// returned is what the function literal e returns, when its body is one
// return statement.
func returned(e ast.Expr) ([]ast.Expr, bool) {
	lit, ok := e.(*ast.FuncLit)
	if !ok || len(lit.Body.List) != 1 {
		return nil, false
	}
	ret, ok := lit.Body.List[0].(*ast.ReturnStmt)
	if !ok {
		return nil, false
	}
	return ret.Results, true
}

// isCall reports whether call calls graphql.<name>.
func isCall(call *ast.CallExpr, name string) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == name && isIdent(sel.X, "graphql")
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// declares reports whether fn's body assigns name with :=.
func declares(fn *ast.FuncDecl, name string) bool {
	found := false
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if a, ok := n.(*ast.AssignStmt); ok && a.Tok == token.DEFINE {
			for _, l := range a.Lhs {
				found = found || isIdent(l, name)
			}
		}
		return !found
	})
	return found
}

func hasParam(fn *ast.FuncDecl, name string) bool {
	for _, p := range fn.Type.Params.List {
		for _, n := range p.Names {
			if n.Name == name {
				return true
			}
		}
	}
	return false
}
