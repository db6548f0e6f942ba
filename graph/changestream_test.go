package graph_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/internal/auth"
)

// fixedStream is a change stream whose stats do not move.
type fixedStream indexer.Stats

func (s fixedStream) Stats(context.Context) (indexer.Stats, error) { return indexer.Stats(s), nil }

const changeStreamQuery = `{ changeStream { slot state lagMs receivedLsn
	replicationSlot { exists active retainedWalBytes safeWalSizeBytes }
	consumers { name appliedLsn queued lagMs lastLagMs lastAppliedAt events lastError } } }`

// Administrators read the change stream's lag; others are refused, and a
// server without a change stream answers null.
func TestChangeStreamIsForAdmins(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := token(t, auth.RoleAdmin)

	res := b.do(t, admin, changeStreamQuery, nil)
	if len(res.Errors) > 0 || string(res.Data) != `{"changeStream":null}` {
		t.Fatalf("without a change stream: %s %+v", res.Data, res.Errors)
	}

	applied := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	b.resolver.Stream = fixedStream{Slot: "sg_slot", State: indexer.StateStreaming, ReceivedLSN: 0x16B3748, Lag: 1500 * time.Millisecond,
		Server: indexer.SlotStats{Exists: true, Active: true, RetainedWALBytes: 3 << 30},
		Consumers: []indexer.ConsumerStats{{Name: "hub", AppliedLSN: 0x16B3748, Queued: 2, Lag: 1500 * time.Millisecond,
			LastLag: 40 * time.Millisecond, LastAppliedAt: applied, Events: 7}}}
	res = b.do(t, admin, changeStreamQuery, nil)
	var got struct {
		ChangeStream struct {
			Slot, State, ReceivedLsn string
			LagMs                    float64
			ReplicationSlot          struct {
				Exists, Active   bool
				RetainedWalBytes float64
				SafeWalSizeBytes *float64
			}
			Consumers []struct {
				Name, AppliedLsn string
				Queued           int
				LagMs, LastLagMs float64
				LastAppliedAt    time.Time
				Events           float64
				LastError        *string
			}
		}
	}
	if err := json.Unmarshal(res.Data, &got); err != nil || len(res.Errors) > 0 {
		t.Fatalf("as admin: %s %+v %v", res.Data, res.Errors, err)
	}
	cs := got.ChangeStream
	if cs.Slot != "sg_slot" || cs.State != "STREAMING" || cs.ReceivedLsn != "0/16B3748" || cs.LagMs != 1500 {
		t.Errorf("stream %+v", cs)
	}
	if s := cs.ReplicationSlot; !s.Exists || !s.Active || s.RetainedWalBytes != 3<<30 || s.SafeWalSizeBytes != nil {
		t.Errorf("slot %+v (WAL sizes beyond 2 GiB must survive)", s)
	}
	if len(cs.Consumers) != 1 {
		t.Fatalf("consumers %+v", cs.Consumers)
	}
	if c := cs.Consumers[0]; c.Name != "hub" || c.AppliedLsn != "0/16B3748" || c.Queued != 2 || c.LagMs != 1500 ||
		c.LastLagMs != 40 || !c.LastAppliedAt.Equal(applied) || c.Events != 7 || c.LastError != nil {
		t.Errorf("consumer %+v", c)
	}

	for _, c := range []struct{ token, code string }{{"", "UNAUTHENTICATED"}, {token(t, auth.RoleGuest), "FORBIDDEN"},
		{token(t, auth.RoleStaff, uuid.New()), "FORBIDDEN"}} {
		res := b.do(t, c.token, changeStreamQuery, nil)
		if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != c.code || string(res.Data) != `{"changeStream":null}` {
			t.Errorf("want %s: %s %+v", c.code, res.Data, res.Errors)
		}
	}
}
