package elasticsearch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
)

// A rebuild's batch that a busy cluster turned away (a full write queue)
// is sent again, with growing pauses, up to the attempts allowed; one that
// failed otherwise (a timeout, a closed index) or whose documents were
// refused for what they are is not, nor after ctx ends.
func TestARebuildBatchIsSentAgainWhenTheClusterIsBusy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	full := bulkError(DefaultAlias, bulkResponse(t, "bulk_response_rejected.json")) // a 429 item
	if !errors.Is(full, errBusy) {
		t.Fatalf("a full write queue: %v, want it busy", full)
	}
	calls := 0
	err := retryWrite(ctx, 6, time.Millisecond, func() error {
		if calls++; calls < 3 {
			return full
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("two full queues, then accepted: %v after %d calls, want nil after 3", err, calls)
	}
	calls = 0
	if err := retryWrite(ctx, 4, time.Millisecond, func() error { calls++; return full }); !errors.Is(err, errWrite) || calls != 4 {
		t.Errorf("a queue full every time: %v after %d calls, want the write error after 4", err, calls)
	}
	calls = 0
	refused := &RefusedError{Refusals: []Refusal{{Type: "document_parsing_exception"}}}
	if err := retryWrite(ctx, 6, time.Millisecond, func() error { calls++; return refused }); !errors.As(err, &refused) || calls != 1 {
		t.Errorf("a document refused: %v after %d calls, want it once", err, calls)
	}
	for _, file := range []string{"bulk_response_index_closed.json", "bulk_response_no_write_index.json"} {
		calls = 0
		closed := bulkError(DefaultAlias, bulkResponse(t, file))
		if err := retryWrite(ctx, 6, time.Millisecond, func() error { calls++; return closed }); !errors.Is(err, errWrite) || calls != 1 {
			t.Errorf("%s: %v after %d calls, want the write error once", file, err, calls)
		}
	}
	calls = 0
	timedOut := fmt.Errorf("%w: bulk request: net/http: timeout awaiting response headers", errWrite)
	if err := retryWrite(ctx, 6, time.Millisecond, func() error { calls++; return timedOut }); !errors.Is(err, errWrite) || calls != 1 {
		t.Errorf("a request that timed out: %v after %d calls, want it once", err, calls)
	}
	calls = 0
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := retryWrite(cancelled, 6, time.Hour, func() error { calls++; return full }); !errors.Is(err, errWrite) || calls != 1 {
		t.Errorf("a queue full, the rebuild cancelled: %v after %d calls, want the write error after 1", err, calls)
	}
}

// A rebuild's client asks a server that takes the connection and never
// answers once, for one response timeout: neither the client's own retries
// nor Rebuild's send a request that timed out again, so a release job
// running reindex stops after that timeout instead of many of them.
func TestARebuildAsksASilentServerOnce(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() { // reads what it is sent, never answers
				defer c.Close()
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	const responseTimeout = 100 * time.Millisecond
	client, err := elasticsearch.NewTypedClient(RebuildClientConfig([]string{"http://" + ln.Addr().String()}, responseTimeout))
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(client, nil, Opts{})
	body, err := bulkBody([]string{"staygraph-hotels-v2-20270610t110000.000000"}, false, []Document{{Version: 1}}, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	err = retryWrite(ctx, rebuildAttempts, time.Millisecond, func() error { return e.sendBulk(ctx, body) })
	if !errors.Is(err, errWrite) {
		t.Fatalf("a silent server: %v, want a write error", err)
	}
	if n, took := accepted.Load(), time.Since(start); n != 1 || took > 3*responseTimeout {
		t.Errorf("a silent server was asked %d times in %v for one batch (response timeout %v), want once", n, took.Round(time.Millisecond), responseTimeout)
	}
}
