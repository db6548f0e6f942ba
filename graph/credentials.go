package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
)

// mutationsNeedCredentials answers an anonymous caller's mutation
// UNAUTHENTICATED before its input is read: every mutation needs a caller,
// and one told first that the ids it pasted are malformed would fix them,
// only to learn then that it needs a token.
func mutationsNeedCredentials(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation || auth.FromContext(ctx) != nil {
		return next(ctx)
	}
	graphql.AddError(ctx, &gqlerror.Error{
		Err:  apperr.New(apperr.Unauthenticated, "authentication required: a mutation needs a token (Authorization: Bearer …) or a partner's API key (X-API-Key)"),
		Path: ast.Path{ast.PathName(graphql.GetRootFieldContext(ctx).Field.Alias)},
	})
	return graphql.Null
}
