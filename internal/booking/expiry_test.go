package booking_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
)

// expiryWait bounds how long a test waits for River to run a hold's expiry.
// River promotes scheduled jobs every few seconds; this is a ceiling, not a
// measurement.
const expiryWait = 15 * time.Second

// setupWithJobs is setup with the real clock and a River client that works
// the booking core's jobs on the test database; opts change the client's
// configuration. The worker needs the service and the service needs the
// client, so the workers bundle is created first and filled in after the
// service exists (River reads it at Start).
func setupWithJobs(t *testing.T, holdTTL time.Duration, opts ...func(*river.Config)) jobsBundle {
	t.Helper()
	b := jobsBundle{testBundle: setup(t, time.Time{}), payments: payment.NewRegistry(sandbox.New())}
	workers := river.NewWorkers()
	cfg := &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           workers,
		FetchCooldown:     50 * time.Millisecond,
		FetchPollInterval: 100 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
		TestOnly:          true,
	}
	for _, o := range opts {
		o(cfg)
	}
	client, err := river.NewClient(riverpgxv5.New(b.pool), cfg)
	must(t, err)
	b.jobs = client
	b.svc = booking.NewService(b.pool, b.catalog, b.payments, client, booking.Opts{HoldTTL: holdTTL})
	booking.AddWorkers(workers, b.svc)
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
	return b
}

// jobsBundle is a testBundle whose service enqueues to, and is worked by, a
// running River client.
type jobsBundle struct {
	testBundle
	jobs *river.Client[pgx.Tx]
	// payments are the providers of the service and its workers, the
	// sandbox's and any a test registers.
	payments *payment.Registry
}

// expiryJob is the state of a booking's hold expiry job ("" when none exists)
// and how many such jobs there are.
func (b testBundle) expiryJob(t *testing.T, id uuid.UUID) (state string, jobs int) {
	t.Helper()
	must(t, b.pool.QueryRow(context.Background(), `
		SELECT coalesce(max(state::text), ''), count(*)::int FROM river_job
		WHERE kind = 'booking.expire_hold' AND args->>'booking_id' = $1`, id.String()).Scan(&state, &jobs))
	return state, jobs
}

// eventually polls cond until it holds or expiryWait passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(expiryWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s", what, expiryWait)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Holds expire through River, durably: the job is enqueued in the hold's own
// transaction and runs when the hold's time is up. Both cases share one
// client, as River only promotes scheduled jobs every few seconds.
func TestHoldExpiryThroughTheJobQueue(t *testing.T) {
	t.Parallel()
	b := setupWithJobs(t, time.Second)
	f := b.fixture(t, fixtureOpts{rooms: 1})
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 7)
	checkOut := checkIn.AddDate(0, 0, 2)
	// The confirmed hold is for other nights, with time enough to confirm.
	laterIn, laterOut := checkOut.AddDate(0, 0, 3), checkOut.AddDate(0, 0, 5)
	patient := booking.NewService(b.pool, b.catalog, payment.NewRegistry(sandbox.New()), b.jobs, booking.Opts{HoldTTL: 3 * time.Second})

	ctx := guest("cust-1")
	held, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkOut, 1))
	must(t, err)
	kept, err := patient.Hold(ctx, holdInput(f, "k", laterIn, laterOut, 1))
	must(t, err)
	if _, err := patient.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: kept.ID,
		Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}}); err != nil {
		t.Fatalf("confirming within the hold: %v", err)
	}

	t.Run("an unconfirmed hold expires and frees its room", func(t *testing.T) {
		// The job was enqueued with the hold, due when the hold ends.
		var scheduledAt time.Time
		must(t, b.pool.QueryRow(context.Background(), `SELECT scheduled_at FROM river_job WHERE kind = 'booking.expire_hold' AND args->>'booking_id' = $1`,
			held.ID.String()).Scan(&scheduledAt))
		if d := scheduledAt.Sub(held.HoldExpiresAt); d < -time.Millisecond || d > time.Millisecond {
			t.Fatalf("expiry job due at %v, hold ends at %v", scheduledAt, held.HoldExpiresAt)
		}
		// The only room is held: nobody else gets it meanwhile, and a
		// refused hold enqueues no job.
		if _, err := b.svc.Hold(guest("cust-2"), holdInput(f, "h2", checkIn, checkOut, 1)); code(err) != booking.SoldOut {
			t.Fatalf("second hold while the room is held: %v, want SOLD_OUT", err)
		}
		if n := b.count(t, "SELECT count(*) FROM river_job WHERE kind = 'booking.expire_hold'"); n != 2 {
			t.Fatalf("%d expiry jobs, want 2 (one per successful hold)", n)
		}
		eventually(t, "hold expiry", func() bool {
			last, err := b.svc.Booking(ctx, held.ID)
			must(t, err)
			return last.Status == booking.StatusExpired
		})
		if got := b.reserved(t, f.roomType.ID, checkIn, checkOut); !slices.Equal(got, []int{0, 0}) {
			t.Fatalf("reserved after expiry %v, want [0 0]", got)
		}
		eventually(t, "expiry job completion", func() bool {
			state, _ := b.expiryJob(t, held.ID)
			return state == "completed"
		})
		// The room is on sale again.
		if _, err := b.svc.Hold(guest("cust-2"), holdInput(f, "h3", checkIn, checkOut, 1)); err != nil {
			t.Fatalf("holding the released room: %v", err)
		}
	})

	t.Run("a hold confirmed in time is left alone by its job", func(t *testing.T) {
		eventually(t, "expiry job completion", func() bool {
			state, _ := b.expiryJob(t, kept.ID)
			return state == "completed"
		})
		if time.Now().Before(kept.HoldExpiresAt) {
			t.Fatalf("the expiry job completed before the hold's end %v", kept.HoldExpiresAt)
		}
		after, err := b.svc.Booking(ctx, kept.ID)
		must(t, err)
		if after.Status != booking.StatusConfirmed {
			t.Fatalf("confirmed booking is %s after its expiry job ran", after.Status)
		}
		if got := b.reserved(t, f.roomType.ID, laterIn, laterOut); !slices.Equal(got, []int{1, 1}) {
			t.Fatalf("reserved %v, want [1 1]: a confirmed booking keeps its room", got)
		}
		if _, jobs := b.expiryJob(t, kept.ID); jobs != 1 {
			t.Fatalf("%d expiry jobs for one hold", jobs)
		}
	})
	b.assertInventoryConsistent(t)
}
