package partnerfeed

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/staygraph/staygraph/internal/notify"
)

// DeliverArgs is the durable job that posts one event to one partner. The
// body is kept as queued, byte for byte (a string: River keeps arguments
// as jsonb, which would reorder a JSON object); it is signed anew on every
// attempt, with the partner's secret of the moment.
type DeliverArgs struct {
	Partner string `json:"partner" river:"unique"`
	EventID string `json:"event_id" river:"unique"`
	Body    string `json:"body"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "partnerfeed.deliver" }

// InsertOpts implements river.JobArgsWithInsertOpts: the partner's own
// queue, one job per partner and event while River keeps it.
func (a DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueOf(a.Partner), UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DeliverWorker runs DeliverArgs jobs.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	feed        *Feed
	retryAfters notify.RetryAfters
}

// NewDeliverWorker is the worker that delivers f's events.
func NewDeliverWorker(f *Feed) *DeliverWorker { return &DeliverWorker{feed: f} }

// AddWorkers registers the delivery worker; the River client must also
// work the partners' queues (Queues).
func AddWorkers(workers *river.Workers, f *Feed) {
	river.AddWorker(workers, NewDeliverWorker(f))
}

// Work posts the event; an error makes River try again after NextRetry. An
// event to a partner this process does not have waits a minute at a time
// (without spending an attempt) for a process that has it, and is
// cancelled once Opts.RemovedPartnerGrace old.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	if _, ok := w.feed.partners[job.Args.Partner]; !ok {
		if w.feed.opts.Now().Sub(job.CreatedAt) < w.feed.opts.RemovedPartnerGrace {
			return river.JobSnooze(time.Minute)
		}
		return river.JobCancel(fmt.Errorf("partner %q is no longer configured", job.Args.Partner))
	}
	return w.retryAfters.Note(job.JobRow, w.feed.post(ctx, job.Args))
}

// NextRetry applies Opts.Backoff, and waits at least as long as the
// partner asked with the Retry-After of its 429 or 503 answer
// (notify.RetryAfters).
func (w *DeliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return w.retryAfters.NextRetry(job.JobRow, time.Now().Add(w.feed.opts.Backoff(job.Attempt)))
}

// Timeout bounds one attempt.
func (w *DeliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return w.feed.opts.Timeout + 5*time.Second
}

// post sends one event to one partner.
func (f *Feed) post(ctx context.Context, args DeliverArgs) error {
	p := f.partners[args.Partner]
	if wait := f.pauses.Left(p.Name); wait > 0 {
		// the partner asked another event to wait: this one waits as long
		return river.JobSnooze(wait)
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, strings.NewReader(args.Body))
	if err != nil {
		// Not the URL's text: its query may hold the partner's token.
		return river.JobCancel(fmt.Errorf("partner %s: its URL cannot be posted to", p.Name))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "staygraph-partner-feed/1")
	req.Header.Set("Idempotency-Key", args.EventID)
	previous := make([][]byte, len(p.PreviousSecrets))
	for i, old := range p.PreviousSecrets {
		previous[i] = []byte(old)
	}
	req.Header.Set(SignatureHeader, Sign([]byte(p.Secret), f.opts.Now(), []byte(args.Body), previous...))
	err = notify.Post(f.opts.Client, req)
	f.pauses.Note(p.Name, err)
	if answer, refused := notify.Refusal(err); refused {
		f.opts.Logger.Warn("partner refused an event for good", "partner", p.Name, "event", args.EventID, "status", answer.Code)
		return river.JobCancel(fmt.Errorf("partner %s refused %s: %w", p.Name, args.EventID, err))
	}
	if err != nil {
		return fmt.Errorf("post %s to partner %s: %w", args.EventID, p.Name, err)
	}
	return nil
}
