package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/elastic/go-elasticsearch/v8/typedapi/core/bulk"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/versiontype"
)

// DefaultBatchSize is the number of documents per bulk request of Rebuild.
const DefaultBatchSize = 500

// Upsert indexes docs through the alias, and through the rebuild alias
// while a Rebuild runs. Each document carries its Version as an
// external_gte version: a document built from an older snapshot than the
// one indexed is refused by Elasticsearch and silently skipped here.
func (e *Engine) Upsert(ctx context.Context, docs []Document) error {
	if len(docs) == 0 {
		return nil
	}
	body, err := bulkBody(e.writeTargets(), true, docs, nil)
	if err != nil {
		return err
	}
	return e.sendBulk(ctx, body)
}

// Delete removes the documents of hotels that no longer exist; deleting a
// missing document is not an error.
func (e *Engine) Delete(ctx context.Context, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	body, err := bulkBody(e.writeTargets(), true, nil, ids)
	if err != nil {
		return err
	}
	return e.sendBulk(ctx, body)
}

// writeTargets are the alias and the rebuild alias, which exists only while
// a Rebuild runs (writes to it fail harmlessly otherwise).
func (e *Engine) writeTargets() []string {
	return []string{e.opts.Alias, nextAlias(e.opts.Alias)}
}

// bulkBody is the NDJSON body of a bulk request that writes docs and deletes
// ids in each target. With aliases, index operations set require_alias, so
// a missing alias never auto-creates an index with a guessed mapping. Built
// without a client, so it can be checked on its own.
func bulkBody(targets []string, aliases bool, docs []Document, deletes []uuid.UUID) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	write := func(v any) error {
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode bulk request: %w", err)
		}
		return nil
	}
	for _, target := range targets {
		for _, d := range docs {
			op := types.IndexOperation{Index_: ptr(target), Id_: ptr(d.ID.String()),
				Version: ptr(d.Version), VersionType: &versiontype.Externalgte}
			if aliases {
				op.RequireAlias = ptr(true)
			}
			if err := write(types.OperationContainer{Index: &op}); err != nil {
				return nil, err
			}
			if err := write(d); err != nil {
				return nil, err
			}
		}
		for _, id := range deletes {
			if err := write(types.OperationContainer{Delete: &types.DeleteOperation{Index_: ptr(target), Id_: ptr(id.String())}}); err != nil {
				return nil, err
			}
		}
	}
	return buf.Bytes(), nil
}

// sendBulk sends a bulk body and reports the operations that failed.
func (e *Engine) sendBulk(ctx context.Context, body []byte) error {
	res, err := e.client.Bulk().Raw(bytes.NewReader(body)).Do(ctx)
	if err != nil {
		return fmt.Errorf("%w: bulk request: %v", errWrite, err)
	}
	return bulkError(e.opts.Alias, res)
}

// bulkError reports the operations of a bulk response that failed (see
// itemError), nil when none did. Apart from sendBulk so that responses can
// be checked without a server.
func bulkError(alias string, res *bulk.Response) error {
	if !res.Errors {
		return nil
	}
	var errs []error
	for _, item := range res.Items {
		for op, r := range item {
			if err := itemError(alias, op.Name, r); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %d of %d operations failed: %w", errWrite, len(errs), len(res.Items), errors.Join(errs[:min(len(errs), 5)]...))
	}
	return nil
}

var errWrite = errors.New("write to elasticsearch")

// itemError is the error of one bulk item, or nil for outcomes that are
// fine: a refused older version (409), a missing document to delete, and
// any write to the rebuild alias when no rebuild runs.
func itemError(alias, op string, r types.ResponseItem) error {
	if r.Status < 300 {
		return nil
	}
	if r.Status == 409 {
		return nil
	}
	if r.Status == 404 && op == "delete" && r.Error == nil {
		return nil
	}
	errType, reason := "", ""
	if r.Error != nil {
		errType = r.Error.Type
		if r.Error.Reason != nil {
			reason = *r.Error.Reason
		}
	}
	if r.Status == 404 && errType == "index_not_found_exception" && indexOfAlias(r, nextAlias(alias)) {
		return nil
	}
	id := ""
	if r.Id_ != nil {
		id = *r.Id_
	}
	return fmt.Errorf("%s %s in %s: %d %s: %s", op, id, r.Index_, r.Status, errType, reason)
}

// indexOfAlias reports whether a failed item targeted alias.
func indexOfAlias(r types.ResponseItem, alias string) bool {
	if r.Index_ == alias {
		return true
	}
	if r.Error != nil && r.Error.Metadata != nil {
		var index string
		if raw, ok := r.Error.Metadata["index"]; ok && json.Unmarshal(raw, &index) == nil {
			return index == alias
		}
	}
	return false
}
