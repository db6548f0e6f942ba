package indexer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/eswriter"
	"github.com/staygraph/staygraph/internal/search/elasticsearch"
)

// docIndex keeps what an Elasticsearch index fed by the writer would hold,
// through the writer's own output interface (eswriter.Index), without a
// search server: documents by hotel, a write older than a document's
// version refused (external_gte versioning), a rebuild replacing them all.
// With a journal, every call is appended to a file before it returns — as
// an acknowledged bulk request is durable — so a process killed at any
// point leaves exactly what it acknowledged, which readJournal reads back.
type docIndex struct {
	mu      sync.Mutex
	docs    map[uuid.UUID]elasticsearch.Document
	rebuilt []elasticsearch.Document // by the last rebuild
	journal io.Writer
}

var _ eswriter.Index = (*docIndex)(nil)

// journalEntry is one call of the writer, a line of the journal. Versions
// are kept apart: a Document does not serialize its own.
type journalEntry struct {
	Op       string                   `json:"op"` // upsert, delete, rebuild
	Docs     []elasticsearch.Document `json:"docs,omitempty"`
	Versions []int64                  `json:"versions,omitempty"`
	IDs      []uuid.UUID              `json:"ids,omitempty"`
	Version  int64                    `json:"version,omitempty"` // a delete's
}

func newDocIndex(journal io.Writer) *docIndex {
	return &docIndex{docs: map[uuid.UUID]elasticsearch.Document{}, journal: journal}
}

func (x *docIndex) Upsert(_ context.Context, docs []elasticsearch.Document) error {
	return x.record(journalEntry{Op: "upsert", Docs: docs})
}

func (x *docIndex) Delete(_ context.Context, ids []uuid.UUID, version int64) error {
	if len(ids) == 0 {
		return nil
	}
	return x.record(journalEntry{Op: "delete", IDs: ids, Version: version})
}

func (x *docIndex) Rebuild(_ context.Context, load func(yield func(elasticsearch.Document) error) error, _ func(int, int)) error {
	var docs []elasticsearch.Document
	if err := load(func(d elasticsearch.Document) error {
		docs = append(docs, d)
		return nil
	}); err != nil {
		return err
	}
	return x.record(journalEntry{Op: "rebuild", Docs: docs})
}

// record writes e to the journal, in one write, and applies it.
func (x *docIndex) record(e journalEntry) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.journal != nil {
		for _, d := range e.Docs {
			e.Versions = append(e.Versions, d.Version)
		}
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if _, err := x.journal.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	x.apply(e)
	return nil
}

func (x *docIndex) apply(e journalEntry) {
	switch e.Op {
	case "rebuild":
		clear(x.docs)
		x.rebuilt = slices.Clone(e.Docs)
		for _, d := range e.Docs {
			x.docs[d.ID] = d
		}
	case "upsert":
		for _, d := range e.Docs {
			if cur, ok := x.docs[d.ID]; !ok || d.Version >= cur.Version {
				x.docs[d.ID] = d
			}
		}
	case "delete": // as external_gte: a newer document stays
		for _, id := range e.IDs {
			if cur, ok := x.docs[id]; ok && cur.Version <= e.Version {
				delete(x.docs, id)
			}
		}
	}
}

// doc is the document of hotel id, if the index holds one.
func (x *docIndex) doc(id uuid.UUID) (elasticsearch.Document, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	d, ok := x.docs[id]
	return d, ok
}

// all are the documents the index holds.
func (x *docIndex) all() map[uuid.UUID]elasticsearch.Document {
	x.mu.Lock()
	defer x.mu.Unlock()
	return maps.Clone(x.docs)
}

// readJournal replays a journal into a docIndex. A last line cut short by
// a kill is a call that never returned, so it is left out.
func readJournal(path string) (*docIndex, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return newDocIndex(nil), nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	x := newDocIndex(nil)
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return x, nil // a partial line, if any, was never acknowledged
		}
		if err != nil {
			return nil, err
		}
		var e journalEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("journal %s: %w", path, err)
		}
		if len(e.Versions) != len(e.Docs) {
			return nil, fmt.Errorf("journal %s: %d versions for %d documents", path, len(e.Versions), len(e.Docs))
		}
		for i := range e.Docs {
			e.Docs[i].Version = e.Versions[i]
		}
		x.apply(e)
	}
}

// snapshotHook is the Elasticsearch writer with something done just
// before its snapshot loads, and the snapshot it was given.
type snapshotHook struct {
	*eswriter.Writer
	before func(ctx context.Context) error

	mu   sync.Mutex
	snap indexer.Snapshot
}

func (h *snapshotHook) Snapshot(ctx context.Context, snap indexer.Snapshot) error {
	if err := h.before(ctx); err != nil {
		return err
	}
	h.mu.Lock()
	h.snap = snap
	h.mu.Unlock()
	return h.Writer.Snapshot(ctx, snap)
}

func (h *snapshotHook) snapshot() indexer.Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.snap
}
