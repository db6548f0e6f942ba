package booking_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

// A partner that booked with its key (scope book) may cancel its
// booking under its terms, but it is not the hotel: it may not waive the
// terms, record arrivals or no-shows, or settle a refund the provider
// refused.
func TestAPartnerBookerIsNotTheHotel(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC))
	f := b.fixture(t, fixtureOpts{rooms: 2, price: 20000}) // non-refundable: cancelling keeps everything
	ota := partner("apikey:ota", auth.ScopeBook)
	bk := b.book(t, ota, f, "ota", day("2027-03-10"), day("2027-03-12"))
	other := b.book(t, ota, f, "ota-2", day("2027-03-20"), day("2027-03-21"))
	ctx := context.Background()

	// A refund of the booking that the provider refused, for the hotel's staff to settle.
	refundID := uuid.New()
	_, err := b.pool.Exec(ctx, `INSERT INTO refunds (id, booking_id, amount, currency, status, failure_message)
		VALUES ($1, $2, 5000, 'EUR', 'FAILED', 'card closed')`, refundID, bk.ID)
	must(t, err)
	if _, _, err := b.svc.SettleRefundOutside(ota, booking.SettleRefundInput{RefundID: refundID, Reference: "TR-OTA"}); code(err) != apperr.Forbidden {
		t.Errorf("the partner settling a refused refund outside: %v (code %q), want FORBIDDEN", err, code(err))
	}
	var status string
	must(t, b.pool.QueryRow(ctx, `SELECT status FROM refunds WHERE id = $1`, refundID).Scan(&status))
	if status != "FAILED" {
		t.Errorf("the refused refund is %s after the partner's request, want FAILED", status)
	}

	// On the day of arrival, at the hotel.
	at := setupClock(b, time.Date(2027, 3, 10, 14, 0, 0, 0, time.UTC))
	if _, err := at.CheckIn(ota, bk.ID); code(err) != apperr.Forbidden {
		t.Errorf("the partner checking its booking in: %v (code %q), want FORBIDDEN", err, code(err))
	}
	if _, err := at.MarkNoShow(ota, bk.ID); code(err) != apperr.Forbidden {
		t.Errorf("the partner marking its booking a no-show: %v (code %q), want FORBIDDEN", err, code(err))
	}
	if got := b.cancellation(t, bk.ID); got != "CONFIRMED penalty 0 refund_due 0 refunds 5000" {
		t.Errorf("after the partner's front-desk requests, in SQL: %s, want it CONFIRMED as it was", got)
	}

	// Waiving the non-refundable terms: the hotel's call, not the booker's.
	if _, _, err := b.svc.Cancel(ota, booking.CancelInput{IdempotencyKey: "waive", BookingID: other.ID, WaivePenalty: true}); code(err) != apperr.Forbidden {
		t.Errorf("the partner waiving the cancellation terms: %v (code %q), want FORBIDDEN", err, code(err))
	}
	if got := b.cancellation(t, other.ID); got != "CONFIRMED penalty 0 refund_due 0 refunds 0" {
		t.Fatalf("after the partner asked to waive the terms, in SQL: %s, want it CONFIRMED as it was", got)
	}
}
