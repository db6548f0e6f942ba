package booking_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/metrics"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
	"github.com/staygraph/staygraph/internal/pii"
)

// gauge is the series of the metric name as /metrics shows them, its
// labels and values alone.
func (b testBundle) gauge(t *testing.T, name string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	metrics.New(metrics.Opts{Pool: b.pool}).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	var series []string
	for line := range strings.Lines(rec.Body.String()) {
		if strings.HasPrefix(line, name+"{") {
			series = append(series, strings.TrimSpace(strings.TrimPrefix(line, name)))
		}
	}
	return strings.Join(series, " ")
}

// ledger is a booking's captured, refunded and kept money.
func (b testBundle) ledger(t *testing.T, id uuid.UUID) [3]int64 {
	t.Helper()
	l, err := ledgerOf(context.Background(), b.svc, id)
	must(t, err)
	return [3]int64{l.Captured, l.Refunded, l.Kept}
}

// refundOf is the refund of a booking as its readers see it.
func (b testBundle) refundOf(t *testing.T, bookingID uuid.UUID) booking.Refund {
	t.Helper()
	refunds, err := b.svc.RefundsOf(context.Background(), []uuid.UUID{bookingID})
	must(t, err)
	if len(refunds[bookingID]) != 1 {
		t.Fatalf("booking %s has refunds %+v, want one", bookingID, refunds[bookingID])
	}
	return refunds[bookingID][0]
}

// A refund the provider refused in part: a gift card's share was paid
// back, the card's was refused. Staff pay the rest back by bank transfer
// and record it: the refund is settled outside staygraph for what the
// provider did not pay, the ledger counts all of it as refunded, the gauge
// no longer counts the refund, and the audit trail names who did it. Only
// the hotel's staff may; a settled refund is settled once.
func TestARefusedRefundIsSettledOutside(t *testing.T) {
	t.Parallel()
	b := setupWithJobs(t, 15*time.Minute)
	f := b.fixture(t, fixtureOpts{price: 10000, policy: catalog.CancellationPolicy{Refundable: true}}) // free cancellation
	other := b.fixture(t, fixtureOpts{zone: "Europe/Rome"})
	ctx := guest("refused")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 2), 1)) // 200.00
	must(t, err)
	if _, err := b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c1", BookingID: h.ID, Payment: pay("tok_giftcard_5000")}); code(err) != booking.PaymentPartial {
		t.Fatalf("gift card: %v", err)
	}
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c2", BookingID: h.ID, Payment: pay("tok_refund_fails")})
	must(t, err)
	_, refund, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)
	eventually(t, "the refusal", func() bool { return b.refundOf(t, h.ID).Status == "FAILED" })
	if got := b.ledger(t, h.ID); got != [3]int64{20000, 5000, 15000} {
		t.Fatalf("ledger after the refusal %v, want 5000 of 20000 refunded", got)
	}
	if got := b.gauge(t, "staygraph_refunds"); got != `{status="FAILED"} 1 {status="PENDING"} 0` {
		t.Fatalf("gauge after the refusal: %s", got)
	}

	staff := staffOf(f.hotel.ID)
	in := booking.SettleRefundInput{RefundID: refund.ID, Reference: "  TR-2031-0042 ", Note: " Paid by bank transfer\n"}
	for _, c := range []struct {
		who  string
		ctx  context.Context
		code apperr.Code
	}{
		{"another hotel's staff", staffOf(other.hotel.ID), apperr.NotFound},
		{"another guest", guest("someone else"), apperr.NotFound},
		{"the booking's guest", ctx, apperr.Forbidden},
		{"nobody", context.Background(), apperr.Unauthenticated},
	} {
		if _, _, err := b.svc.SettleRefundOutside(c.ctx, in); code(err) != c.code {
			t.Errorf("%s settling: %v, want %s", c.who, err, c.code)
		}
	}
	if _, _, err := b.svc.SettleRefundOutside(staff, booking.SettleRefundInput{RefundID: uuid.New(), Reference: "TR"}); code(err) != apperr.NotFound {
		t.Errorf("an unknown refund: %v", err)
	}
	_, _, err = b.svc.SettleRefundOutside(staff, booking.SettleRefundInput{RefundID: refund.ID, Reference: " \t", Note: strings.Repeat("n", 501)})
	if all, _ := apperr.All(err); len(all) != 2 || all[0].Field[1] != "reference" || all[1].Field[1] != "note" {
		t.Errorf("no reference and a long note: %v, want both invalid", err)
	}
	if got := b.refundOf(t, h.ID); got.Status != "FAILED" || got.Settlement != nil {
		t.Fatalf("refused requests changed the refund: %+v", got)
	}

	settled, loaded, err := b.svc.SettleRefundOutside(staff, in)
	must(t, err)
	if loaded.ID != h.ID {
		t.Errorf("settling returned booking %s, want %s", loaded.ID, h.ID)
	}
	for _, r := range []booking.Refund{settled, b.refundOf(t, h.ID)} {
		s := r.Settlement
		if r.Status != "SETTLED_OUTSIDE" || s == nil || s.Amount.Amount != 15000 || s.Amount.Currency != "EUR" ||
			s.Reference != "TR-2031-0042" || s.Note != "Paid by bank transfer" || s.By != "STAFF:staff-"+f.hotel.ID.String()[:8] ||
			time.Since(s.At) > time.Minute {
			t.Fatalf("settled refund %+v, settlement %+v; want 150.00 settled outside by the staff", r, s)
		}
	}
	if got := b.ledger(t, h.ID); got != [3]int64{20000, 20000, 0} {
		t.Errorf("ledger after the settlement %v, want all 20000 refunded", got)
	}
	if got := b.gauge(t, "staygraph_refunds"); got != `{status="FAILED"} 0 {status="PENDING"} 0` {
		t.Errorf("gauge after the settlement: %s", got)
	}
	// The providers' payments say what they paid back, no more.
	if got := fmt.Sprint(b.paymentStatuses(t, h.ID)); got != "[REFUNDED:5000/20000 CAPTURED:15000/15000]" {
		t.Errorf("payments %s", got)
	}
	var actor, changes string
	must(t, b.pool.QueryRow(ctx, `
		SELECT actor, (SELECT string_agg(format('%s=%s', k, changes -> k -> 'new'), ' ' ORDER BY k) FROM jsonb_object_keys(changes) k
		               WHERE k <> 'settled_at')
		FROM audit_log WHERE entity = 'refunds' AND entity_id = $1 AND action = 'UPDATE' ORDER BY id DESC LIMIT 1`,
		refund.ID.String()).Scan(&actor, &changes))
	if want := fmt.Sprintf(`settled_by="STAFF:staff-%s" settlement_amount=15000 settlement_reference="TR-2031-0042" status="SETTLED_OUTSIDE" version=3`,
		f.hotel.ID.String()[:8]); actor != "STAFF:staff-"+f.hotel.ID.String()[:8] || changes != want {
		t.Errorf("audit entry by %s: %s\nwant by the staff, without the note: %s", actor, changes, want)
	}
	// The note is personal data (staff write names and bank details into
	// it): stored sealed, and nowhere in plaintext.
	var plain string
	var sealed []byte
	must(t, b.pool.QueryRow(ctx, `SELECT settlement_note, settlement_note_enc FROM refunds WHERE id = $1`, refund.ID).Scan(&plain, &sealed))
	if plain != "" || len(sealed) == 0 || bytes.Contains(sealed, []byte("bank transfer")) {
		t.Errorf("stored note %q, sealed %q; want it sealed only", plain, sealed)
	}
	var leaks int
	must(t, b.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_log WHERE changes::text LIKE '%bank transfer%')
		+ (SELECT count(*) FROM refunds WHERE row_to_json(refunds)::text LIKE '%bank transfer%')`).Scan(&leaks))
	if leaks != 0 {
		t.Errorf("the note is in plaintext in %d rows of the audit trail or the refunds", leaks)
	}

	if _, _, err := b.svc.SettleRefundOutside(b.admin, booking.SettleRefundInput{RefundID: refund.ID, Reference: "TR-other"}); code(err) != booking.InvalidState ||
		!strings.Contains(err.Error(), "TR-2031-0042") {
		t.Errorf("settling again: %v, want INVALID_STATE naming the first settlement", err)
	}
	if _, _, err := b.svc.RetryRefund(staff, refund.ID); code(err) != booking.InvalidState {
		t.Errorf("asking again for a settled refund: %v", err)
	}
}

// A refused refund is not asked for again: the provider would refuse it
// again under its part's key.
func TestARefusedRefundIsNotAskedAgain(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f, h, refund := b.refusedRefund(t, "refused")
	if _, _, err := b.svc.RetryRefund(staffOf(f.hotel.ID), refund.ID); code(err) != booking.InvalidState {
		t.Fatalf("asking again for a refused refund: %v, want INVALID_STATE", err)
	}
	if got := b.refundOf(t, h.ID).Status; got != "FAILED" {
		t.Fatalf("refund %s, want still FAILED", got)
	}
}

// Staff at two desks record one refused refund as settled at once, each
// with their own transfer: exactly one settles it, the others are told it
// is settled, and the database holds one settlement, counted once.
func TestConcurrentSettlementsOfARefundOneWins(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f, h, refund := b.refusedRefund(t, "raced")

	const desks = 8
	staff := staffOf(f.hotel.ID)
	start := make(chan struct{})
	errs := make([]error, desks)
	var wg sync.WaitGroup
	for i := range desks {
		wg.Go(func() {
			<-start
			_, _, errs[i] = b.svc.SettleRefundOutside(staff, booking.SettleRefundInput{RefundID: refund.ID, Reference: fmt.Sprint("TR-", i)})
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Errorf("desks %d and %d both settled the refund", winner, i)
		case code(err) != booking.InvalidState:
			t.Errorf("desk %d: %v, want INVALID_STATE", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no desk settled the refund")
	}
	var state string
	must(t, b.pool.QueryRow(t.Context(), `
		SELECT format('%s %s %s; %s settlement recorded', r.status, r.settlement_reference, r.settlement_amount,
		              (SELECT count(*) FROM audit_log a WHERE a.entity = 'refunds' AND a.entity_id = r.id::text
		                 AND a.changes -> 'status' ->> 'new' = 'SETTLED_OUTSIDE'))
		FROM refunds r WHERE r.id = $1`, refund.ID).Scan(&state))
	if want := fmt.Sprintf("SETTLED_OUTSIDE TR-%d 10000; 1 settlement recorded", winner); state != want {
		t.Fatalf("after the race: %s, want %s", state, want)
	}
	if got := b.ledger(t, h.ID); got != [3]int64{10000, 10000, 0} {
		t.Fatalf("ledger %v, want 10000 refunded once", got)
	}
}

// pendingRefund is a confirmed booking of guest "waiting", paid through a
// provider that is down (stalling: p.down), and cancelled: its refund's job
// asks the provider under River's config opts.
func pendingRefund(t *testing.T, opts ...func(*river.Config)) (jobsBundle, *stalling, fixture, booking.Booking, *booking.Refund) {
	t.Helper()
	b := setupWithJobs(t, 15*time.Minute, opts...)
	p := &stalling{Provider: sandbox.New(), asked: make(chan string, 4), release: make(chan struct{})}
	p.down.Store(true)
	b.payments.Register(p)
	f := b.fixture(t, fixtureOpts{policy: catalog.CancellationPolicy{Refundable: true}})
	ctx := guest("waiting")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: &booking.PaymentInput{Provider: "stalling", Token: "tok_success"}})
	must(t, err)
	_, refund, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)
	return b, p, f, h, refund
}

// The provider is down for every attempt of a refund's job, so River
// discards it and the refund stays PENDING. Once the provider is back,
// staff ask for it again: a new job pays it, once. While that job is live,
// asking again is CONFLICT; once paid, INVALID_STATE. Only the hotel's
// staff may ask.
func TestAPendingRefundWhoseJobGaveUpIsAskedAgain(t *testing.T) {
	t.Parallel()
	b, p, f, h, refund := pendingRefund(t, retryQuickly, func(c *river.Config) { c.MaxAttempts = 2 })
	other := b.fixture(t, fixtureOpts{zone: "Europe/Rome"})
	ctx := guest("waiting")
	eventually(t, "the refund job's discard", func() bool { return strings.HasPrefix(b.refundJob(t, refund.ID), "discarded") })
	if got := b.refundOf(t, h.ID).Status; got != "PENDING" {
		t.Fatalf("refund %s after its job gave up, want PENDING", got)
	}
	if got := b.gauge(t, "staygraph_refunds"); got != `{status="FAILED"} 0 {status="PENDING"} 1` {
		t.Fatalf("gauge after the job gave up: %s", got)
	}

	for _, c := range []struct {
		who  string
		ctx  context.Context
		code apperr.Code
	}{
		{"another hotel's staff", staffOf(other.hotel.ID), apperr.NotFound},
		{"the booking's guest", ctx, apperr.Forbidden},
	} {
		if _, _, err := b.svc.RetryRefund(c.ctx, refund.ID); code(err) != c.code {
			t.Errorf("%s asking again: %v, want %s", c.who, err, c.code)
		}
	}
	if got := b.refundJob(t, refund.ID); got != "discarded after 2 attempts, 2 errors" {
		t.Fatalf("refused requests enqueued a job: %s", got)
	}

	p.down.Store(false)
	staff := staffOf(f.hotel.ID)
	asked, loaded, err := b.svc.RetryRefund(staff, refund.ID)
	must(t, err)
	if asked.ID != refund.ID || asked.Status != "PENDING" || loaded.ID != h.ID {
		t.Fatalf("asking again returned %+v of booking %s", asked, loaded.ID)
	}
	var key string
	select {
	case key = <-p.asked:
	case <-time.After(expiryWait):
		t.Fatal("the new job did not ask the provider")
	}
	if _, _, err := b.svc.RetryRefund(staff, refund.ID); code(err) != apperr.Conflict || !strings.Contains(err.Error(), "asking the provider now") {
		t.Errorf("asking again while the job asks: %v, want CONFLICT", err)
	}
	close(p.release)
	eventually(t, "the refund's payment", func() bool { return b.refundOf(t, h.ID).Status == "SUCCEEDED" })
	if want := "sg_re_" + refund.ID.String() + "_"; !strings.HasPrefix(key, want) {
		t.Errorf("the provider was asked with key %q, want the part's key %s<payment>", key, want)
	}
	if got := b.ledger(t, h.ID); got != [3]int64{10000, 10000, 0} {
		t.Errorf("ledger %v, want 10000 refunded once", got)
	}
	if got := fmt.Sprint(b.paymentStatuses(t, h.ID)); got != "[REFUNDED:10000/10000]" {
		t.Errorf("payments %s", got)
	}
	if got := b.gauge(t, "staygraph_refunds"); got != `{status="FAILED"} 0 {status="PENDING"} 0` {
		t.Errorf("gauge once paid: %s", got)
	}
	eventually(t, "the new job's completion", func() bool {
		return strings.HasSuffix(b.refundJob(t, refund.ID), "completed after 1 attempts, 0 errors")
	})
	if got := b.refundJob(t, refund.ID); got != "discarded after 2 attempts, 2 errors; completed after 1 attempts, 0 errors" {
		t.Errorf("refund jobs: %s", got)
	}
	if _, _, err := b.svc.RetryRefund(b.admin, refund.ID); code(err) != booking.InvalidState {
		t.Errorf("asking again for a paid refund: %v, want INVALID_STATE", err)
	}
}

// A PENDING refund whose provider never answers (or is no longer
// configured): while its job still asks, settling it outside staygraph is
// CONFLICT; once the job gave up, staff pay it back outside staygraph and
// record that, as for a refused one: the parts never paid are given up, the
// ledger counts it refunded, the gauge no longer counts it, and asking
// again is refused.
func TestAPendingRefundWhoseJobGaveUpIsSettledOutside(t *testing.T) {
	t.Parallel()
	in := func(r *booking.Refund) booking.SettleRefundInput {
		return booking.SettleRefundInput{RefundID: r.ID, Reference: "TR-2031-0077", Note: "the provider's account was closed"}
	}
	t.Run("its job still asks", func(t *testing.T) {
		t.Parallel()
		b, _, f, h, refund := pendingRefund(t, func(c *river.Config) { c.RetryPolicy = retryInAnHour{} })
		eventually(t, "the refund job's first failure", func() bool { return strings.HasPrefix(b.refundJob(t, refund.ID), "retryable") })
		if _, _, err := b.svc.SettleRefundOutside(staffOf(f.hotel.ID), in(refund)); code(err) != apperr.Conflict || !strings.Contains(err.Error(), "asks the provider by itself") {
			t.Fatalf("settling while the job asks: %v, want CONFLICT", err)
		}
		if got := b.refundOf(t, h.ID); got.Status != "PENDING" || got.Settlement != nil {
			t.Fatalf("the refused settlement changed the refund: %+v", got)
		}
	})
	t.Run("its job gave up", func(t *testing.T) {
		t.Parallel()
		b, _, f, h, refund := pendingRefund(t, retryQuickly, func(c *river.Config) { c.MaxAttempts = 2 })
		eventually(t, "the refund job's discard", func() bool { return strings.HasPrefix(b.refundJob(t, refund.ID), "discarded") })
		settled, _, err := b.svc.SettleRefundOutside(staffOf(f.hotel.ID), in(refund))
		must(t, err)
		if s := settled.Settlement; settled.Status != "SETTLED_OUTSIDE" || s == nil || s.Amount.Amount != 10000 || s.Note != "the provider's account was closed" {
			t.Fatalf("settled %+v, settlement %+v; want 100.00 settled outside", settled, s)
		}
		if got := b.ledger(t, h.ID); got != [3]int64{10000, 10000, 0} {
			t.Errorf("ledger %v, want all 10000 refunded", got)
		}
		if got := b.gauge(t, "staygraph_refunds"); got != `{status="FAILED"} 0 {status="PENDING"} 0` {
			t.Errorf("gauge after the settlement: %s", got)
		}
		if got := b.texts(t, "SELECT status FROM refund_parts WHERE refund_id = $1", refund.ID); fmt.Sprint(got) != "[FAILED]" {
			t.Errorf("the refund's parts %v, want the unpaid one given up", got)
		}
		if _, _, err := b.svc.RetryRefund(b.admin, refund.ID); code(err) != booking.InvalidState {
			t.Errorf("asking again for a refund settled outside: %v, want INVALID_STATE", err)
		}
	})
}

type retryInAnHour struct{}

func (retryInAnHour) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Hour) }

// refusedRefund is a confirmed booking of guest, cancelled, whose refund the
// provider refused (FAILED), with its hotel's fixture.
func (b testBundle) refusedRefund(t *testing.T, guestID string) (fixture, booking.Booking, *booking.Refund) {
	t.Helper()
	f := b.fixture(t, fixtureOpts{policy: catalog.CancellationPolicy{Refundable: true}})
	ctx := guest(guestID)
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: pay("tok_refund_fails")})
	must(t, err)
	_, refund, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)
	must(t, b.svc.PayRefund(ctx, refund.ID))
	return f, h, refund
}

// A settlement's note is sealed with the personal data keys: a server
// lacking the key that sealed one does not start (CheckKeys), rotate-keys
// re-seals it, and it then reads the same under the new key alone.
func TestSettlementNotesRotateWithTheKeys(t *testing.T) {
	t.Parallel()
	keys := newTestKeys("k1", "k2")
	b, _ := setupWithKeys(t, time.Now(), keys.ring(t, "k1"))
	f, h, refund := b.refusedRefund(t, "g")
	const note = "Paid to Ottoline Fairweather, IBAN GB33BUKB20201555555555"
	_, _, err := b.svc.SettleRefundOutside(staffOf(f.hotel.ID), booking.SettleRefundInput{RefundID: refund.ID, Reference: "TR-1", Note: note})
	must(t, err)
	// Only the note is sealed: the booking's contact and guests predate encryption.
	_, err = b.pool.Exec(context.Background(), `UPDATE bookings SET contact_email_enc = NULL, contact_email_idx = NULL, contact_phone_enc = NULL WHERE id = $1`, h.ID)
	must(t, err)
	_, err = b.pool.Exec(context.Background(), `UPDATE booking_guests SET given_name_enc = NULL, family_name_enc = NULL WHERE booking_id = $1`, h.ID)
	must(t, err)
	if err := booking.CheckKeys(context.Background(), b.pool, keys.ring(t, "k2")); err == nil || !strings.Contains(err.Error(), `"k1"`) {
		t.Fatalf("keys without the one that sealed a settlement note: %v, want an error naming k1", err)
	}

	both := keys.ring(t, "k2", "k1")
	var progress []booking.RotateProgress
	res, err := booking.RotateKeys(context.Background(), b.pool, both, booking.RotateOpts{
		Progress: func(p booking.RotateProgress) { progress = append(progress, p) }})
	must(t, err)
	if res.Refunds != 1 || res.Remaining != 0 || fmt.Sprint(progress) != "[{refunds 1 1}]" {
		t.Fatalf("rotation %+v, progress %+v; want the one note re-sealed", res, progress)
	}
	must(t, booking.CheckKeys(context.Background(), b.pool, keys.ring(t, "k2")))
	noteOf := func(svc *booking.Service) (string, error) {
		refunds, err := svc.RefundsOf(b.admin, []uuid.UUID{h.ID})
		if err != nil {
			return "", err
		}
		return refunds[h.ID][0].Settlement.Note, nil
	}
	if got, err := noteOf(b.withKeys(keys.ring(t, "k2"))); err != nil || got != note {
		t.Fatalf("the note under k2 alone: %q %v", got, err)
	}
	if _, err := noteOf(b.withKeys(keys.ring(t, "k1"))); !errors.Is(err, pii.ErrUnknownKey) {
		t.Fatalf("a service with k1 alone read the note: %v", err)
	}
	again, err := booking.RotateKeys(context.Background(), b.pool, both, booking.RotateOpts{})
	must(t, err)
	if again.Refunds+again.Remaining != 0 {
		t.Fatalf("second rotation %+v, want nothing done", again)
	}
}

// During the rolling deploy of 00038, a server of the previous release
// settles a refused refund with its note in plaintext: the new servers show
// the note, and rotate-keys seals it (and counts it while it is due).
func TestANoteThePreviousReleaseWroteIsShownThenSealed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keys := newTestKeys("k1")
	b, _ := setupWithKeys(t, time.Now(), keys.ring(t, "k1"))
	_, h, refund := b.refusedRefund(t, "g")
	const note = "Paid back to Ottoline Fairweather, IBAN GB33BUKB20201555555555"
	// the previous release's statement (queries/payments.sql before 00038)
	_, err := b.pool.Exec(ctx, `UPDATE refunds r SET status = 'SETTLED_OUTSIDE', settlement_amount = r.amount,
		settlement_reference = 'TR-OLD-1', settlement_note = $2, settled_by = 'STAFF:desk', settled_at = now(),
		version = r.version + 1, updated_at = now() WHERE r.id = $1 AND r.status = 'FAILED'`, refund.ID, note)
	must(t, err)
	noteOf := func() string {
		refunds, err := b.svc.RefundsOf(b.admin, []uuid.UUID{h.ID})
		must(t, err)
		return refunds[h.ID][0].Settlement.Note
	}
	if got := noteOf(); got != note {
		t.Fatalf("the note on the new release: %q, want %q", got, note)
	}
	res, err := booking.RotateKeys(ctx, b.pool, keys.ring(t, "k1"), booking.RotateOpts{})
	must(t, err)
	if res.Refunds != 1 || res.Remaining != 0 {
		t.Fatalf("rotation %+v, want the plaintext note sealed", res)
	}
	var plain string
	var sealed []byte
	must(t, b.pool.QueryRow(ctx, `SELECT settlement_note, settlement_note_enc FROM refunds WHERE id = $1`, refund.ID).Scan(&plain, &sealed))
	if plain != "" || len(sealed) == 0 {
		t.Fatalf("after rotate-keys: note %q, %d sealed bytes; want it sealed only", plain, len(sealed))
	}
	if got := noteOf(); got != note {
		t.Fatalf("the note once sealed: %q, want %q", got, note)
	}
}

// A refund of a payment made through a provider this server no longer has
// (switched off since the charge): its job stops at once instead of asking
// for three weeks, and staff can settle it outside staygraph right away.
func TestARefundThroughARetiredProviderStopsAtOnce(t *testing.T) {
	t.Parallel()
	b := setupWithJobs(t, 15*time.Minute, retryQuickly)
	retired := booking.NewService(b.pool, b.catalog, payment.NewRegistry(&renamed{Provider: sandbox.New(), name: "retired"}), nil, booking.Opts{})
	f := b.fixture(t, fixtureOpts{policy: catalog.CancellationPolicy{Refundable: true}})
	ctx := guest("g")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	_, err = retired.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c", BookingID: h.ID, Payment: &booking.PaymentInput{Provider: "retired", Token: "tok_success"}})
	must(t, err)
	_, refund, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)
	eventually(t, "the refund job's end", func() bool { return strings.HasPrefix(b.refundJob(t, refund.ID), "cancelled") })
	if got := b.refundJob(t, refund.ID); got != "cancelled after 1 attempts, 1 errors" {
		t.Fatalf("refund job %s, want cancelled after its first attempt", got)
	}
	if got := b.refundOf(t, h.ID).Status; got != "PENDING" {
		t.Fatalf("refund %s, want PENDING", got)
	}
	settled, _, err := b.svc.SettleRefundOutside(staffOf(f.hotel.ID), booking.SettleRefundInput{RefundID: refund.ID, Reference: "TR-9"})
	must(t, err)
	if settled.Status != "SETTLED_OUTSIDE" {
		t.Fatalf("settled %+v", settled)
	}
}

// A booking paid partly through a retired provider (a gift card) and partly
// through one this server has: cancelled, the configured provider's part is
// paid back, and only the retired one's is left, for staff.
func TestARetiredProviderDoesNotHoldBackTheOtherParts(t *testing.T) {
	t.Parallel()
	b := setupWithJobs(t, 15*time.Minute, retryQuickly)
	retired := booking.NewService(b.pool, b.catalog, payment.NewRegistry(&renamed{Provider: sandbox.New(), name: "retired"}), nil, booking.Opts{})
	f := b.fixture(t, fixtureOpts{price: 10000, policy: catalog.CancellationPolicy{Refundable: true}})
	ctx := guest("g")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	h, err := b.svc.Hold(ctx, holdInput(f, "h", checkIn, checkIn.AddDate(0, 0, 1), 1))
	must(t, err)
	_, err = retired.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c1", BookingID: h.ID, Payment: &booking.PaymentInput{Provider: "retired", Token: "tok_giftcard_4000"}})
	if code(err) != booking.PaymentPartial {
		t.Fatalf("gift card: %v, want PAYMENT_PARTIAL", err)
	}
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "c2", BookingID: h.ID, Payment: pay("tok_success")})
	must(t, err)
	_, refund, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "x", BookingID: h.ID})
	must(t, err)
	eventually(t, "the refund job's end", func() bool { return strings.HasPrefix(b.refundJob(t, refund.ID), "cancelled") })
	if got := b.ledger(t, h.ID); got != [3]int64{10000, 6000, 4000} {
		t.Fatalf("ledger %v, want the configured provider's 6000 refunded and the retired one's 4000 left", got)
	}
	if got := b.refundOf(t, h.ID).Status; got != "PENDING" {
		t.Fatalf("refund %s, want PENDING for the part left", got)
	}
	settled, _, err := b.svc.SettleRefundOutside(staffOf(f.hotel.ID), booking.SettleRefundInput{RefundID: refund.ID, Reference: "TR-4"})
	must(t, err)
	if settled.Settlement.Amount.Amount != 4000 {
		t.Fatalf("settled %+v, want the 4000 left", settled.Settlement)
	}
	if got := b.ledger(t, h.ID); got != [3]int64{10000, 10000, 0} {
		t.Fatalf("ledger after the settlement %v, want all refunded", got)
	}
}

// renamed is a provider under another name.
type renamed struct {
	payment.Provider
	name string
}

func (r *renamed) Name() string { return r.name }
