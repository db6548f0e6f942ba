package graph

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/staygraph/staygraph/internal/apperr"
)

// stringInts refuses an operation whose variables give an Int as a JSON
// string ("5"), wherever it sits: a variable of its own, a field of an
// input object, an element of a list. gqlparser's validation lets a string
// of digits pass as an Int, which the GraphQL spec does not; the Int scalar
// (graph/scalar) refuses it, but only when the field that takes it runs,
// after the mutations before that field in the document had run and
// committed. Refused here, nothing in the document runs, as for any other
// variable not of its type (1.5 as an Int).
type stringInts struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*stringInts)(nil)

// ExtensionName names the extension in gqlgen's stats.
func (*stringInts) ExtensionName() string { return "StringInts" }

// Validate keeps the schema the variables' types are read in.
func (s *stringInts) Validate(es graphql.ExecutableSchema) error {
	s.schema = es.Schema()
	return nil
}

// MutateOperationContext refuses the first Int given as a string, on its
// path from the variable (["variable", "b", "rooms", 0, "adults"]).
func (s *stringInts) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	for _, def := range opCtx.Operation.VariableDefinitions {
		if v, ok := opCtx.Variables[def.Variable]; ok {
			if err := s.check(def.Type, v, ast.Path{ast.PathName("variable"), ast.PathName(def.Variable)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// check walks v as a value of type t.
func (s *stringInts) check(t *ast.Type, v any, path ast.Path) *gqlerror.Error {
	if v == nil {
		return nil
	}
	if t.Elem != nil {
		// a list is a []any as JSON decodes it, or, where one value was
		// given for a list of one, the typed slice gqlparser wraps it in
		// ([]string{"7"}, []map[string]any{...})
		list := reflect.ValueOf(v)
		if list.Kind() != reflect.Slice {
			return s.check(t.Elem, v, path)
		}
		for i := range list.Len() {
			if err := s.check(t.Elem, list.Index(i).Interface(), append(path[:len(path):len(path)], ast.PathIndex(i))); err != nil {
				return err
			}
		}
		return nil
	}
	def := s.schema.Types[t.NamedType]
	switch {
	case def == nil:
	case def.Kind == ast.Scalar && def.Name == "Int":
		// a JSON number is a json.Number here, a JSON string a string
		if _, isString := v.(string); isString {
			err := gqlerror.ErrorPathf(path, "Int must be a whole number, not a string")
			errcode.Set(err, string(apperr.InvalidInput))
			return err
		}
	case def.Kind == ast.InputObject:
		fields, _ := v.(map[string]any)
		for _, f := range def.Fields {
			if fv, ok := fields[f.Name]; ok {
				if err := s.check(f.Type, fv, append(path[:len(path):len(path)], ast.PathName(f.Name))); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
