package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/staygraph/staygraph/graph/model"
	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/internal/auth"
)

// StreamStatus reports the state of the change stream this server runs
// (*indexer.Indexer).
type StreamStatus interface {
	Stats(ctx context.Context) (indexer.Stats, error)
}

// streamStates maps the indexer's states to ChangeStreamState.
var streamStates = map[indexer.State]model.ChangeStreamState{
	indexer.StateStarting:  model.ChangeStreamStateStarting,
	indexer.StateWaiting:   model.ChangeStreamStateWaiting,
	indexer.StateSnapshot:  model.ChangeStreamStateSnapshot,
	indexer.StateStreaming: model.ChangeStreamStateStreaming,
	indexer.StateRetrying:  model.ChangeStreamStateRetrying,
	indexer.StateStopped:   model.ChangeStreamStateStopped,
}

// changeStream answers Query.changeStream for administrators: nil when
// this server runs no change stream.
func (r *Resolver) changeStream(ctx context.Context) (*model.ChangeStream, error) {
	if err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	if r.Stream == nil {
		return nil, nil
	}
	st, err := r.Stream.Stats(ctx)
	if err != nil {
		return nil, fmt.Errorf("change stream stats: %w", err)
	}
	state, ok := streamStates[st.State]
	if !ok {
		return nil, fmt.Errorf("change stream stats: unknown state %q", st.State)
	}
	srv := st.Server
	out := &model.ChangeStream{
		Slot: st.Slot, State: state, LastError: nonEmpty(st.LastError),
		ReceivedLsn: st.ReceivedLSN.String(), ConfirmedLsn: st.ConfirmedLSN.String(), LagMs: millis(st.Lag),
		ReplicationSlot: &model.ReplicationSlot{
			Exists: srv.Exists, Active: srv.Active,
			ConfirmedFlushLsn: srv.ConfirmedFlushLSN.String(), CurrentWalLsn: srv.CurrentWALLSN.String(),
			RetainedWalBytes: float64(srv.RetainedWALBytes), RestartWalBytes: float64(srv.RestartWALBytes),
			WalStatus: srv.WALStatus,
		},
		Consumers: make([]model.ChangeConsumer, 0, len(st.Consumers)),
	}
	if srv.SafeWALSizeBytes != nil {
		b := float64(*srv.SafeWALSizeBytes)
		out.ReplicationSlot.SafeWalSizeBytes = &b
	}
	for _, c := range st.Consumers {
		out.Consumers = append(out.Consumers, model.ChangeConsumer{
			Name: c.Name, AppliedLsn: c.AppliedLSN.String(), LastAppliedAt: nonZero(c.LastAppliedAt),
			Queued: c.Queued, LagMs: millis(c.Lag), LastLagMs: millis(c.LastLag),
			LagP50Ms: millis(c.LagP50), LagP99Ms: millis(c.LagP99),
			Batches: float64(c.Batches), Events: float64(c.Events), Failures: int(c.Failures),
			LastError: nonEmpty(c.LastError), LastErrorAt: nonZero(c.LastErrorAt),
		})
	}
	return out, nil
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonZero(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
