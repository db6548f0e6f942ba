package indexer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

const (
	// pollInterval bounds how long the stream waits for a message before it
	// looks at what the consumers applied (and acknowledges it).
	pollInterval = 100 * time.Millisecond
	// ackInterval is the shortest time between two acknowledgements that
	// only report progress.
	ackInterval = 100 * time.Millisecond
)

// stream is one replication session: it reads the slot, decodes committed
// transactions, hands them to one lane per consumer and acknowledges what
// every lane applied.
type stream struct {
	ix    *Indexer
	conn  *pgconn.PgConn
	dec   *decoder
	lanes []*lane
	start LSN

	// dispatched: every transaction ending at or before it was handed to
	// every lane (or had nothing for them).
	dispatched LSN
	received   LSN
	sentFlush  LSN
	lastStatus time.Time
	// taken are the consumers snapshotted for this stream, recorded once it
	// has started (claim).
	taken []string
}

func newStream(ix *Indexer, conn *pgconn.PgConn, start LSN, taken []string) *stream {
	return &stream{ix: ix, conn: conn, dec: newDecoder(), start: start, dispatched: start, received: start, sentFlush: start, taken: taken}
}

// run streams until ctx ends (nil) or the session fails.
func (s *stream) run(ctx context.Context) error {
	ix := s.ix
	err := pglogrepl.StartReplication(ctx, s.conn, ix.opts.Slot, s.start, pglogrepl.StartReplicationOptions{
		Mode:       pglogrepl.LogicalReplication,
		PluginArgs: []string{"proto_version '1'", "publication_names " + quoteLiteral(ix.opts.Publication)},
	})
	if err != nil {
		if pgCode(err) == sqlstateObjectInUse {
			return &slotInUseError{}
		}
		return fmt.Errorf("start replication from slot %s: %w", ix.opts.Slot, err)
	}
	if err := ix.claim(ctx, s.start, s.taken); err != nil {
		return err
	}

	laneCtx, stopLanes := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, c := range ix.consumers {
		l := newLane(c, s.start, ix.opts)
		s.lanes = append(s.lanes, l)
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.run(laneCtx)
		}()
	}
	ix.mu.Lock()
	ix.lanes, ix.received, ix.confirmed = s.lanes, s.start, s.start
	ix.mu.Unlock()
	ix.setState(StateStreaming, nil)
	ix.log.Info("streaming changes", "from", s.start, "consumers", len(s.lanes))
	s.lastStatus = time.Now()

	err = s.loop(ctx)
	stopLanes()
	wg.Wait()
	if ctx.Err() != nil {
		// Acknowledge what was applied, so a restart replays less.
		final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		_ = s.sendStatus(final, true)
		cancel()
		return nil
	}
	return err
}

func (s *stream) loop(ctx context.Context) error {
	for {
		if err := s.sendStatus(ctx, false); err != nil {
			return err
		}
		wait, cancel := context.WithTimeout(ctx, pollInterval)
		msg, err := s.conn.ReceiveMessage(wait)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if pgconn.Timeout(err) {
				continue
			}
			return fmt.Errorf("read replication stream: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if err := s.copyData(ctx, m.Data); err != nil {
				return err
			}
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("replication stream: %w", pgconn.ErrorResponseToPgError(m))
		case *pgproto3.CopyDone:
			return errors.New("the server ended the replication stream")
		}
	}
}

func (s *stream) copyData(ctx context.Context, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	switch data[0] {
	case pglogrepl.PrimaryKeepaliveMessageByteID:
		k, err := pglogrepl.ParsePrimaryKeepaliveMessage(data[1:])
		if err != nil {
			return fmt.Errorf("parse keepalive: %w", err)
		}
		s.received = max(s.received, k.ServerWALEnd)
		// Between transactions, the server has sent everything before its
		// WAL end: transactions it skipped there concern no consumer.
		if !s.dec.inTransaction() {
			s.dispatched = max(s.dispatched, k.ServerWALEnd)
		}
		if k.ReplyRequested {
			return s.sendStatus(ctx, true)
		}
	case pglogrepl.XLogDataByteID:
		x, err := pglogrepl.ParseXLogData(data[1:])
		if err != nil {
			return fmt.Errorf("parse xlog data: %w", err)
		}
		s.received = max(s.received, x.WALStart)
		t, err := s.dec.decode(x.WALData)
		if err != nil {
			return err
		}
		if t != nil {
			return s.commit(ctx, t)
		}
	}
	return nil
}

// commit resolves a committed transaction's hotels and dispatches it.
func (s *stream) commit(ctx context.Context, t *txn) error {
	s.ix.mu.Lock()
	s.ix.received = max(s.ix.received, t.endLSN)
	s.ix.mu.Unlock()
	if len(t.events) > 0 {
		if err := s.ix.resolver.resolve(ctx, t.events); err != nil {
			return err
		}
		if err := s.dispatch(ctx, t); err != nil {
			return err
		}
	}
	s.dispatched = max(s.dispatched, t.endLSN)
	return nil
}

// dispatch queues t for every lane, waiting for room while telling the
// server the session is alive.
func (s *stream) dispatch(ctx context.Context, t *txn) error {
	for _, l := range s.lanes {
		l.enqueued = t.endLSN
		select {
		case l.in <- t:
			continue
		default:
		}
		tick := time.NewTicker(time.Second)
		for sent := false; !sent; {
			select {
			case l.in <- t:
				sent = true
			case <-tick.C:
				if err := s.sendStatus(ctx, false); err != nil {
					tick.Stop()
					return err
				}
			case <-ctx.Done():
				tick.Stop()
				return ctx.Err()
			}
		}
		tick.Stop()
	}
	return nil
}

// flushPosition is the highest position every consumer has applied: at
// most the end of the last transaction each one applied, or, for one that
// applied everything it was given, everything dispatched.
func (s *stream) flushPosition() LSN {
	pos := s.dispatched
	for _, l := range s.lanes {
		applied := LSN(l.applied.Load())
		if l.caughtUp() {
			applied = max(applied, s.dispatched)
		}
		pos = min(pos, applied)
	}
	return max(pos, s.start)
}

// sendStatus sends a standby status update when forced, when the
// acknowledged position advanced (at most every ackInterval), or when
// Opts.StatusInterval passed since the last one.
func (s *stream) sendStatus(ctx context.Context, force bool) error {
	now := time.Now()
	// Never backwards: a keepalive may have acknowledged everything
	// dispatched, and a transaction dispatched since is not applied yet.
	flush := max(s.flushPosition(), s.sentFlush)
	since := now.Sub(s.lastStatus)
	if !force && since < s.ix.opts.StatusInterval && !(flush > s.sentFlush && since >= ackInterval) {
		return nil
	}
	err := pglogrepl.SendStandbyStatusUpdate(ctx, s.conn, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: max(s.received, flush), WALFlushPosition: flush, WALApplyPosition: flush, ClientTime: now})
	if err != nil {
		return fmt.Errorf("send standby status: %w", err)
	}
	s.sentFlush, s.lastStatus = flush, now
	s.ix.mu.Lock()
	s.ix.confirmed = flush
	s.ix.mu.Unlock()
	return nil
}
