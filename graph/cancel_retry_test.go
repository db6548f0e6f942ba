package graph_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

// A partner's cancelBooking times out at its HTTP client and is retried
// with the same idempotencyKey while the first attempt is still running
// (here: both wait for the booking's row, which another session holds).
// docs/api.md: "a retry with the same key and input never acts twice and
// returns the booking the first request acted on". The retry is told
// INVALID_STATE "the booking is CANCELLED: it cannot be cancelled" instead,
// and the partner's system records a failed cancellation of a booking that
// is in fact cancelled.
func TestPartnerCancelRetriedWhileTheFirstRunsGetsTheCancelledBooking(t *testing.T) {
	t.Parallel()
	b := setup(t)
	created := decode[struct {
		CreateApiKey struct{ Secret string }
	}](t, b.do(t, token(t, auth.RoleAdmin), `mutation { createApiKey(input: {name: "Acme OTA", scopes: ["search", "book"]}) { secret } }`, nil))
	key := created.CreateApiKey.Secret
	hotel, plan, _ := b.stayFixture(t, "Europe/Rome", 3)
	held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, key, holdMutation,
		holdVars(hotel, plan, "ota-hold", booking.Date(time.Now()).AddDate(0, 0, 30), 2))).HoldBooking
	if held.Booking == nil {
		t.Fatalf("hold: %+v", held.UserErrors)
	}
	_, bookingID, err := relay.Parse(held.Booking.ID)
	if err != nil {
		t.Fatal(err)
	}

	locker, err := pgx.ConnectConfig(context.Background(), b.pool.Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(context.Background())
	tx, err := locker.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(context.Background(), "SELECT 1 FROM bookings WHERE id = $1 FOR UPDATE", bookingID); err != nil {
		t.Fatal(err)
	}

	const cancel = `mutation($id: ID!) { cancelBooking(input: {idempotencyKey: "ota-cancel-1", bookingId: $id, reason: "guest asked"}) {
	  booking { id status } userErrors { code message } } }`
	type payload struct {
		CancelBooking struct {
			Booking    *struct{ ID, Status string }
			UserErrors []userError
		}
	}
	replies := make([]response, 2)
	var wg sync.WaitGroup
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = b.do(t, key, cancel, map[string]any{"id": held.Booking.ID})
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		if err := b.pool.QueryRow(context.Background(),
			"SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= len(replies) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests wait for the booking's row, want %d", waiting, len(replies))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := tx.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, r := range replies {
		p := decode[payload](t, r).CancelBooking
		if p.Booking == nil || p.Booking.Status != "CANCELLED" || len(p.UserErrors) > 0 {
			t.Errorf("attempt %d of one cancellation (same key, same input): booking %+v, userErrors %+v; want the cancelled booking",
				i, p.Booking, p.UserErrors)
		}
	}
}
