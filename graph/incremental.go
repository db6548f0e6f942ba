package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// answeredInline is the cache of validated documents, which strips @defer
// from each document as it is added, before any request executes it: the
// deferred fields are then answered inline, in the one response. The
// HTTP transports write only a result's first payload, so a deferred field
// would come back null, without an error, even where the schema says it
// is never null; the subscription socket answers them inline already. The
// incremental delivery proposal lets a server answer @defer that way, and
// clients that send it (Apollo Client, Relay) read a complete response as
// one.
type answeredInline struct {
	graphql.Cache[*ast.QueryDocument]
}

// Add strips @defer from doc, which gqlgen has just parsed and validated
// and no other request holds yet, then caches it.
func (c answeredInline) Add(ctx context.Context, key string, doc *ast.QueryDocument) {
	for _, op := range doc.Operations {
		dropDefer(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		dropDefer(f.SelectionSet)
	}
	c.Cache.Add(ctx, key, doc)
}

// dropDefer removes @defer from the fragments of set and of the sets below
// it (the named fragments' own sets are walked by Add).
func dropDefer(set ast.SelectionSet) {
	isDefer := func(d *ast.Directive) bool { return d.Name == "defer" }
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			dropDefer(s.SelectionSet)
		case *ast.InlineFragment:
			s.Directives = slices.DeleteFunc(s.Directives, isDefer)
			dropDefer(s.SelectionSet)
		case *ast.FragmentSpread:
			s.Directives = slices.DeleteFunc(s.Directives, isDefer)
		}
	}
}
