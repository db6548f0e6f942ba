package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/staygraph/staygraph/internal/postgres/db"
)

// ErrNoAddress is the permanent failure of a channel that has no address
// for the booking's contact (no phone number for SMS, ...).
var ErrNoAddress = Permanent(errors.New("the contact has no address on this channel"))

// maxErrorLen bounds last_error.
const maxErrorLen = 1000

// DeliverArgs is the durable job that delivers one notification. It is
// enqueued with the notification, in the caller's transaction.
type DeliverArgs struct {
	NotificationID uuid.UUID `json:"notification_id"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "notify.deliver" }

// DeliverWorker runs DeliverArgs jobs.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	svc         *Service
	retryAfters RetryAfters
}

// Work delivers the notification; an error makes River run it again later.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	return w.retryAfters.Note(job.JobRow, w.svc.deliver(ctx, job.Args.NotificationID, job.Attempt >= job.MaxAttempts))
}

// NextRetry applies Opts.Backoff, when set, and waits at least as long as
// the channel's receiver asked in its last answer (RetryAfters).
func (w *DeliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	var at time.Time
	if w.svc.opts.Backoff != nil {
		at = time.Now().Add(w.svc.opts.Backoff(job.Attempt))
	}
	return w.retryAfters.NextRetry(job.JobRow, at)
}

// Timeout lets one run try every channel of a route once.
func (w *DeliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return time.Duration(len(w.svc.channels.Names())+1)*w.svc.opts.SendTimeout + 30*time.Second
}

// AddWorkers registers the notification delivery worker.
func AddWorkers(workers *river.Workers, svc *Service) {
	river.AddWorker(workers, &DeliverWorker{svc: svc})
}

// deliver tries to send a pending notification. A send that fails counts
// against its channel; after Opts.FallbackAfter consecutive failures (or one
// permanent failure, or a receiver asking to wait longer than
// FallbackWait) delivery moves on to the next channel of the route and
// tries it at once. It returns an error while another run may succeed; on
// the job's last run, or when no channel is left after a permanent failure,
// the notification becomes DEAD.
func (s *Service) deliver(ctx context.Context, id uuid.UUID, lastRun bool) error {
	n, err := s.q.GetNotification(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return river.JobCancel(fmt.Errorf("notification %s does not exist", id))
	}
	if err != nil {
		return fmt.Errorf("load notification %s: %w", id, err)
	}
	if n.Status != string(StatusPending) {
		return nil // sent, or given up while this job waited
	}
	rctx, cancel := recordContext(ctx)
	defer cancel()
	// a notice that waited for a retry while a later one of the booking
	// went out would tell the guest what is no longer so ("your rooms are
	// held" after "cancelled"); a first try goes out as it comes
	if n.Attempts > 0 {
		if superseded, err := s.q.SupersedeNotification(rctx, n.ID); err != nil {
			return fmt.Errorf("check notification %s is not out of date: %w", n.ID, err)
		} else if superseded == 1 {
			return nil
		}
	}
	contact, err := s.recipients.ContactOf(ctx, n.BookingID)
	if err != nil {
		return s.failed(rctx, n, contact, fmt.Errorf("read the booking's contact: %w", err), lastRun)
	}
	msg, err := Compose(Kind(n.Kind), contact)
	if err != nil {
		return s.failed(rctx, n, contact, err, lastRun)
	}
	msg.ID, msg.BookingID, msg.CreatedAt = n.ID, n.BookingID, n.CreatedAt
	for {
		if wait := s.pauses.Left(n.Channel); wait > 0 {
			// the channel's receiver asked another message to wait: this
			// one waits as long, on the route's next channel when that is
			// long and there is one, else by snoozing, which spends no
			// attempt (this message did not fail)
			if next := s.nextChannel(n, contact); next != "" && wait > FallbackWait {
				if n, err = s.q.SwitchNotificationChannel(rctx, db.SwitchNotificationChannelParams{ID: n.ID, Channel: n.Channel, Next: next}); errors.Is(err, pgx.ErrNoRows) {
					return nil
				} else if err != nil {
					return fmt.Errorf("switch notification %s to %s: %w", id, next, err)
				}
				continue
			}
			return river.JobSnooze(wait)
		}
		sendErr := s.send(ctx, n.Channel, contact, msg)
		s.pauses.Note(n.Channel, sendErr)
		if sendErr == nil {
			if _, err := s.q.MarkNotificationSent(rctx, db.MarkNotificationSentParams{ID: n.ID, Channel: n.Channel,
				Language: msg.Language}); err != nil {
				// Sent but not recorded: the retry sends it again (at least
				// once; receivers deduplicate on the message id).
				return fmt.Errorf("record notification %s sent: %w", n.ID, err)
			}
			return nil
		}
		rec, err := s.q.RecordNotificationFailure(rctx, db.RecordNotificationFailureParams{ID: n.ID, Channel: n.Channel,
			Language: msg.Language, Sent: true, LastError: redact(sendErr, contact)})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // no longer pending: someone else decided
		}
		if err != nil {
			return fmt.Errorf("record notification %s failure (%s): %w", n.ID, redact(sendErr, contact), err)
		}
		permanent := errors.Is(sendErr, ErrPermanent)
		if next := s.nextChannel(rec, contact); next != "" && (permanent || longWait(sendErr) || int(rec.ChannelFailures) >= s.opts.FallbackAfter) {
			n, err = s.q.SwitchNotificationChannel(rctx, db.SwitchNotificationChannelParams{ID: n.ID, Channel: n.Channel, Next: next})
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("switch notification %s to %s: %w", rec.ID, next, err)
			}
			continue
		}
		return s.giveUpIf(rctx, rec, contact, sendErr, permanent || lastRun, permanent)
	}
}

// FallbackWait is the longest wait (a 429 or 503 answer's Retry-After) a
// channel may ask for before delivery moves on to the route's next channel,
// if it has one: a booking's news should not wait an hour for a gateway
// that another channel can stand in for.
const FallbackWait = time.Minute

// longWait reports whether err is an answer asking to wait longer than
// FallbackWait.
func longWait(err error) bool {
	var answer *StatusError
	return errors.As(err, &answer) && answer.RetryAfter > FallbackWait
}

// recordGrace is how long after a run's deadline its outcome may still be
// written, so that a last run that timed out still ends DEAD.
const recordGrace = 10 * time.Second

// recordContext is the context a run's outcomes are written with.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(context.WithoutCancel(ctx), deadline.Add(recordGrace))
}

// send delivers msg on the named channel.
func (s *Service) send(ctx context.Context, name string, contact Contact, msg Message) error {
	ch, err := s.channels.Get(name)
	if err != nil {
		return Permanent(err) // not configured in this process
	}
	if a, ok := ch.(Addresser); ok {
		if msg.To = a.Address(contact); msg.To == "" {
			return fmt.Errorf("%s: %w", name, ErrNoAddress)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.SendTimeout)
	defer cancel()
	if err := ch.Send(ctx, msg); err != nil {
		var unreachable *UnreachableError
		var request *url.Error
		if !errors.As(err, &unreachable) && errors.As(err, &request) {
			// An HTTP client's error names the URL, which may be the
			// channel's credential (a webhook's secret path, a key in its
			// query): stored, guests and staff would read it.
			err = Unreachable(err)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// failed records a failure that happened before any channel was tried: it
// is not held against the channel.
func (s *Service) failed(ctx context.Context, n db.Notification, contact Contact, cause error, lastRun bool) error {
	rec, err := s.q.RecordNotificationFailure(ctx, db.RecordNotificationFailureParams{ID: n.ID, Channel: n.Channel,
		LastError: redact(cause, contact)})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record notification %s failure (%s): %w", n.ID, redact(cause, contact), err)
	}
	permanent := errors.Is(cause, ErrPermanent)
	return s.giveUpIf(ctx, rec, contact, cause, permanent || lastRun, permanent)
}

// giveUpIf makes the notification DEAD when dead holds, and returns what
// River should record: the cause (redacted), cancelling the job when retrying
// cannot help.
func (s *Service) giveUpIf(ctx context.Context, n db.Notification, contact Contact, cause error, dead, permanent bool) error {
	err := fmt.Errorf("deliver notification %s: %s", n.ID, redact(cause, contact))
	if !dead {
		var answer *StatusError
		if errors.As(cause, &answer) {
			return &answeredError{err: err, answer: answer}
		}
		return err
	}
	if _, derr := s.q.MarkNotificationDead(ctx, n.ID); derr != nil {
		return fmt.Errorf("%w; and marking it dead failed: %w", err, derr)
	}
	if permanent {
		return river.JobCancel(err)
	}
	return err
}

// answeredError is a failed delivery's redacted error that unwraps to the
// receiver's answer (never to the cause, whose text may hold personal
// data), so that the worker reads the wait the receiver asked for.
type answeredError struct {
	err    error
	answer *StatusError
}

func (e *answeredError) Error() string { return e.err.Error() }

func (e *answeredError) Unwrap() error { return e.answer }

// nextChannel is the first channel after the current one on the route that
// has an address for contact (SMS for a guest who gave no phone number has
// none), or "": a notice stays on its channel, and is retried there, rather
// than move to one that cannot send it.
func (s *Service) nextChannel(n db.Notification, contact Contact) string {
	i := slices.Index(n.Channels, n.Channel)
	if i < 0 {
		return ""
	}
	for _, name := range n.Channels[i+1:] {
		if ch, err := s.channels.Get(name); err == nil {
			if a, ok := ch.(Addresser); ok && a.Address(contact) == "" {
				continue
			}
		}
		return name
	}
	return ""
}

// redact is err's text with the contact's addresses masked, so that
// neither the notifications table nor the job queue keeps personal data a
// peer echoed back ("550 no such user ana@example.com").
func redact(err error, c Contact) string {
	text := err.Error()
	for _, addr := range []string{c.Email, c.Phone} {
		if addr = strings.TrimSpace(addr); len(addr) >= 3 {
			text = replaceFold(text, addr, "[redacted]")
		}
	}
	// A peer may write the number its own way ("+33612345678" for
	// "+33 6 12 34 56 78", "06 12 34 56 78"): any run of digits and
	// separators that holds its last six digits is masked too.
	if phone := digitsOf(c.Phone); len(phone) >= 6 {
		tail := phone[len(phone)-6:]
		text = digitRun.ReplaceAllStringFunc(text, func(run string) string {
			if strings.Contains(digitsOf(run), tail) {
				return "[redacted]"
			}
			return run
		})
	}
	if len(text) > maxErrorLen {
		text = strings.ToValidUTF8(text[:maxErrorLen], "") + "…"
	}
	return text
}

// digitRun is a run of digits with the separators phone numbers are
// written with.
var digitRun = regexp.MustCompile(`\+?[0-9][0-9 ().-]*[0-9]`)

// digitsOf is the decimal digits of s.
func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// replaceFold replaces every case-insensitive occurrence of old in s.
func replaceFold(s, old, repl string) string {
	lower, lowerOld := strings.ToLower(s), strings.ToLower(old)
	if len(lower) != len(s) || len(lowerOld) != len(old) {
		return strings.ReplaceAll(s, old, repl) // case mapping changed lengths: exact matches only
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, lowerOld)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, lower = s[i+len(old):], lower[i+len(old):]
	}
}
