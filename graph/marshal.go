package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// The executor gqlgen generates calls marshalList and deferredGroup instead
// of two functions of gqlgen's, and marshals a leaf read from a Go struct
// field (a non-null String, Int or Boolean) without graphql.ResolveField:
// without a field context, so a field interceptor (graphql.FieldInterceptor)
// does not see it; operationTracing, the only one, traces resolvers only
// (graph/generate makes it so; TestOnlyTracingInterceptsFields).

// marshalList marshals the elements of a list of objects. gqlgen marshals
// each element in a goroutine of its own, so that the resolvers under them,
// data loaders above all, wait together; marshalList does so too when the
// list's selection reaches a field gqlgen resolves concurrently, and
// otherwise marshals the elements in place, one after the other: the same
// values, the same paths and the same recovery from a panic, without a
// goroutine per element.
func marshalList(ctx context.Context, sel ast.SelectionSet, length int, workerLimit int64, omitPanicHandler bool,
	marshal func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	if length < 2 || selectsConcurrent(sel) {
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshal)
	}
	ret := make(graphql.Array, length)
	for i := range length {
		ret[i] = marshalElement(graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i}), i, omitPanicHandler, marshal)
	}
	return ret
}

// marshalElement is one element of marshalList, a panic in it turned into
// the element's error and null, as gqlgen does.
func marshalElement(ctx context.Context, i int, omitPanicHandler bool, marshal func(ctx context.Context, i int) graphql.Marshaler) (m graphql.Marshaler) {
	if !omitPanicHandler {
		defer func() {
			if r := recover(); r != nil {
				graphql.AddError(ctx, graphql.Recover(ctx, r))
				m = graphql.Null
			}
		}()
	}
	return marshal(ctx, i)
}

// selectsConcurrent reports whether sel, at any depth, selects a field in
// concurrentFields (concurrent_gen.go).
func selectsConcurrent(sel ast.SelectionSet) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.ObjectDefinition == nil || concurrentFields[s.ObjectDefinition.Name][s.Name] || selectsConcurrent(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if selectsConcurrent(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || selectsConcurrent(s.Definition.SelectionSet) {
				return true
			}
		default:
			return true // nothing else is a selection today; keep gqlgen's way for anything new
		}
	}
	return false
}

// deferredGroup is the group an object's deferred fields are marshalled in
// later: graphql.NewDeferredGroup's when one of fields is deferred, else an
// empty one, which nothing reads, without the object's path that
// graphql.NewDeferredGroup works out for it.
func deferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for _, f := range fields {
		if f.IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{}
}
