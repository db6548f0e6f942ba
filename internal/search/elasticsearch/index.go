package elasticsearch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/create"
	"github.com/elastic/go-elasticsearch/v8/typedapi/indices/updatealiases"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/dynamicmapping"
)

// MappingVersion is the version of mapping and document layout. Bump it with
// every change to either: Init then reports the index outdated and a
// rebuild (staygraph reindex) moves the alias to a new index.
const MappingVersion = 2

// ErrOutdatedMapping means the alias points to an index built with an older
// MappingVersion; rebuild it (staygraph reindex).
var ErrOutdatedMapping = errors.New("elasticsearch index has an outdated mapping")

// dateFormat is how documents and queries write local dates.
const dateFormat = "strict_date"

func ptr[T any](v T) *T { return &v }

// indexSettings are the analysis settings: "folding" makes text search
// case- and accent-insensitive (Lumière finds Lumiere). A delete's tombstone
// is kept for a day (Elasticsearch's default is 60 s), so that a rebuild
// which reaches a deleted hotel's document long after the delete still finds
// the delete's version and leaves the hotel out (Engine.Delete).
func indexSettings() *types.IndexSettings {
	return &types.IndexSettings{
		GcDeletes: "24h",
		Analysis: &types.IndexSettingsAnalysis{
			Analyzer: map[string]types.Analyzer{
				"folding": types.CustomAnalyzer{Tokenizer: "standard", Filter: []string{"lowercase", "asciifolding"}},
			},
		},
	}
}

// mapping is the explicit, strict mapping of Document.
func mapping() *types.TypeMapping {
	keyword := func() types.Property { return types.NewKeywordProperty() }
	integer := func() types.Property { return types.NewIntegerNumberProperty() }
	date := func() types.Property { p := types.NewDateProperty(); p.Format = ptr(dateFormat); return p }
	double := func() types.Property { return types.NewDoubleNumberProperty() }
	text := func(withKeyword bool) types.Property {
		p := types.NewTextProperty()
		p.Analyzer = ptr("folding")
		p.CopyTo = []string{"search_text"}
		if withKeyword {
			k := types.NewKeywordProperty()
			k.IgnoreAbove = ptr(256)
			p.Fields = map[string]types.Property{"keyword": k}
		}
		return p
	}
	country := types.NewKeywordProperty()
	country.CopyTo = []string{"search_text"}
	searchText := types.NewTextProperty()
	searchText.Analyzer = ptr("folding")

	roomType := map[string]types.Property{
		"id": keyword(), "time_zone": keyword(),
		"max_adults": integer(), "max_children": integer(), "max_occupancy": integer(), "units": integer(),
		"unpriced_nights":      date(),
		"price_from":           types.NewLongNumberProperty(),
		"price_from_usd_cents": double(),
		"price_to_usd_cents":   double(),
	}
	for n := 1; n <= maxUnits; n++ {
		roomType[shortNightsField(n)] = date()
	}
	roomTypes := types.NewNestedProperty()
	roomTypes.Properties = roomType

	version, _ := json.Marshal(MappingVersion)
	return &types.TypeMapping{
		Dynamic: &dynamicmapping.Strict,
		Meta_:   types.Metadata{"mapping_version": version},
		Properties: map[string]types.Property{
			"id":           keyword(),
			"name":         text(true),
			"description":  text(false),
			"city":         text(true),
			"country":      country,
			"country_name": text(false),
			"search_text":  searchText,
			"location":     types.NewGeoPointProperty(),
			"stars":        integer(),
			"amenities":    keyword(),
			"currency":     keyword(),
			"time_zone":    keyword(),
			"tax_rate_bps": integer(),
			"nights_from":  date(),
			"nights_until": date(),
			"room_types":   roomTypes,
		},
	}
}

// indexName is a new versioned index behind alias.
func indexName(alias string, now time.Time) string {
	return fmt.Sprintf("%s-v%d-%s", alias, MappingVersion, strings.ToLower(now.UTC().Format("20060102t150405.000000")))
}

// indexVersion reads the mapping version from a versioned index name.
func indexVersion(alias, index string) (int, bool) {
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(alias) + `-v(\d+)-`).FindStringSubmatch(index)
	if m == nil {
		return 0, false
	}
	v, err := strconv.Atoi(m[1])
	return v, err == nil
}

// nextAlias names the alias of an index being rebuilt: writes go there too,
// so changes made during a rebuild are not lost.
func nextAlias(alias string) string { return alias + "-next" }

func (e *Engine) createIndex(ctx context.Context, name string, aliases map[string]types.Alias, loading bool) error {
	settings := indexSettings()
	if loading {
		settings.RefreshInterval = "-1"
	}
	_, err := e.client.Indices.Create(name).Request(&create.Request{Mappings: mapping(), Settings: settings, Aliases: aliases}).Do(ctx)
	if err != nil {
		return fmt.Errorf("create index %s: %w", name, err)
	}
	return nil
}

// aliasIndices lists the indices behind an alias; none when it is missing.
func (e *Engine) aliasIndices(ctx context.Context, alias string) ([]string, error) {
	ok, err := e.client.Indices.ExistsAlias(alias).IsSuccess(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up alias %s: %w", alias, err)
	}
	if !ok {
		return nil, nil
	}
	res, err := e.client.Indices.GetAlias().Name(alias).Do(ctx)
	if err != nil {
		return nil, fmt.Errorf("read alias %s: %w", alias, err)
	}
	var out []string
	for index := range res {
		out = append(out, index)
	}
	slices.Sort(out)
	return out, nil
}

// Init makes sure the alias exists, creating a first empty index behind it
// when it does not (existed is then false and the caller fills it, e.g.
// with Rebuild). When the alias points to an index of an older
// MappingVersion it reports ErrOutdatedMapping: rebuild.
func (e *Engine) Init(ctx context.Context) (existed bool, err error) {
	indices, err := e.aliasIndices(ctx, e.opts.Alias)
	if err != nil {
		return false, err
	}
	if len(indices) == 0 {
		return false, e.createIndex(ctx, indexName(e.opts.Alias, time.Now()), map[string]types.Alias{e.opts.Alias: {}}, false)
	}
	for _, index := range indices {
		if v, ok := indexVersion(e.opts.Alias, index); !ok || v < MappingVersion {
			return true, fmt.Errorf("%w: alias %s points to %s, this build needs mapping version %d; run staygraph reindex",
				ErrOutdatedMapping, e.opts.Alias, index, MappingVersion)
		}
	}
	return true, nil
}

// Rebuild builds a new index from load, then moves the alias to it in one
// atomic _aliases call and deletes the indices it pointed to before. load
// yields every document; progress (may be nil) is told after each bulk
// batch how many were indexed (total is -1: the loader's size is unknown
// here). While it runs, the new index is also behind "<alias>-next", so
// Upsert and Delete reach it too; versions keep the newest of both writes.
// On failure the new index is deleted and the alias left as it was (a
// swap whose answer was lost is looked up first: the alias may have moved,
// and the new index is kept when it did or when the lookup fails too, the
// error then naming it: it is still behind "<alias>-next" until deleted); once
// the alias has moved, a failure to clear what it pointed to before is a
// *CleanupError (the rebuild itself succeeded). A
// document Elasticsearch refuses for what it is is such a failure, for an
// index without it would serve searches: the rebuild still loads every
// document, then fails with a *RefusedError naming all it refused.
func (e *Engine) Rebuild(ctx context.Context, load func(yield func(Document) error) error, progress func(done, total int)) (err error) {
	name := indexName(e.opts.Alias, time.Now())
	next := nextAlias(e.opts.Alias)
	if err := e.createIndex(ctx, name, map[string]types.Alias{next: {}}, true); err != nil {
		return err
	}
	swapped := false
	defer func() {
		if err != nil && !swapped {
			if _, derr := e.client.Indices.Delete(name).Do(context.WithoutCancel(ctx)); derr != nil {
				err = errors.Join(err, fmt.Errorf("delete unfinished index %s: %w", name, derr))
			}
		}
	}()
	done := 0
	refused := &RefusedError{}
	batch := make([]Document, 0, e.opts.BatchSize)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		body, err := bulkBody([]string{name}, false, batch, nil, 0)
		if err != nil {
			return err
		}
		r, err := refusedOf(retryWrite(ctx, rebuildAttempts, rebuildPause, func() error { return e.sendBulk(ctx, body) }))
		if err != nil {
			return err
		}
		if r != nil {
			refused.Refusals = append(refused.Refusals, r.Refusals...)
			done -= len(r.Refusals)
		}
		done += len(batch)
		batch = batch[:0]
		if progress != nil {
			progress(done, -1)
		}
		return nil
	}
	err = load(func(d Document) error {
		batch = append(batch, d)
		if len(batch) >= e.opts.BatchSize {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("fill index %s: %w", name, err)
	}
	if len(refused.Refusals) > 0 {
		return fmt.Errorf("alias %s left on its index, %s deleted: %w", e.opts.Alias, name, refused)
	}
	if _, err := e.client.Indices.PutSettings().Indices(name).Request(&types.IndexSettings{RefreshInterval: "1s"}).Do(ctx); err != nil {
		return fmt.Errorf("restore refresh interval of %s: %w", name, err)
	}
	if _, err := e.client.Indices.Refresh().Index(name).Do(ctx); err != nil {
		return fmt.Errorf("refresh index %s: %w", name, err)
	}
	old, err := e.aliasIndices(ctx, e.opts.Alias)
	if err != nil {
		return err
	}
	if _, err := e.client.Indices.UpdateAliases().Request(swapAliases(e.opts.Alias, name, old)).Do(ctx); err != nil {
		// Elasticsearch may have moved the alias and its answer been lost
		// (a timeout, Ctrl-C): the new index is then the live one, and
		// deleting it would take the catalog away. Ask, and keep it unless
		// the alias surely stayed.
		now, lerr := e.aliasIndices(context.WithoutCancel(ctx), e.opts.Alias)
		switch {
		case lerr != nil:
			swapped = true
			return fmt.Errorf("move alias %s to %s: %w; whether it moved is unknown (%v): %s is kept, delete it if the alias still points elsewhere",
				e.opts.Alias, name, err, lerr, name)
		case !slices.Contains(now, name):
			return fmt.Errorf("move alias %s to %s: %w", e.opts.Alias, name, err)
		}
	}
	swapped = true
	// The alias has moved: the rebuild succeeded, and what remains is
	// bookkeeping; the old indices are only garbage.
	var errs []error
	if err := e.retireRefusals(ctx, old); err != nil {
		errs = append(errs, err)
	}
	for _, index := range old {
		if _, err := e.client.Indices.Delete(index).Do(ctx); err != nil {
			errs = append(errs, fmt.Errorf("delete the old index %s: %w", index, err))
		}
	}
	if len(errs) > 0 {
		return &CleanupError{Index: name, Err: errors.Join(errs...)}
	}
	return nil
}

// A batch of a rebuild that the cluster turned away for now (errBusy: a
// write queue full, answering 429; 503) is sent again, up to
// rebuildAttempts times in all, after a pause that starts at rebuildPause
// and doubles (31 s in all): a rebuild of a large catalog on a busy cluster
// is not thrown away for one such answer. Its documents carry their
// versions, so sending a batch again writes nothing twice. Other failures
// (a request that timed out, a refused document) end the rebuild at once.
const (
	rebuildAttempts = 6
	rebuildPause    = time.Second
)

// retryWrite calls send until it succeeds, fails otherwise than by a busy
// cluster (errBusy), or has been called attempts times, pausing between
// calls pause, then twice as long each time. It stops when ctx ends, with
// the last error.
func retryWrite(ctx context.Context, attempts int, pause time.Duration, send func() error) error {
	for i := 1; ; i++ {
		err := send()
		if err == nil || !errors.Is(err, errBusy) || i >= attempts {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (stopped after %d attempts: %v)", err, i, ctx.Err())
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// CleanupError is Rebuild's answer when the alias moved to the new index,
// so the rebuild succeeded, but the old indices or their recorded refusals
// could not be cleared: garbage to remove by hand, not a reason to rebuild
// again.
type CleanupError struct {
	// Index is the index the alias now points to.
	Index string
	Err   error
}

func (e *CleanupError) Error() string {
	return fmt.Sprintf("alias moved to %s, but: %v", e.Index, e.Err)
}

func (e *CleanupError) Unwrap() error { return e.Err }

// swapAliases is the one _aliases request that moves alias from old to
// index and takes index out of the rebuild alias.
func swapAliases(alias, index string, old []string) *updatealiases.Request {
	req := &updatealiases.Request{}
	for _, o := range old {
		req.Actions = append(req.Actions, types.IndicesAction{Remove: &types.RemoveAction{Index: ptr(o), Alias: ptr(alias)}})
	}
	req.Actions = append(req.Actions,
		types.IndicesAction{Add: &types.AddAction{Index: ptr(index), Alias: ptr(alias)}},
		types.IndicesAction{Remove: &types.RemoveAction{Index: ptr(index), Alias: ptr(nextAlias(alias))}})
	return req
}
