package graph_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

const settleRefundMutation = `mutation($input: SettleRefundOutsideInput!) {
  settleRefundOutside(input: $input) {
    refund { id status settlement { amount { amount currency } reference note by at } }
    booking { ledger { captured { amount } refunded { amount } kept { amount } } refunds { id status } }
    userErrors { code field message }
  }
}`

// guestHold is a guest's hold of two nights, six weeks ahead, in a hotel of
// one room: the hotel's id, the guest's token and the hold.
func guestHold(t *testing.T, b testBundle) (hotel, guestTok string, held *bookingView) {
	t.Helper()
	hotel, plan, _ := b.stayFixture(t, "Europe/Lisbon", 1)
	guestTok = token(t, auth.RoleGuest)
	held = decode[struct{ HoldBooking bookingPayload }](t, b.do(t, guestTok, holdMutation,
		holdVars(hotel, plan, "h", booking.Date(time.Now()).AddDate(0, 0, 42), 2))).HoldBooking.Booking
	if held == nil {
		t.Fatal("no hold")
	}
	return hotel, guestTok, held
}

type settlePayload struct {
	Refund *struct {
		ID, Status string
		Settlement *struct {
			Amount struct {
				Amount   int
				Currency string
			}
			Reference, Note, By, At string
		}
	}
	Booking *struct {
		Ledger struct {
			Captured, Refunded, Kept struct{ Amount int }
		}
		Refunds []struct{ ID, Status string }
	}
	UserErrors []userError
}

// Staff record over the API that a refused refund was paid back outside
// staygraph: the refund, its booking's ledger and the audit trail (by the
// refund's id) say so. A guest is FORBIDDEN, another hotel's staff find no
// such refund, and a refused refund is not asked for again.
func TestSettleRefundOutsideOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, guestTok, held := guestHold(t, b)
	vars := map[string]any{"id": held.ID}
	decode[struct{}](t, b.do(t, guestTok, `mutation($id: ID!) { confirmBooking(input: {idempotencyKey: "c", bookingId: $id, payment: {provider: "sandbox", token: "tok_refund_fails"}}) { booking { status } } }`, vars))
	cancelled := decode[struct {
		CancelBooking struct {
			Refund struct {
				ID     string
				Amount struct{ Amount int }
			}
		}
	}](t, b.do(t, guestTok, `mutation($id: ID!) { cancelBooking(input: {idempotencyKey: "x", bookingId: $id}) { refund { id amount { amount } } } }`, vars)).CancelBooking.Refund
	refundID, err := relay.Decode(relay.KindRefund, cancelled.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.resolver.Reservations.PayRefund(context.Background(), refundID); err != nil { // as its job would
		t.Fatal(err)
	}

	hotelID, err := relay.Decode(relay.KindHotel, hotel)
	if err != nil {
		t.Fatal(err)
	}
	staffTok := token(t, auth.RoleStaff, hotelID)
	settle := func(tok, id string) (settlePayload, response) {
		res := b.do(t, tok, settleRefundMutation, map[string]any{"input": map[string]any{"refundId": id, "reference": " DASH-re_81Zq ", "note": "Refunded from the dashboard"}})
		if len(res.Errors) > 0 {
			return settlePayload{}, res
		}
		return decode[struct{ SettleRefundOutside settlePayload }](t, res).SettleRefundOutside, res
	}
	if _, res := settle(guestTok, cancelled.ID); res.code() != "FORBIDDEN" {
		t.Errorf("a guest settling: %s %+v, want FORBIDDEN", res.Data, res.Errors)
	}
	for who, c := range map[string]struct{ tok, id, code string }{
		"another hotel's staff": {token(t, auth.RoleStaff, uuid.New()), cancelled.ID, "NOT_FOUND"},
		"a booking id":          {staffTok, held.ID, "INVALID_INPUT"},
	} {
		if got, res := settle(c.tok, c.id); len(got.UserErrors) != 1 || got.UserErrors[0].Code != c.code || got.Refund != nil {
			t.Errorf("%s: %+v %+v, want %s", who, got, res.Errors, c.code)
		}
	}

	got, _ := settle(staffTok, cancelled.ID)
	if len(got.UserErrors) > 0 || got.Refund == nil || got.Booking == nil {
		t.Fatalf("staff settling: %+v", got)
	}
	s := got.Refund.Settlement
	if got.Refund.ID != cancelled.ID || got.Refund.Status != "SETTLED_OUTSIDE" || s == nil || s.Amount.Amount != cancelled.Amount.Amount ||
		s.Amount.Currency != "EUR" || s.Reference != "DASH-re_81Zq" || s.Note != "Refunded from the dashboard" || s.By != "STAFF:user-STAFF" || s.At == "" {
		t.Errorf("settled refund %+v, settlement %+v", got.Refund, s)
	}
	if l := got.Booking.Ledger; l.Refunded.Amount != cancelled.Amount.Amount || l.Kept.Amount != l.Captured.Amount-cancelled.Amount.Amount {
		t.Errorf("ledger %+v after settling %d", l, cancelled.Amount.Amount)
	}
	if rs := got.Booking.Refunds; len(rs) != 1 || rs[0].ID != cancelled.ID || rs[0].Status != "SETTLED_OUTSIDE" {
		t.Errorf("the booking's refunds %+v", rs)
	}

	trail := decode[auditPage](t, b.do(t, token(t, auth.RoleAdmin), auditLogQuery, map[string]any{"entityId": cancelled.ID, "first": 1})).AuditLog.Edges
	if len(trail) != 1 || trail[0].Node.Actor != "STAFF:user-STAFF" || trail[0].Node.Entity != "REFUND" || trail[0].Node.EntityID != cancelled.ID {
		t.Fatalf("the refund's latest audit entry %+v", trail)
	}
	changed := map[string]string{}
	for _, c := range trail[0].Node.Changes {
		changed[c.Field] = *c.New
	}
	if changed["status"] != `"SETTLED_OUTSIDE"` || changed["settlement_reference"] != `"DASH-re_81Zq"` {
		t.Errorf("audited changes %v", changed)
	}

	// The guest reads that and how the refund was paid back, not who among
	// the staff recorded it; the hotel's staff read both.
	const refundsQuery = `query($id: ID!) { booking(id: $id) { refunds { status settlement { reference note by } } } }`
	type settlements struct {
		Booking struct {
			Refunds []struct {
				Status     string
				Settlement *struct {
					Reference, Note string
					By              *string
				}
			}
		}
	}
	for who, c := range map[string]struct {
		tok, by string
	}{"the guest": {guestTok, ""}, "the hotel's staff": {staffTok, "STAFF:user-STAFF"}} {
		rs := decode[settlements](t, b.do(t, c.tok, refundsQuery, vars)).Booking.Refunds
		if len(rs) != 1 || rs[0].Settlement == nil || rs[0].Settlement.Reference != "DASH-re_81Zq" {
			t.Fatalf("%s: refunds %+v", who, rs)
		}
		got, want := "null", "null"
		if by := rs[0].Settlement.By; by != nil {
			got = *by
		}
		if c.by != "" {
			want = c.by
		}
		if got != want {
			t.Errorf("%s reads the settlement as recorded by %s, want %s", who, got, want)
		}
	}

	retried := decode[struct{ RetryRefund settlePayload }](t, b.do(t, staffTok, `mutation($id: ID!) { retryRefund(input: {refundId: $id}) { refund { id } userErrors { code field message } } }`,
		map[string]any{"id": cancelled.ID})).RetryRefund
	if len(retried.UserErrors) != 1 || retried.UserErrors[0].Code != "INVALID_STATE" || retried.Refund != nil {
		t.Errorf("asking again for a settled refund: %+v", retried)
	}
}

// A payment whose outcome the provider did not give is asked about again
// over the API by the booking's hotel's staff, by the id the booking's
// payments show: the payment and the booking come back as they are (the
// lookup runs in the background), and once its outcome is in, asking again
// is INVALID_STATE. The booking's guest is FORBIDDEN.
func TestRetryPaymentLookupOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, guestTok, held := guestHold(t, b)
	type payments struct {
		Payments []struct{ ID, Status string }
	}
	confirmed := decode[struct {
		ConfirmBooking struct {
			Booking    *payments
			UserErrors []userError
		}
	}](t, b.do(t, guestTok, `mutation($id: ID!) { confirmBooking(input: {idempotencyKey: "c", bookingId: $id, payment: {provider: "sandbox", token: "tok_timeout_then_success"}}) {
	    booking { payments { id status } } userErrors { code } } }`, map[string]any{"id": held.ID})).ConfirmBooking
	if len(confirmed.UserErrors) != 1 || confirmed.UserErrors[0].Code != "PAYMENT_PENDING" {
		t.Fatalf("a charge the provider did not answer: %+v", confirmed.UserErrors)
	}
	shown := decode[struct{ Booking payments }](t, b.do(t, guestTok, `query($id: ID!) { booking(id: $id) { payments { id status } } }`,
		map[string]any{"id": held.ID})).Booking.Payments
	if len(shown) != 1 || shown[0].Status != "UNKNOWN" {
		t.Fatalf("the booking's payments: %+v, want one UNKNOWN", shown)
	}
	paymentID, err := relay.Decode(relay.KindPayment, shown[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	hotelID, err := relay.Decode(relay.KindHotel, hotel)
	if err != nil {
		t.Fatal(err)
	}
	staffTok := token(t, auth.RoleStaff, hotelID)
	type retryPayload struct {
		Payment    *struct{ ID, Status string }
		Booking    *struct{ Status string }
		UserErrors []userError
	}
	const retryMutation = `mutation($id: ID!) { retryPaymentLookup(input: {paymentId: $id}) {
	    payment { id status } booking { status } userErrors { code field message } } }`
	retry := func(tok string) retryPayload {
		return decode[struct{ RetryPaymentLookup retryPayload }](t, b.do(t, tok, retryMutation, map[string]any{"id": shown[0].ID})).RetryPaymentLookup
	}
	if res := b.do(t, guestTok, retryMutation, map[string]any{"id": shown[0].ID}); res.code() != "FORBIDDEN" {
		t.Errorf("the guest asking again: %s %+v, want FORBIDDEN", res.Data, res.Errors)
	}
	got := retry(staffTok)
	if len(got.UserErrors) != 0 || got.Payment == nil || got.Payment.ID != shown[0].ID || got.Payment.Status != "UNKNOWN" ||
		got.Booking == nil || got.Booking.Status != "HELD" {
		t.Fatalf("staff asking again: %+v", got)
	}
	if err := b.resolver.Reservations.ReconcilePayment(context.Background(), paymentID); err != nil { // as its job would
		t.Fatal(err)
	}
	if got := retry(staffTok); len(got.UserErrors) != 1 || got.UserErrors[0].Code != "INVALID_STATE" || got.Payment != nil {
		t.Errorf("asking again once the outcome is in: %+v, want INVALID_STATE", got)
	}
}

// A guest who repeats a cancelBooking (same idempotency key and input, as a
// retrying client does) after the hotel's staff settled the refund outside
// staygraph does not read which staff member recorded it: the replay's
// refund withholds RefundSettlement.by, as Booking.refunds does.
func TestACancelReplayWithholdsWhoSettledTheRefund(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, guestTok, held := guestHold(t, b)
	vars := map[string]any{"id": held.ID}
	decode[struct{}](t, b.do(t, guestTok, `mutation($id: ID!) { confirmBooking(input: {idempotencyKey: "c", bookingId: $id,
		payment: {provider: "sandbox", token: "tok_refund_fails"}}) { booking { status } } }`, vars))
	const cancel = `mutation($id: ID!) { cancelBooking(input: {idempotencyKey: "x", bookingId: $id}) { refund { id status settlement { by } } } }`
	type cancelled struct {
		CancelBooking struct {
			Refund struct {
				ID, Status string
				Settlement *struct{ By *string }
			}
		}
	}
	first := decode[cancelled](t, b.do(t, guestTok, cancel, vars)).CancelBooking.Refund
	refundID, err := relay.Decode(relay.KindRefund, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.resolver.Reservations.PayRefund(context.Background(), refundID); err != nil {
		t.Fatal(err)
	}
	hotelID, err := relay.Decode(relay.KindHotel, hotel)
	if err != nil {
		t.Fatal(err)
	}
	decode[struct{}](t, b.do(t, token(t, auth.RoleStaff, hotelID), settleRefundMutation,
		map[string]any{"input": map[string]any{"refundId": first.ID, "reference": "DASH-1", "note": "n"}}))
	again := decode[cancelled](t, b.do(t, guestTok, cancel, vars)).CancelBooking.Refund
	if again.Settlement == nil {
		t.Fatalf("replayed cancel: refund %+v has no settlement", again)
	}
	if again.Settlement.By != nil {
		t.Errorf("the guest replaying cancelBooking reads the settlement recorded by %q, want null", *again.Settlement.By)
	}
}
