package booking_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// assertMoneyConsistent pays every pending refund, then checks in SQL, for
// every booking: nothing is pinned nor left pending; a live booking is
// refunded nothing and a confirmed one has its deposit captured; a
// cancelled one keeps its penalty and an expired one nothing.
func (b testBundle) assertMoneyConsistent(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, id := range b.texts(t, "SELECT id::text FROM refunds WHERE status = 'PENDING'") {
		must(t, b.svc.PayRefund(ctx, uuid.MustParse(id)))
	}
	bad := b.texts(t, `
		WITH m AS (
		  SELECT b.id, b.reference, b.status, b.payment_in_flight, b.deposit_due, b.penalty_amount, b.refund_due,
		    coalesce((SELECT sum(p.captured_amount) FROM payments p WHERE p.booking_id = b.id), 0) AS captured,
		    coalesce((SELECT sum(p.refunded_amount) FROM payments p WHERE p.booking_id = b.id), 0) AS refunded,
		    coalesce((SELECT sum(r.amount) FROM refunds r WHERE r.booking_id = b.id), 0) AS refunds,
		    (SELECT count(*) FROM payments p WHERE p.booking_id = b.id AND p.status IN ('PENDING','UNKNOWN')) AS pending
		  FROM bookings b)
		SELECT reference || ' ' || status || ' in_flight=' || payment_in_flight || ' deposit=' || deposit_due ||
		       ' captured=' || captured || ' refunded=' || refunded || ' refunds=' || refunds ||
		       ' penalty=' || penalty_amount || ' refund_due=' || refund_due || ' pending=' || pending
		FROM m
		WHERE payment_in_flight OR pending > 0
		   OR (status IN ('HELD','CONFIRMED','CHECKED_IN','CHECKED_OUT','NO_SHOW') AND (refunds <> 0 OR refunded <> 0))
		   OR (status IN ('CONFIRMED','CHECKED_IN') AND captured < deposit_due)
		   OR (status = 'CANCELLED' AND captured - refunded <> penalty_amount)
		   OR (status = 'EXPIRED' AND captured - refunded <> 0)
		   OR refunds <> refunded`)
	if len(bad) > 0 {
		t.Fatalf("bookings whose money does not add up:\n%v", bad)
	}
	b.assertInventoryConsistent(t)
}

// A client that times out on a cancellation and retries it at once (same
// key, same request) is told the booking is cancelled by every attempt, as
// a retried hold or confirmation is: never INVALID_STATE "the booking is
// CANCELLED: it cannot be cancelled", which reads as the cancellation
// having failed.
func TestConcurrentRetriesOfOneCancelGetTheFirstResult(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b := setup(t, now)
	f := b.fixture(t, fixtureOpts{rooms: 30, policy: catalog.CancellationPolicy{Refundable: true}})
	ctx := guest("cust-1")
	const rounds, retries = 10, 8
	for r := range rounds {
		bk := b.book(t, ctx, f, fmt.Sprint("k", r), day("2027-03-10"), day("2027-03-12"))
		in := booking.CancelInput{IdempotencyKey: fmt.Sprint("cancel-", r), BookingID: bk.ID, Reason: "plans changed"}
		results := make([]booking.Booking, retries)
		errs := race(retries, func(i int) (err error) {
			results[i], _, err = b.svc.Cancel(ctx, in)
			return err
		})
		for i, err := range errs {
			if err != nil || results[i].Status != booking.StatusCancelled {
				t.Errorf("round %d, retry %d: %v (code %q); want the cancelled booking", r, i, err, code(err))
			}
		}
		if n := b.count(t, "SELECT count(*) FROM refunds WHERE booking_id = $1", bk.ID); n != 1 {
			t.Fatalf("round %d: %d refunds, want 1", r, n)
		}
	}
	b.assertMoneyConsistent(t)
}
