package notify

import (
	"context"
	_ "embed" // sql/*.sql
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// Contact is what a message needs to know about a booking, read when it is
// sent (never stored with the notification).
type Contact struct {
	// Email and Phone are the guest's; either may be empty.
	Email string
	Phone string
	// Language is the guest's language tag ("fr", "es-MX"); messages fall
	// back to English for languages without templates.
	Language  string
	Reference string
	HotelName string
	// GuestName is how to greet the guest; "" for a neutral greeting.
	GuestName string
	// CheckIn and CheckOut are the stay's hotel-local dates (zero: not shown).
	CheckIn  time.Time
	CheckOut time.Time
}

// Recipients is how the Service learns, when sending, whom a booking's
// notifications go to. The booking core implements it. An error wrapping
// ErrPermanent (the booking is gone) makes the notification DEAD; any other
// error is retried.
type Recipients interface {
	ContactOf(ctx context.Context, bookingID uuid.UUID) (Contact, error)
}

// Status is where a notification is in its delivery.
type Status string

// Notification statuses.
const (
	// StatusPending: waiting for a (next) try.
	StatusPending Status = "PENDING"
	// StatusSent: a channel accepted it.
	StatusSent Status = "SENT"
	// StatusDead: every try failed; staff may Retry it.
	StatusDead Status = "DEAD"
	// StatusSuperseded: a later notice of the booking's state went out on
	// the same route (the same channel asked for) while this one waited;
	// out of date, it was not sent.
	StatusSuperseded Status = "SUPERSEDED"
)

// Notification is the delivery record of one message about a booking.
type Notification struct {
	ID        uuid.UUID
	BookingID uuid.UUID
	Kind      Kind
	// Language is the language it was last rendered in; "" before the first try.
	Language string
	// Channel is the channel it is tried on (or was sent through).
	Channel string
	// Channels is its route: the channel asked for, then its fallbacks.
	Channels []string
	Status   Status
	// Attempts counts sends tried, on every channel.
	Attempts int
	// LastError is the latest failure, recipient addresses masked.
	LastError string
	CreatedAt time.Time
	UpdatedAt time.Time
	// SentAt is when a channel accepted it; nil unless SENT.
	SentAt *time.Time
}

// Opts configures the Service. Zero values take the documented defaults.
type Opts struct {
	// Channels are the channels EnqueueTx uses when given none. Default ["email"].
	Channels []string
	// Fallback maps a channel to the one delivery switches to when it keeps
	// failing (e.g. {"email": "sms"}); chains are followed, each channel at
	// most once. Channels that are not registered are skipped.
	Fallback map[string]string
	// FallbackAfter is how many consecutive failures of a channel make
	// delivery switch to its fallback. A permanent failure switches at once.
	// Default 3.
	FallbackAfter int
	// MaxAttempts is how many times the delivery job runs before the
	// notification is given up as DEAD. Default 8 (about 1h15 of River's
	// default backoff).
	MaxAttempts int
	// Backoff is the wait before the delivery job's next run after its
	// attempt-th failed run; nil takes the River client's retry policy. A
	// receiver that answered 429 or 503 with a Retry-After (StatusError)
	// waits at least that long, up to MaxRetryAfter.
	Backoff func(attempt int) time.Duration
	// SendTimeout bounds one Channel.Send. Default 30s.
	SendTimeout time.Duration
	// Jobs is the River client delivery jobs are inserted with. nil: an
	// insert-only client on the pool (the jobs are worked by whatever client
	// has AddWorkers' workers).
	Jobs *river.Client[pgx.Tx]
}

func (o Opts) withDefaults() Opts {
	if len(o.Channels) == 0 {
		o.Channels = []string{"email"}
	}
	if o.FallbackAfter <= 0 {
		o.FallbackAfter = 3
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 30 * time.Second
	}
	return o
}

// Service records notifications and delivers them.
type Service struct {
	pool       *pgxpool.Pool
	q          *db.Queries
	channels   *Registry
	recipients Recipients
	jobs       *river.Client[pgx.Tx]
	opts       Opts
	pauses     Pauses // a channel's receiver's Retry-After, for all its messages
}

// NewService returns a Service that delivers through the registry's
// channels to the addresses recipients give.
func NewService(pool *pgxpool.Pool, channels *Registry, recipients Recipients, opts Opts) *Service {
	opts = opts.withDefaults()
	jobs := opts.Jobs
	if jobs == nil {
		var err error
		// An insert-only client: no queues, no workers; this cannot fail.
		if jobs, err = river.NewClient(riverpgxv5.New(pool), &river.Config{}); err != nil {
			panic(fmt.Sprintf("notify: insert-only job client: %v", err))
		}
	}
	return &Service{pool: pool, q: db.New(pool), channels: channels, recipients: recipients, jobs: jobs, opts: opts}
}

// EnqueueTx records a notification of kind about a booking on each of
// channels (Opts.Channels when none) and schedules its delivery, in tx: it
// is sent only if tx commits. Call it in the transaction that makes the
// change it announces.
func (s *Service) EnqueueTx(ctx context.Context, tx pgx.Tx, bookingID uuid.UUID, kind Kind, channels ...string) error {
	if !kind.Valid() {
		return fmt.Errorf("enqueue notification: unknown kind %q", kind)
	}
	if len(channels) == 0 {
		channels = s.opts.Channels
	}
	q := db.New(tx)
	var seen []string
	for _, ch := range channels {
		if slices.Contains(seen, ch) {
			continue
		}
		seen = append(seen, ch)
		if _, err := s.channels.Get(ch); err != nil {
			return fmt.Errorf("enqueue %s notification: %w", kind, err)
		}
		id := uuid.Must(uuid.NewV7())
		if err := q.CreateNotification(ctx, db.CreateNotificationParams{ID: id, BookingID: bookingID,
			Kind: string(kind), Channels: s.route(ch)}); err != nil {
			return fmt.Errorf("record %s notification: %w", kind, err)
		}
		if err := s.insertJobTx(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// route is first followed by its registered fallbacks, each at most once.
func (s *Service) route(first string) []string {
	route := []string{first}
	for next := s.opts.Fallback[first]; next != "" && !slices.Contains(route, next); next = s.opts.Fallback[next] {
		if _, err := s.channels.Get(next); err == nil {
			route = append(route, next)
		}
	}
	return route
}

func (s *Service) insertJobTx(ctx context.Context, tx pgx.Tx, id uuid.UUID) error {
	if _, err := s.jobs.InsertTx(ctx, tx, DeliverArgs{NotificationID: id}, &river.InsertOpts{MaxAttempts: s.opts.MaxAttempts}); err != nil {
		return fmt.Errorf("enqueue notification delivery: %w", err)
	}
	return nil
}

// ForBookings lists bookings' notifications keyed by booking id, each
// booking's oldest first.
func (s *Service) ForBookings(ctx context.Context, bookingIDs []uuid.UUID) (map[uuid.UUID][]Notification, error) {
	rows, err := s.q.ListNotifications(ctx, bookingIDs)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	out := map[uuid.UUID][]Notification{}
	for _, n := range notificationsFromRows(rows) {
		out[n.BookingID] = append(out[n.BookingID], n)
	}
	return out, nil
}

var (
	//go:embed sql/given_up.sql
	givenUpSQL string
	//go:embed sql/orphaned.sql
	orphanedSQL string
)

// Undelivered lists up to limit notifications of a hotel's bookings that
// nobody could deliver, most recently given up first: the staff's to-do
// list. It includes PENDING ones whose delivery job is gone (a process
// stopped during the last attempt), which Retry takes too.
func (s *Service) Undelivered(ctx context.Context, hotelID uuid.UUID, limit int) ([]Notification, error) {
	if limit < 1 {
		return []Notification{}, nil
	}
	rows, err := s.pool.Query(ctx, givenUpSQL, hotelID, min(limit, 1000))
	if err != nil {
		return nil, fmt.Errorf("list undelivered notifications: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[db.Notification])
	if err != nil {
		return nil, fmt.Errorf("list undelivered notifications: %w", err)
	}
	return notificationsFromRows(list), nil
}

// Retry re-enqueues a DEAD notification (a staff action, once the cause is
// fixed), or a PENDING one whose delivery job is gone: delivery starts over
// on the first channel of its route, with a fresh set of attempts. Its
// attempts count keeps growing. A notification that is neither answers
// apperr.Conflict; an unknown one apperr.NotFound.
func (s *Service) Retry(ctx context.Context, notificationID uuid.UUID) (Notification, error) {
	var revived db.Notification
	err := postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		// The row first, in a statement of its own: a retry that waited for
		// another then reads the job that one queued (a statement's snapshot
		// is taken when it starts) and answers Conflict, rather than
		// queueing a second delivery.
		if _, err := tx.Exec(ctx, `SELECT FROM notifications WHERE id = $1 FOR UPDATE`, notificationID); err != nil {
			return fmt.Errorf("lock notification: %w", err)
		}
		if _, err := tx.Exec(ctx, orphanedSQL, notificationID); err != nil {
			return fmt.Errorf("give up an orphaned notification: %w", err)
		}
		row, err := q.ReviveNotification(ctx, notificationID)
		if errors.Is(err, pgx.ErrNoRows) {
			current, err := q.GetNotification(ctx, notificationID)
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.New(apperr.NotFound, "no such notification")
			}
			if err != nil {
				return fmt.Errorf("load notification: %w", err)
			}
			return apperr.New(apperr.Conflict, fmt.Sprintf("only a DEAD notification can be retried; this one is %s", current.Status))
		}
		if err != nil {
			return fmt.Errorf("revive notification: %w", err)
		}
		revived = row
		return s.insertJobTx(ctx, tx, row.ID)
	})
	if err != nil {
		return Notification{}, fmt.Errorf("retry notification %s: %w", notificationID, err)
	}
	return notificationFromRow(revived), nil
}

func notificationsFromRows(rows []db.Notification) []Notification {
	out := make([]Notification, len(rows))
	for i, r := range rows {
		out[i] = notificationFromRow(r)
	}
	return out
}

func notificationFromRow(r db.Notification) Notification {
	return Notification{ID: r.ID, BookingID: r.BookingID, Kind: Kind(r.Kind), Language: r.Language, Channel: r.Channel,
		Channels: r.Channels, Status: Status(r.Status), Attempts: int(r.Attempts), LastError: r.LastError,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, SentAt: r.SentAt}
}
