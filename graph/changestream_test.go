package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
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

// GET /stats of 'staygraph indexer' (indexer.Stats as JSON) reports the
// figures of changeStream under the same names: every field the GraphQL
// type has, with the same value, a null one left out.
func TestStatsJSONHasTheFiguresOfChangeStream(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pid, safe := int32(4242), int64(5<<30)
	applied := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	st := indexer.Stats{Slot: "sg_slot", State: indexer.StateRetrying, LastError: "connection reset",
		ReceivedLSN: 0x1_0000_16B3748, ConfirmedLSN: 0x16B3700, Snapshots: 1, Lag: 1500 * time.Millisecond,
		Server: indexer.SlotStats{Exists: true, Active: true, ActivePID: &pid, ConfirmedFlushLSN: 0x16B3700, CurrentWALLSN: 0x1_0000_16B3800,
			RetainedWALBytes: 3 << 30, RestartWALBytes: 4 << 30, WALStatus: "reserved", SafeWALSizeBytes: &safe},
		Consumers: []indexer.ConsumerStats{
			{Name: "hub", AppliedLSN: 0x16B3748, LastAppliedAt: applied, Queued: 2, Lag: 1500 * time.Millisecond,
				LastLag: 40250 * time.Microsecond, LagP50: 30 * time.Millisecond, LagP99: 55 * time.Millisecond,
				Batches: 3, Events: 7, Failures: 1, LastError: "timeout", LastErrorAt: applied.Add(-time.Minute)},
			{Name: "partner-webhooks"},
		}}
	b.resolver.Stream = fixedStream(st)
	res := b.do(t, token(t, auth.RoleAdmin), `{ changeStream { slot state lastError receivedLsn confirmedLsn lagMs
		replicationSlot { exists active confirmedFlushLsn currentWalLsn retainedWalBytes restartWalBytes walStatus safeWalSizeBytes }
		consumers { name appliedLsn lastAppliedAt queued lagMs lastLagMs lagP50Ms lagP99Ms batches events failures lastError lastErrorAt } } }`, nil)
	var gql struct{ ChangeStream map[string]any }
	if err := json.Unmarshal(res.Data, &gql); err != nil || len(res.Errors) > 0 {
		t.Fatalf("changeStream: %s %+v %v", res.Data, res.Errors, err)
	}
	raw, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var stats map[string]any
	if err := json.Unmarshal(raw, &stats); err != nil {
		t.Fatal(err)
	}
	// The state keeps the indexer's own words ("waiting for the slot" is WAITING).
	if gql.ChangeStream["state"] != "RETRYING" || stats["state"] != "retrying" {
		t.Errorf("state %v in /stats, %v in changeStream", stats["state"], gql.ChangeStream["state"])
	}
	delete(gql.ChangeStream, "state")
	sameFigures(t, "", gql.ChangeStream, stats)
	if stats["snapshots"] != 1.0 || stats["replicationSlot"].(map[string]any)["activePid"] != 4242.0 {
		t.Errorf("/stats lacks snapshots or activePid: %s", raw)
	}
	t.Logf("/stats: %s", raw)
}

// sameFigures checks that every field of want is in got with the same
// value, and that a null one is absent.
func sameFigures(t *testing.T, path string, want, got map[string]any) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		switch w := w.(type) {
		case nil:
			if ok {
				t.Errorf("%s%s: %v in /stats, want it left out (null in changeStream)", path, k, g)
			}
		case map[string]any:
			g, _ := g.(map[string]any)
			sameFigures(t, path+k+".", w, g)
		case []any:
			g, _ := g.([]any)
			if len(g) != len(w) {
				t.Errorf("%s%s: %d items in /stats, %d in changeStream", path, k, len(g), len(w))
				continue
			}
			for i := range w {
				gi, _ := g[i].(map[string]any)
				sameFigures(t, fmt.Sprintf("%s%s[%d].", path, k, i), w[i].(map[string]any), gi)
			}
		default:
			if !ok || fmt.Sprint(g) != fmt.Sprint(w) {
				t.Errorf("%s%s: %v in /stats, %v in changeStream", path, k, g, w)
			}
		}
	}
}
