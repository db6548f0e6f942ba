package metrics

import (
	"context"

	"github.com/staygraph/staygraph/internal/search"
)

// searchEngine counts the searches an engine answers and fails.
type searchEngine struct {
	search.Engine
	m *Metrics
}

var (
	_ search.Engine  = searchEngine{}
	_ search.Wrapper = searchEngine{}
)

// Engine returns e counting each search it runs in
// staygraph_search_requests_total, labelled with e.Name().
func (m *Metrics) Engine(e search.Engine) search.Engine { return searchEngine{Engine: e, m: m} }

// Search runs q on the wrapped engine and counts the outcome.
func (e searchEngine) Search(ctx context.Context, q search.Query) (search.Result, error) {
	res, err := e.Engine.Search(ctx, q)
	e.m.CountSearch(e.Engine.Name(), err)
	return res, err
}

// Unwrap returns the engine counted, for what it can do besides searching.
func (e searchEngine) Unwrap() search.Engine { return e.Engine }
