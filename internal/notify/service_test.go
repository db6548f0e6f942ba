package notify_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/email"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
	"github.com/staygraph/staygraph/internal/notify/sms"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// deliveryWait bounds how long a test waits for River to deliver: a
// ceiling, not a measurement.
const deliveryWait = 15 * time.Second

// shortBackoff retries failed deliveries quickly.
func shortBackoff(int) time.Duration { return 200 * time.Millisecond }

// testBundle is a fresh database with a hotel, the service under test and
// the map its recipients come from.
type testBundle struct {
	pool       *pgxpool.Pool
	svc        *notify.Service
	recipients *notifytest.Recipients
	hotelID    uuid.UUID
}

// setup is a Service over channels whose deliveries a running River client
// works on the test database, as the API server does.
func setup(t *testing.T, opts notify.Opts, channels ...notify.Channel) testBundle {
	t.Helper()
	b := newBundle(t)
	workers := river.NewWorkers()
	client := jobClient(t, b.pool, workers)
	opts.Jobs = client
	b.svc = notify.NewService(b.pool, notify.NewRegistry(channels...), b.recipients, opts)
	notify.AddWorkers(workers, b.svc)
	startJobs(t, client)
	return b
}

// work starts a River client that works b's deliveries from now on.
func (b testBundle) work(t *testing.T) {
	t.Helper()
	workers := river.NewWorkers()
	notify.AddWorkers(workers, b.svc)
	startJobs(t, jobClient(t, b.pool, workers))
}

// jobClient is a River client of workers on pool that polls often.
func jobClient(t *testing.T, pool *pgxpool.Pool, workers *river.Workers) *river.Client[pgx.Tx] {
	t.Helper()
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers:           workers,
		FetchCooldown:     50 * time.Millisecond,
		FetchPollInterval: 100 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		TestOnly:          true,
	})
	must(t, err)
	return client
}

// startJobs starts client until the test ends.
func startJobs(t *testing.T, client *river.Client[pgx.Tx]) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	must(t, client.Start(ctx))
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		if err := client.Stop(stop); err != nil {
			t.Logf("stop job client: %v", err)
		}
		cancel()
	})
}

// setupIdle is a Service whose jobs nobody works, inserted with its own
// insert-only client.
func setupIdle(t *testing.T, opts notify.Opts, channels ...notify.Channel) testBundle {
	t.Helper()
	b := newBundle(t)
	b.svc = notify.NewService(b.pool, notify.NewRegistry(channels...), b.recipients, opts)
	return b
}

func newBundle(t *testing.T) testBundle {
	t.Helper()
	b := testBundle{pool: pgtest.NewDB(t), recipients: notifytest.NewRecipients(), hotelID: uuid.New()}
	_, err := b.pool.Exec(context.Background(), `
		INSERT INTO hotels (id, name, time_zone, latitude, longitude, address_line1, city, country_code, star_rating, currency)
		VALUES ($1, 'Hôtel Étoile', 'Europe/Paris', 48.8738, 2.295, '1 avenue de Wagram', 'Paris', 'FR', 4, 'EUR')`, b.hotelID)
	must(t, err)
	return b
}

// booking inserts a booking whose contact the recipients know, and returns its id.
func (b testBundle) booking(t *testing.T, contact notify.Contact) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if contact.Reference == "" {
		contact.Reference = "SG-" + strings.ToUpper(id.String()[:6])
	}
	if contact.HotelName == "" {
		contact.HotelName = "Hôtel Étoile"
	}
	contact.CheckIn, contact.CheckOut = time.Date(2030, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 5, 3, 0, 0, 0, 0, time.UTC)
	_, err := b.pool.Exec(context.Background(), `
		INSERT INTO bookings (id, reference, hotel_id, status, check_in, check_out, check_in_at, currency, room_amount, tax_amount,
			total_amount, deposit_due, owner, hold_expires_at)
		VALUES ($1, $2, $3, 'CONFIRMED', $4, $5, $4::date + time '15:00', 'EUR', 40000, 4000, 44000, 0, 'cust-1', now())`,
		id, contact.Reference, b.hotelID, contact.CheckIn, contact.CheckOut)
	must(t, err)
	b.recipients.Set(id, contact)
	return id
}

// enqueue announces kind in a committed transaction, as the booking core
// does with the change itself.
func (b testBundle) enqueue(t *testing.T, bookingID uuid.UUID, kind notify.Kind, channels ...string) {
	t.Helper()
	ctx := context.Background()
	tx, err := b.pool.Begin(ctx)
	must(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck
	must(t, b.svc.EnqueueTx(ctx, tx, bookingID, kind, channels...))
	must(t, tx.Commit(ctx))
}

// only is the booking's one notification.
func (b testBundle) only(t *testing.T, bookingID uuid.UUID) notify.Notification {
	t.Helper()
	byBooking, err := b.svc.ForBookings(context.Background(), []uuid.UUID{bookingID})
	must(t, err)
	all := byBooking[bookingID]
	if len(all) != 1 {
		t.Fatalf("booking has %d notifications, want 1: %+v", len(all), all)
	}
	return all[0]
}

// await polls the booking's notification until cond holds.
func (b testBundle) await(t *testing.T, bookingID uuid.UUID, what string, cond func(notify.Notification) bool) notify.Notification {
	t.Helper()
	deadline := time.Now().Add(deliveryWait)
	for {
		n := b.only(t, bookingID)
		if cond(n) {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s; notification: %+v", what, deliveryWait, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func sent(n notify.Notification) bool { return n.Status == notify.StatusSent }
func dead(n notify.Notification) bool { return n.Status == notify.StatusDead }

func (b testBundle) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	must(t, b.pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// jobState is the state of the delivery job(s) of a notification.
func (b testBundle) jobStates(t *testing.T, id uuid.UUID) []string {
	t.Helper()
	rows, err := b.pool.Query(context.Background(), `SELECT state::text FROM river_job
		WHERE kind = 'notify.deliver' AND args->>'notification_id' = $1 ORDER BY id`, id.String())
	must(t, err)
	states, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	return states
}

// awaitJobs polls the notification's delivery jobs until their states are want.
func (b testBundle) awaitJobs(t *testing.T, id uuid.UUID, want ...string) {
	t.Helper()
	deadline := time.Now().Add(deliveryWait)
	for states := b.jobStates(t, id); !slices.Equal(states, want); states = b.jobStates(t, id) {
		if time.Now().After(deadline) {
			t.Fatalf("delivery jobs %v, want %v", states, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func emailChannel(t *testing.T, srv *notifytest.SMTPServer) *email.Channel {
	t.Helper()
	ch, err := email.New(srv.Host(), srv.Port(), "Hôtel Étoile <bookings@etoile.example>", email.Opts{Timeout: 2 * time.Second})
	must(t, err)
	return ch
}

func smsChannel(t *testing.T, gw *notifytest.HTTPPeer) *sms.Channel {
	t.Helper()
	ch, err := sms.New(gw.URL+"/messages", "tok_test", sms.Opts{Timeout: 2 * time.Second})
	must(t, err)
	return ch
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
