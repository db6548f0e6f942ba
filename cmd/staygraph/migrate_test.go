package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// migrationKeys are personal-data keys as 'staygraph migrate' takes them
// (--pii-keys, --pii-index-key) and as the keyring they make.
func migrationKeys(t *testing.T) (keyList, index string, keys *pii.Keyring) {
	t.Helper()
	index = base64.StdEncoding.EncodeToString(pii.GenerateKey())
	keyList = pii.FormatKeys([]pii.Key{{ID: "k1", Secret: pii.GenerateKey()}})
	keys, err := pii.ParseKeyring(keyList, index)
	checkErr(t, err)
	return keyList, index, keys
}

// Cancel reasons an older release stored in plaintext are sealed by
// 'staygraph migrate' with the personal data keys (without them it stops,
// saying why), a batch per transaction, and emptied; the migration writes
// nothing of them into the audit trail, nor does an older server's
// cancellation on the new schema; and migrating below 00024 is refused once
// reasons are sealed.
func TestMigrateSealsPlaintextCancelReasons(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, url := pgtest.NewDBURL(t)
	keyList, index, keys := migrationKeys(t)
	admin := auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"})
	cat, h, plan, today := londonHotel(t, pool)
	svc := booking.NewService(pool, cat, nil, nil, booking.Opts{PII: keys})
	var ids []uuid.UUID
	for i := range 3 {
		held, err := svc.Hold(guestOf(ctx, i), booking.HoldInput{
			IdempotencyKey: "h", HotelID: h.ID, CheckIn: today.AddDate(0, 0, 7), CheckOut: today.AddDate(0, 0, 8),
			Contact: booking.Contact{Email: fmt.Sprintf("guest%d@example.org", i)},
			Rooms: []booking.RoomRequest{{RatePlanID: plan.ID, Party: booking.Party{Adults: 1, ChildAges: []int{}},
				Guests: []booking.GuestName{{GivenName: "Guest", FamilyName: fmt.Sprint("Number", i)}}}}})
		checkErr(t, err)
		ids = append(ids, held.ID)
	}
	// The database as 00023 leaves it. Booking 0 is cancelled by a release
	// that seals reasons (written as it writes them: this release's
	// statements name columns that schema lacks), booking 1 by an older
	// server (in plaintext, as its statements write it), and 2,500 more
	// like it (more than two batches); booking 2 was never cancelled.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	checkErr(t, postgres.MigrateWith(ctx, pool, log, postgres.MigrateOpts{To: 23}))
	const sealedReason, legacyReason = "plans changed", "Ignatius Wolverhampton is ill, call 07700 900461"
	sealedBy, err := booking.CancelReasonSealer(keys)(ids[0], sealedReason)
	checkErr(t, err)
	_, err = pool.Exec(ctx, `UPDATE bookings SET status = 'CANCELLED', cancelled_at = now(), cancel_reason_enc = $2, version = version + 1 WHERE id = $1`,
		ids[0], sealedBy)
	checkErr(t, err)
	_, err = pool.Exec(ctx, `UPDATE bookings SET status = 'CANCELLED', cancelled_at = now(), cancel_reason = $2, version = version + 1 WHERE id = $1`,
		ids[1], legacyReason)
	checkErr(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO bookings
		SELECT (jsonb_populate_record(b, jsonb_build_object('id', gen_random_uuid(), 'reference', 'LEGACY-' || g, 'cancel_reason', 'legacy reason ' || g,
			'contact_email_enc', null, 'contact_email_idx', null, 'contact_phone_enc', null))).*
		FROM bookings b, generate_series(1, 2500) g WHERE b.id = $1`, ids[1])
	checkErr(t, err)
	auditRows := func() (n int) {
		checkErr(t, pool.QueryRow(ctx, "SELECT count(*) FROM audit_log").Scan(&n))
		return n
	}
	audited := auditRows()
	var leaked int
	checkErr(t, pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE changes::text LIKE '%Wolverhampton%'`).Scan(&leaked))
	if leaked != 0 {
		t.Fatalf("the older server's cancellation recorded its reason in %d audit entries", leaked)
	}

	// Without keys it stops at 00024, saying how many reasons wait and what it needs.
	err = runMigrate(ctx, []string{"--database-url", url})
	if err == nil || !strings.Contains(err.Error(), "1 bookings hold a cancel reason in plaintext") || !strings.Contains(err.Error(), "--pii-keys") {
		t.Fatalf("migrate without keys: %v", err)
	}
	if current, _, err := postgres.SchemaVersion(ctx, pool); err != nil || current != 23 {
		t.Fatalf("schema version after the refusal %d (%v), want 23", current, err)
	}
	checkErr(t, runMigrate(ctx, []string{"--database-url", url, "--pii-keys", keyList, "--pii-index-key", index}))

	if current, latest, err := postgres.SchemaVersion(ctx, pool); err != nil || current != latest || current < 24 {
		t.Fatalf("schema version %d of %d (%v)", current, latest, err)
	}
	var plaintext, sealed int
	checkErr(t, pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE cancel_reason <> ''), count(cancel_reason_enc) FROM bookings`).Scan(&plaintext, &sealed))
	if plaintext != 0 || sealed != 2502 {
		t.Fatalf("%d reasons left in plaintext and %d sealed, want 0 and 2,502", plaintext, sealed)
	}
	if n := auditRows(); n != audited {
		t.Fatalf("the migration wrote %d audit entries", n-audited)
	}
	for i, want := range []string{sealedReason, legacyReason, ""} {
		b, err := svc.Booking(admin, ids[i])
		checkErr(t, err)
		if b.CancelReason != want {
			t.Errorf("booking %d: reason %q, want %q", i, b.CancelReason, want)
		}
	}
	var copied uuid.UUID
	checkErr(t, pool.QueryRow(ctx, `SELECT id FROM bookings WHERE reference = 'LEGACY-1234'`).Scan(&copied))
	if b, err := svc.Booking(admin, copied); err != nil || b.CancelReason != "legacy reason 1234" {
		t.Errorf("a reason of the third batch: %q (%v)", b.CancelReason, err)
	}
	// Going below 00024 would lose the sealed reasons: refused.
	if err := postgres.MigrateWith(ctx, pool, log, postgres.MigrateOpts{To: 23}); err == nil || !strings.Contains(err.Error(), "would lose them") {
		t.Fatalf("migrating below 00024 with sealed reasons: %v, want a refusal", err)
	}
	// The legacy reason is sealed for its own row: copied into another booking it does not open.
	_, err = pool.Exec(ctx, `UPDATE bookings SET cancel_reason_enc = (SELECT cancel_reason_enc FROM bookings WHERE id = $1) WHERE id = $2`, ids[1], ids[2])
	checkErr(t, err)
	if b, err := svc.Booking(admin, ids[2]); err == nil {
		t.Fatalf("a reason copied from another booking opened: %q", b.CancelReason)
	}
}

// Settlement notes an older release stored in plaintext are sealed by
// 'staygraph migrate' with the personal data keys (without them it stops at
// 00039, saying why), and emptied, writing nothing of them into the audit
// trail; migrating below 00039 is refused once notes are sealed.
func TestMigrateSealsPlaintextSettlementNotes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, url := pgtest.NewDBURL(t)
	keyList, index, keys := migrationKeys(t)
	admin := auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"})
	cat, h, plan, today := londonHotel(t, pool)
	svc := booking.NewService(pool, cat, nil, nil, booking.Opts{PII: keys})
	held, err := svc.Hold(guestOf(ctx, 0), booking.HoldInput{
		IdempotencyKey: "h", HotelID: h.ID, CheckIn: today.AddDate(0, 0, 7), CheckOut: today.AddDate(0, 0, 8),
		Contact: booking.Contact{Email: "guest@example.org"},
		Rooms: []booking.RoomRequest{{RatePlanID: plan.ID, Party: booking.Party{Adults: 1, ChildAges: []int{}},
			Guests: []booking.GuestName{{GivenName: "Guest", FamilyName: "Zero"}}}}})
	checkErr(t, err)
	// The database as 00037 leaves it, with a refund an older server
	// settled outside staygraph, its note in plaintext.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	checkErr(t, postgres.MigrateWith(ctx, pool, log, postgres.MigrateOpts{To: 37}))
	const legacyNote = "Paid back to Ignatius Wolverhampton, IBAN GB33BUKB20201555555555"
	refundID := uuid.Must(uuid.NewV7())
	_, err = pool.Exec(ctx, `INSERT INTO refunds (id, booking_id, amount, currency, status, reason,
			settlement_amount, settlement_reference, settlement_note, settled_by, settled_at)
		VALUES ($1, $2, 10000, 'GBP', 'SETTLED_OUTSIDE', 'cancellation', 10000, 'TR-7', $3, 'STAFF:desk', now())`, refundID, held.ID, legacyNote)
	checkErr(t, err)
	// (The older server's audit trail recorded the note: entries written
	// before this release keep what they recorded.)
	auditRows := func() (n, withNote int) {
		checkErr(t, pool.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE changes::text LIKE '%Wolverhampton%') FROM audit_log").Scan(&n, &withNote))
		return n, withNote
	}
	audited, _ := auditRows()

	err = runMigrate(ctx, []string{"--database-url", url})
	if err == nil || !strings.Contains(err.Error(), "1 refunds hold a settlement note in plaintext") || !strings.Contains(err.Error(), "--pii-keys") {
		t.Fatalf("migrate without keys: %v", err)
	}
	if current, _, err := postgres.SchemaVersion(ctx, pool); err != nil || current != 38 {
		t.Fatalf("schema version after the refusal %d (%v), want 38", current, err)
	}
	checkErr(t, runMigrate(ctx, []string{"--database-url", url, "--pii-keys", keyList, "--pii-index-key", index}))

	var plaintext string
	var sealed []byte
	checkErr(t, pool.QueryRow(ctx, `SELECT settlement_note, settlement_note_enc FROM refunds WHERE id = $1`, refundID).Scan(&plaintext, &sealed))
	if plaintext != "" || len(sealed) == 0 {
		t.Fatalf("after the migration: note %q, sealed %d bytes; want it sealed only", plaintext, len(sealed))
	}
	if after, _ := auditRows(); after != audited {
		t.Fatalf("the migration wrote %d audit entries", after-audited)
	}
	refunds, err := svc.RefundsOf(admin, []uuid.UUID{held.ID})
	checkErr(t, err)
	if got := refunds[held.ID]; len(got) != 1 || got[0].Settlement == nil || got[0].Settlement.Note != legacyNote {
		t.Fatalf("the refund read back: %+v", got)
	}
	if err := postgres.MigrateWith(ctx, pool, log, postgres.MigrateOpts{To: 37}); err == nil || !strings.Contains(err.Error(), "would lose them") {
		t.Fatalf("migrating below 00039 with sealed notes: %v, want a refusal", err)
	}
}
