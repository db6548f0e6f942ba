package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

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
// Documents an index refuses for what they are are recorded
// (search_index_refusals) while the others are written; the error is then
// a *RefusedError.
func (e *Engine) Upsert(ctx context.Context, docs []Document) error {
	if len(docs) == 0 {
		return nil
	}
	body, err := bulkBody(e.writeTargets(), true, docs, nil, 0)
	if err != nil {
		return err
	}
	refused, err := refusedOf(e.sendBulk(ctx, body))
	if err != nil {
		return err
	}
	written := make([]uuid.UUID, len(docs))
	for i, d := range docs {
		written[i] = d.ID
	}
	if err := e.recordRefusals(ctx, written, refused); err != nil {
		return err
	}
	if refused != nil {
		return refused
	}
	return nil
}

// Delete removes the documents of hotels that no longer exist; deleting a
// missing document is not an error. version is a WAL position read after
// the hotels were seen gone (CurrentVersion): each delete carries it as an
// external_gte version, so a document built earlier (a rebuild's, or a
// late upsert's) that arrives after it is refused instead of bringing the
// hotel back, for as long as Elasticsearch keeps the delete's tombstone
// (index.gc_deletes: a day on the indices Init and Rebuild create).
func (e *Engine) Delete(ctx context.Context, ids []uuid.UUID, version int64) error {
	if len(ids) == 0 {
		return nil
	}
	body, err := bulkBody(e.writeTargets(), true, nil, ids, version)
	if err != nil {
		return err
	}
	if err := e.sendBulk(ctx, body); err != nil {
		return err
	}
	return e.recordRefusals(ctx, ids, nil)
}

// writeTargets are the alias and the rebuild alias, which exists only while
// a Rebuild runs (writes to it fail harmlessly otherwise).
func (e *Engine) writeTargets() []string {
	return []string{e.opts.Alias, nextAlias(e.opts.Alias)}
}

// bulkBody is the NDJSON body of a bulk request that writes docs and deletes
// ids (at deleteVersion) in each target. With aliases, index operations set
// require_alias, so a missing alias never auto-creates an index with a
// guessed mapping. Built without a client, so it can be checked on its own.
func bulkBody(targets []string, aliases bool, docs []Document, deletes []uuid.UUID, deleteVersion int64) ([]byte, error) {
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
			op := types.DeleteOperation{Index_: ptr(target), Id_: ptr(id.String()),
				Version: ptr(deleteVersion), VersionType: &versiontype.Externalgte}
			if err := write(types.OperationContainer{Delete: &op}); err != nil {
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
		var esErr *types.ElasticsearchError
		if errors.As(err, &esErr) && busyStatus(esErr.Status) {
			return fmt.Errorf("%w: %w: bulk request: %v", errWrite, errBusy, err)
		}
		return fmt.Errorf("%w: bulk request: %v", errWrite, err)
	}
	return bulkError(e.opts.Alias, res)
}

// errBusy marks a write the cluster turned away for now (429: a write queue
// full; 503): sent again after a pause, it may pass.
var errBusy = errors.New("elasticsearch is busy")

func busyStatus(status int) bool { return status == 429 || status == 503 }

// RefusedError reports documents that Elasticsearch refused for what they
// are (refusedTypes), when every other operation of the request succeeded.
// Sending them again cannot succeed; each index that refused one keeps what
// it had for the hotel.
type RefusedError struct {
	Refusals []Refusal
}

// Refusal is one document refused by one index.
type Refusal struct {
	// ID is the document's id, its hotel's; Index the concrete index that
	// refused it.
	ID    uuid.UUID
	Index string
	// Status, Type and Reason are Elasticsearch's answer (Reason shortened
	// to about maxRefusalReason bytes).
	Status int
	Type   string
	Reason string
}

// maxRefusalReason bounds the reason kept of a refusal.
const maxRefusalReason = 500

// refusedTypes are the errors of a document refused for what it is: a value
// the mapping cannot take, a field a strict mapping does not have. Other
// 400s (a closed index, an alias without a write index) pass once someone
// acts, so the write is retried instead.
var refusedTypes = []string{"document_parsing_exception", "mapper_parsing_exception", "strict_dynamic_mapping_exception"}

func (e *RefusedError) Error() string {
	shown := e.Refusals[:min(len(e.Refusals), 5)]
	docs := make([]string, len(shown))
	for i, r := range shown {
		docs[i] = fmt.Sprintf("%s in %s (%d %s: %s)", r.ID, r.Index, r.Status, r.Type, r.Reason)
	}
	more := ""
	if n := len(e.Refusals) - len(shown); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	noun := "documents"
	if len(e.Refusals) == 1 {
		noun = "document"
	}
	return fmt.Sprintf("elasticsearch refused %d %s: %s%s", len(e.Refusals), noun, strings.Join(docs, "; "), more)
}

// bulkError reports the operations of a bulk response that failed (see
// itemError), nil when none did. When every failure is a document refused
// for what it is, the error is a *RefusedError naming each document once;
// any other failure (a full queue, a missing index) makes an error for
// which the whole request is worth sending again. Apart from sendBulk so
// that responses can be checked without a server.
func bulkError(alias string, res *bulk.Response) error {
	if !res.Errors {
		return nil
	}
	var errs []error
	refused := &RefusedError{}
	busy := false
	for _, item := range res.Items {
		for op, r := range item {
			err := itemError(alias, op.Name, r)
			if err == nil {
				continue
			}
			errs = append(errs, err)
			busy = busy || busyStatus(r.Status)
			if refused != nil && !refused.add(op.Name, r) {
				refused = nil
			}
		}
	}
	switch {
	case len(errs) == 0:
		return nil
	case refused != nil:
		return refused
	}
	err := fmt.Errorf("%w: %d of %d operations failed: %w", errWrite, len(errs), len(res.Items), errors.Join(errs[:min(len(errs), 5)]...))
	if busy {
		err = fmt.Errorf("%w: %w", errBusy, err)
	}
	return err
}

var errWrite = errors.New("write to elasticsearch")

// add records a failed item as a refusal, once per document and index, and
// reports whether it is one: a document written (op index) and refused for
// what it is (refusedTypes).
func (e *RefusedError) add(op string, r types.ResponseItem) bool {
	errType, reason := errorOf(r)
	if op != "index" || r.Status != 400 || !slices.Contains(refusedTypes, errType) || r.Id_ == nil {
		return false
	}
	id, err := uuid.Parse(*r.Id_)
	if err != nil {
		return false
	}
	if slices.ContainsFunc(e.Refusals, func(x Refusal) bool { return x.ID == id && x.Index == r.Index_ }) {
		return true
	}
	if len(reason) > maxRefusalReason {
		reason = strings.ToValidUTF8(reason[:maxRefusalReason], "") + "…"
	}
	e.Refusals = append(e.Refusals, Refusal{ID: id, Index: r.Index_, Status: r.Status, Type: errType, Reason: reason})
	return true
}

// errorOf is the type and reason of a failed item's error.
func errorOf(r types.ResponseItem) (errType, reason string) {
	if r.Error != nil {
		errType = r.Error.Type
		if r.Error.Reason != nil {
			reason = *r.Error.Reason
		}
	}
	return errType, reason
}

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
	errType, reason := errorOf(r)
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
