package indexer

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// lagWindow is how many applied transactions the lag percentiles cover.
const lagWindow = 1024

// lane feeds one consumer: a bounded queue of committed transactions that
// it cuts into batches (Opts.BatchWait or Opts.BatchEvents, whichever comes
// first) and applies in order, retrying a failed batch until it succeeds.
// A consumer that falls behind fills its queue; the stream then waits for
// it (acknowledgements never pass the slowest consumer anyway).
type lane struct {
	c    Consumer
	in   chan *txn
	opts Opts
	log  *slog.Logger

	// enqueued is the end of the last transaction put in the queue; only
	// the stream's goroutine uses it.
	enqueued LSN
	// applied is the end of the last transaction applied.
	applied atomic.Uint64

	mu          sync.Mutex
	since       time.Time // commit time of the oldest transaction being applied; zero when idle
	lags        []time.Duration
	lagNext     int
	lastLag     time.Duration
	lastApplied time.Time
	batches     uint64
	events      uint64
	failures    uint64
	lastErr     string
	lastErrTime time.Time
}

func newLane(c Consumer, start LSN, opts Opts) *lane {
	l := &lane{c: c, in: make(chan *txn, opts.QueueTxns), opts: opts, enqueued: start,
		log: opts.Logger.With("consumer", c.Name())}
	l.applied.Store(uint64(start))
	return l
}

// caughtUp reports whether everything enqueued was applied. Only the
// stream's goroutine may call it.
func (l *lane) caughtUp() bool { return LSN(l.applied.Load()) >= l.enqueued }

// run applies batches until ctx ends.
func (l *lane) run(ctx context.Context) {
	for {
		var first *txn
		select {
		case first = <-l.in:
		case <-ctx.Done():
			return
		}
		batch := []*txn{first}
		n := len(first.events)
		l.setSince(first.commitTime)
		timer := time.NewTimer(l.opts.BatchWait)
	collect:
		for n < l.opts.BatchEvents {
			select {
			case t := <-l.in:
				batch = append(batch, t)
				n += len(t.events)
			case <-timer.C:
				break collect
			case <-ctx.Done():
				timer.Stop()
				return
			}
		}
		timer.Stop()
		events := make([]Event, 0, n)
		for _, t := range batch {
			events = append(events, t.events...)
		}
		if !l.apply(ctx, events) {
			return
		}
		l.done(batch, len(events))
	}
}

// apply applies a batch, retrying with backoff until it succeeds (true) or
// ctx ends (false).
func (l *lane) apply(ctx context.Context, events []Event) bool {
	backoff := l.opts.RetryMin
	for {
		err := l.c.Apply(ctx, events)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		l.mu.Lock()
		l.failures++
		l.lastErr, l.lastErrTime = err.Error(), time.Now()
		l.mu.Unlock()
		l.log.Error("consumer failed to apply a batch; retrying", "events", len(events), "retry_in", backoff, "err", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return false
		}
		backoff = min(2*backoff, l.opts.RetryMax)
	}
}

func (l *lane) setSince(t time.Time) {
	l.mu.Lock()
	l.since = t
	l.mu.Unlock()
}

// done records an applied batch.
func (l *lane) done(batch []*txn, events int) {
	now := time.Now()
	l.mu.Lock()
	for _, t := range batch {
		lag := max(now.Sub(t.commitTime), 0)
		if len(l.lags) < lagWindow {
			l.lags = append(l.lags, lag)
		} else {
			l.lags[l.lagNext] = lag
			l.lagNext = (l.lagNext + 1) % lagWindow
		}
		l.lastLag = lag
	}
	l.since = time.Time{}
	l.lastApplied = now
	l.batches++
	l.events += uint64(events)
	l.mu.Unlock()
	l.applied.Store(uint64(batch[len(batch)-1].endLSN))
}

// stats describes the lane now.
func (l *lane) stats(now time.Time) ConsumerStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := ConsumerStats{Name: l.c.Name(), AppliedLSN: LSN(l.applied.Load()), Queued: len(l.in),
		LastLag: l.lastLag, Batches: l.batches, Events: l.events, Failures: l.failures, LastError: l.lastErr,
		LastErrorAt: l.lastErrTime, LastAppliedAt: l.lastApplied}
	if !l.since.IsZero() {
		s.Lag = max(now.Sub(l.since), 0)
	}
	if len(l.lags) > 0 {
		sorted := slices.Clone(l.lags)
		slices.Sort(sorted)
		s.LagP50 = sorted[len(sorted)/2]
		s.LagP99 = sorted[min(len(sorted)-1, len(sorted)*99/100)]
	}
	return s
}
