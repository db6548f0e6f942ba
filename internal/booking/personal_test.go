package booking_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// setupWithKeys is setup with the booking service sealing personal data
// under keys; it also returns the database's connection string.
func setupWithKeys(t *testing.T, now time.Time, keys *pii.Keyring) (testBundle, string) {
	t.Helper()
	pool, url := pgtest.NewDBURL(t)
	cat := catalog.NewService(pool)
	if !now.IsZero() { // the catalog prices nights from the hotels' today on the test's clock, as setup does
		cat = cat.WithClock(func() time.Time { return now })
	}
	b := testBundle{pool: pool, catalog: cat, now: now,
		admin: auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"})}
	b.svc = b.withKeys(keys)
	return b, url
}

// withKeys is another booking service on b's database, with other keys.
func (b testBundle) withKeys(keys *pii.Keyring) *booking.Service {
	return booking.NewService(b.pool, b.catalog, payment.NewRegistry(sandbox.New()), nil,
		booking.Opts{Now: func() time.Time { return b.now }, PII: keys})
}

type testKeys struct {
	index []byte
	byID  map[string]pii.Key
}

func newTestKeys(ids ...string) testKeys {
	k := testKeys{index: pii.GenerateKey(), byID: map[string]pii.Key{}}
	for _, id := range ids {
		k.byID[id] = pii.Key{ID: id, Secret: pii.GenerateKey()}
	}
	return k
}

// ring is a keyring of the given keys, the first primary.
func (k testKeys) ring(t *testing.T, ids ...string) *pii.Keyring {
	t.Helper()
	var keys []pii.Key
	for _, id := range ids {
		keys = append(keys, k.byID[id])
	}
	r, err := pii.NewKeyring(keys, k.index)
	must(t, err)
	return r
}

// cancelReason is what guests write when they cancel.
const cancelReason = "Ignatius Wolverhampton is ill, call me back on 07700 900461 or ignatius.w@mailbox.example"

const (
	zebulonGiven  = "Zebulon"
	zebulonFamily = "Quartermaine"
	zebulonEmail  = "zebulon.quartermaine@example.org"
	zebulonPhone  = "+44 20 7946 0958"
)

func zebulonHold(f fixture, key string, checkIn time.Time) booking.HoldInput {
	in := holdInput(f, key, checkIn, checkIn.AddDate(0, 0, 2), 2)
	in.Contact = booking.Contact{Email: zebulonEmail, Phone: zebulonPhone}
	in.Rooms[0].Guests = []booking.GuestName{{GivenName: zebulonGiven, FamilyName: zebulonFamily}, {GivenName: "Ottoline", FamilyName: "Fairweather-Pemberton"}}
	in.Rooms[1].Guests = []booking.GuestName{{GivenName: "Bartholomew", FamilyName: "Quartermaine"}}
	return in
}

// assertZebulon checks that a booking read back carries Zebulon's contact.
func assertZebulon(t *testing.T, how string, b booking.Booking) {
	t.Helper()
	if b.ContactEmail != zebulonEmail || b.ContactPhone != zebulonPhone {
		t.Errorf("%s: contact %q %q, want %q %q", how, b.ContactEmail, b.ContactPhone, zebulonEmail, zebulonPhone)
	}
}

func (b testBundle) guestNames(t *testing.T, svc *booking.Service, id uuid.UUID) []string {
	t.Helper()
	guests, err := svc.GuestsOf(b.admin, []uuid.UUID{id})
	must(t, err)
	var names []string
	for _, g := range guests[id] {
		names = append(names, g.GivenName+" "+g.FamilyName)
	}
	return names
}

// Whoever may see a booking reads its personal data in plaintext, through
// every path that returns a booking, while the database holds none of it.
func TestPersonalDataIsReadableThroughTheService(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	keys := newTestKeys("k1")
	b, _ := setupWithKeys(t, now, keys.ring(t, "k1"))
	f := b.fixture(t, fixtureOpts{})
	ctx := guest("zebulon")
	in := zebulonHold(f, "z", day("2027-03-10"))

	held, err := b.svc.Hold(ctx, in)
	must(t, err)
	assertZebulon(t, "Hold", held)
	again, err := b.svc.Hold(ctx, in)
	must(t, err)
	assertZebulon(t, "Hold replayed", again)
	got, err := b.svc.Booking(ctx, held.ID)
	must(t, err)
	assertZebulon(t, "Booking", got)
	byRef, err := b.svc.ByReference(context.Background(), held.Reference, "  ZEBULON.Quartermaine@Example.ORG ")
	must(t, err)
	assertZebulon(t, "ByReference", byRef)
	list, err := b.svc.ViewerBookings(ctx, uuid.NullUUID{}, 10)
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("%d bookings listed", len(list))
	}
	assertZebulon(t, "ViewerBookings", list[0])
	if names := b.guestNames(t, b.svc, held.ID); fmt.Sprint(names) != "[Zebulon Quartermaine Ottoline Fairweather-Pemberton Bartholomew Quartermaine]" {
		t.Errorf("guests %v", names)
	}
	confirm := booking.ConfirmInput{IdempotencyKey: "pay", BookingID: held.ID, Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}}
	confirmed, err := b.svc.Confirm(ctx, confirm)
	must(t, err)
	assertZebulon(t, "Confirm", confirmed)
	confirmedAgain, err := b.svc.Confirm(ctx, confirm)
	must(t, err)
	assertZebulon(t, "Confirm replayed", confirmedAgain)
	cancelled, _, err := b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "cancel", BookingID: held.ID, Reason: "  " + cancelReason + " "})
	must(t, err)
	assertZebulon(t, "Cancel", cancelled)
	if cancelled.CancelReason != cancelReason {
		t.Errorf("Cancel: reason %q", cancelled.CancelReason)
	}
	if got, err := b.svc.Booking(ctx, held.ID); err != nil || got.CancelReason != cancelReason {
		t.Errorf("Booking after Cancel: reason %q %v", got.CancelReason, err)
	}
	if got, err := b.svc.ByReference(context.Background(), held.Reference, zebulonEmail); err != nil || got.CancelReason != cancelReason {
		t.Errorf("ByReference after Cancel: reason %q %v", got.CancelReason, err)
	}

	// Someone without the email learns nothing, and the stored email never matches a guess in another case of its domain.
	if _, err := b.svc.ByReference(context.Background(), held.Reference, "zebulon.quartermaine@example.com"); code(err) != "NOT_FOUND" {
		t.Fatalf("wrong email: %v", err)
	}
	// A booking without a phone reads back without one.
	noPhone := holdInput(f, "np", day("2027-03-12"), day("2027-03-13"), 1)
	noPhone.Contact.Phone = ""
	np, err := b.svc.Hold(ctx, noPhone)
	must(t, err)
	if got, err := b.svc.Booking(ctx, np.ID); err != nil || got.ContactPhone != "" || got.ContactEmail != "ana@example.com" {
		t.Fatalf("booking without a phone: %+v %v", got, err)
	}
}

// A sealed value belongs to its column and its row: copied into another
// booking, or into another column, it does not open, so a database writer
// cannot move one guest's data into another's booking.
func TestSealedValuesDoNotMoveBetweenRowsOrColumns(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b, _ := setupWithKeys(t, now, newTestKeys("k1").ring(t, "k1"))
	f := b.fixture(t, fixtureOpts{})
	zeb, err := b.svc.Hold(guest("zebulon"), zebulonHold(f, "z", day("2027-03-10")))
	must(t, err)
	ana, err := b.svc.Hold(guest("ana"), holdInput(f, "a", day("2027-03-10"), day("2027-03-11"), 1))
	must(t, err)

	_, err = b.pool.Exec(context.Background(), `UPDATE bookings SET contact_email_enc = (SELECT contact_email_enc FROM bookings WHERE id = $1) WHERE id = $2`, zeb.ID, ana.ID)
	must(t, err)
	if got, err := b.svc.Booking(b.admin, ana.ID); err == nil || strings.Contains(got.ContactEmail, "zebulon") {
		t.Fatalf("a contact email copied from another booking opened: %q %v", got.ContactEmail, err)
	}
	_, err = b.pool.Exec(context.Background(), `UPDATE booking_guests SET given_name_enc = family_name_enc WHERE booking_id = $1 AND position = 0`, zeb.ID)
	must(t, err)
	if guests, err := b.svc.GuestsOf(b.admin, []uuid.UUID{zeb.ID}); err == nil {
		t.Fatalf("a family name moved into the given name column opened: %+v", guests)
	}
}

// pgDump finds a pg_dump for the test server: the newest in
// /usr/lib/postgresql/*/bin, else the one on PATH.
func pgDump(t *testing.T) string {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	sort.Slice(found, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return vi > vj
	})
	if len(found) > 0 {
		return found[0]
	}
	if p, err := exec.LookPath("pg_dump"); err == nil {
		return p
	}
	t.Skip("pg_dump is not installed")
	return ""
}

// A dump of the database (a backup, a replica, a stolen disk) holds none of
// the personal data the service was given, in any case or encoding.
func TestDatabaseDumpHoldsNoPersonalData(t *testing.T) {
	t.Parallel()
	dump := pgDump(t)
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b, url := setupWithKeys(t, now, newTestKeys("k1").ring(t, "k1"))
	f := b.fixture(t, fixtureOpts{rooms: 6})
	ctx := guest("cust-1") // the owner is an account id, not personal data the booking was given
	first, err := b.svc.Hold(ctx, zebulonHold(f, "z1", day("2027-03-10")))
	must(t, err)
	_, err = b.svc.Confirm(ctx, booking.ConfirmInput{IdempotencyKey: "pay", BookingID: first.ID,
		Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
	must(t, err)
	second, err := b.svc.Hold(ctx, zebulonHold(f, "z2", day("2027-03-20")))
	must(t, err)
	// Guests write their names, phones and emails into a cancellation's reason.
	_, _, err = b.svc.Cancel(ctx, booking.CancelInput{IdempotencyKey: "cancel", BookingID: second.ID, Reason: cancelReason})
	must(t, err)
	// The data is there for the service...
	if got, err := b.svc.ByReference(context.Background(), first.Reference, zebulonEmail); err != nil {
		t.Fatalf("ByReference: %v", err)
	} else {
		assertZebulon(t, "ByReference", got)
	}
	if got, err := b.svc.ByReference(context.Background(), second.Reference, zebulonEmail); err != nil || got.CancelReason != cancelReason {
		t.Fatalf("cancel reason read back: %q %v", got.CancelReason, err)
	}

	out, err := exec.Command(dump, "--data-only", "--no-owner", "--dbname="+url).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("%s: %v\n%s", dump, err, exit.Stderr)
		}
		t.Fatalf("%s: %v", dump, err)
	}
	if !bytes.Contains(out, []byte(first.Reference)) || !bytes.Contains(out, []byte("COPY public.booking_guests")) ||
		!bytes.Contains(out, []byte("COPY public.audit_log")) {
		t.Fatalf("the dump (%d bytes) lacks the bookings; is it of the right database?", len(out))
	}
	lower := strings.ToLower(string(out))
	for _, secret := range []string{zebulonGiven, zebulonFamily, zebulonEmail, "quartermaine@", "example.org", zebulonPhone,
		"7946 0958", "+442079460958", "Ottoline", "Fairweather", "Bartholomew",
		// The cancel reason's, in the bookings and in the audit trail.
		"Ignatius", "Wolverhampton", "7700 900461", "ignatius.w@", "call me back"} {
		forms := []string{strings.ToLower(secret), hex.EncodeToString([]byte(strings.ToLower(secret))),
			hex.EncodeToString([]byte(secret)), strings.ToLower(hex.EncodeToString([]byte(secret)))}
		for _, form := range forms {
			if strings.Contains(lower, strings.ToLower(form)) {
				i := strings.Index(lower, strings.ToLower(form))
				t.Errorf("the dump contains %q (as %q): ...%s...", secret, form, lower[max(0, i-80):min(len(lower), i+80)])
			}
		}
	}
}

// envelopeKeys counts the stored envelopes by the id of the key that sealed
// them, over every encrypted column.
func (b testBundle) envelopeKeys(t *testing.T) map[string]int {
	t.Helper()
	rows, err := b.pool.Query(context.Background(), `
		SELECT v FROM bookings, LATERAL (VALUES (contact_email_enc), (contact_phone_enc), (cancel_reason_enc)) x(v) WHERE v IS NOT NULL
		UNION ALL
		SELECT v FROM booking_guests, LATERAL (VALUES (given_name_enc), (family_name_enc)) x(v) WHERE v IS NOT NULL`)
	must(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var v []byte
		must(t, rows.Scan(&v))
		id, err := pii.KeyID(v)
		must(t, err)
		out[id]++
	}
	must(t, rows.Err())
	return out
}

// CheckKeys also looks at cancel reasons: reasons sealed with a key the
// servers lack (a 'staygraph migrate' run with other keys) are caught at
// start, even where the contacts tell nothing.
func TestCheckKeysSeesCancelReasons(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	keys := newTestKeys("k1", "k2")
	b, _ := setupWithKeys(t, now, keys.ring(t, "k1"))
	f := b.fixture(t, fixtureOpts{})
	held, err := b.svc.Hold(guest("a"), holdInput(f, "a", day("2027-04-01"), day("2027-04-02"), 1))
	must(t, err)
	_, _, err = b.svc.Cancel(guest("a"), booking.CancelInput{IdempotencyKey: "c", BookingID: held.ID, Reason: "Ana is ill"})
	must(t, err)
	// Contacts and guests from before encryption: only the reason is sealed.
	_, err = b.pool.Exec(context.Background(), `UPDATE bookings SET contact_email_enc = NULL, contact_email_idx = NULL, contact_phone_enc = NULL WHERE id = $1`, held.ID)
	must(t, err)
	_, err = b.pool.Exec(context.Background(), `UPDATE booking_guests SET given_name_enc = NULL, family_name_enc = NULL WHERE booking_id = $1`, held.ID)
	must(t, err)
	if err := booking.CheckKeys(context.Background(), b.pool, keys.ring(t, "k2")); err == nil || !strings.Contains(err.Error(), `"k1"`) {
		t.Fatalf("keys without the one that sealed a cancel reason: %v, want an error naming k1", err)
	}
	must(t, booking.CheckKeys(context.Background(), b.pool, keys.ring(t, "k2", "k1")))
}

// Rotating to a new key re-seals everything in batches, reads the same
// before and after, does nothing the second time, and leaves the old key
// unnecessary.
func TestRotateKeys(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	keys := newTestKeys("k1", "k2")
	b, _ := setupWithKeys(t, now, keys.ring(t, "k1"))
	f := b.fixture(t, fixtureOpts{rooms: 9})

	type want struct {
		ref, email, phone, reason string
		guests                    []string
	}
	wants := map[uuid.UUID]want{}
	for i := range 7 {
		in := holdInput(f, fmt.Sprint("h", i), day("2027-03-10").AddDate(0, 0, i), day("2027-03-11").AddDate(0, 0, i), 1+i%2)
		in.Contact = booking.Contact{Email: fmt.Sprintf("Guest%d@Example.org", i)}
		if i%3 != 0 {
			in.Contact.Phone = fmt.Sprintf("+33 1 23 45 67 %02d", i)
		}
		for r := range in.Rooms {
			in.Rooms[r].Guests[0] = booking.GuestName{GivenName: fmt.Sprintf("Given%d-%d", i, r), FamilyName: fmt.Sprintf("Family%d-%d", i, r)}
		}
		held, err := b.svc.Hold(guest(fmt.Sprint("g", i)), in)
		must(t, err)
		w := want{ref: held.Reference, email: in.Contact.Email, phone: in.Contact.Phone, guests: b.guestNames(t, b.svc, held.ID)}
		if i%3 == 1 { // cancelled with a reason, which is sealed too
			w.reason = fmt.Sprintf("Given%d cannot come, call +33 1 23 45 67 %02d", i, i)
			_, _, err := b.svc.Cancel(guest(fmt.Sprint("g", i)), booking.CancelInput{IdempotencyKey: "c", BookingID: held.ID, Reason: w.reason})
			must(t, err)
		}
		wants[held.ID] = w
	}
	// A booking whose personal data predates encryption (NULL) is left alone.
	legacy, err := b.svc.Hold(guest("old"), holdInput(f, "old", day("2027-04-01"), day("2027-04-02"), 1))
	must(t, err)
	_, err = b.pool.Exec(context.Background(), `UPDATE bookings SET contact_email_enc = NULL, contact_email_idx = NULL, contact_phone_enc = NULL WHERE id = $1`, legacy.ID)
	must(t, err)
	_, err = b.pool.Exec(context.Background(), `UPDATE booking_guests SET given_name_enc = NULL, family_name_enc = NULL WHERE booking_id = $1`, legacy.ID)
	must(t, err)
	if got := b.envelopeKeys(t); len(got) != 1 || got["k1"] == 0 {
		t.Fatalf("envelopes before rotation %v, want all k1", got)
	}
	versions := map[uuid.UUID]int64{}
	for id := range wants {
		bk, err := b.svc.Booking(b.admin, id)
		must(t, err)
		versions[id] = bk.Version
	}

	// Dropping k1 before the rotation is caught at start, naming k1.
	if err := booking.CheckKeys(context.Background(), b.pool, keys.ring(t, "k2")); err == nil || !strings.Contains(err.Error(), `"k1"`) {
		t.Fatalf("keys without k1 before the rotation: %v, want an error naming k1", err)
	}
	// The API servers get k2 first and keep k1; rotation then runs with the same keys.
	both := keys.ring(t, "k2", "k1")
	must(t, booking.CheckKeys(context.Background(), b.pool, both))
	var progress []booking.RotateProgress
	res, err := booking.RotateKeys(context.Background(), b.pool, both, booking.RotateOpts{BatchSize: 3,
		Progress: func(p booking.RotateProgress) { progress = append(progress, p) }})
	must(t, err)
	if res.Primary != "k2" || res.Bookings != 7 || res.Guests != 10 || res.Remaining != 0 {
		t.Fatalf("rotation %+v, want 7 bookings and 10 guests re-sealed with k2", res)
	}
	if len(progress) < 6 || progress[len(progress)-1] != (booking.RotateProgress{Table: "booking_guests", Done: 10, Due: 10}) {
		t.Fatalf("progress %+v, want batches of 3 ending at 10 of 10 guests", progress)
	}
	if got := b.envelopeKeys(t); len(got) != 1 || got["k2"] != 7+4+2+20 {
		t.Fatalf("envelopes after rotation %v, want 33 all k2", got)
	}
	again, err := booking.RotateKeys(context.Background(), b.pool, both, booking.RotateOpts{})
	must(t, err)
	if again.Bookings+again.Guests+again.Remaining != 0 {
		t.Fatalf("second rotation %+v, want nothing done", again)
	}

	// k1 can go: a service with k2 alone reads everything as before; one with k1 alone reads nothing.
	must(t, booking.CheckKeys(context.Background(), b.pool, keys.ring(t, "k2")))
	k2only := b.withKeys(keys.ring(t, "k2"))
	k1only := b.withKeys(keys.ring(t, "k1"))
	for id, w := range wants {
		got, err := k2only.Booking(b.admin, id)
		must(t, err)
		if got.ContactEmail != w.email || got.ContactPhone != w.phone || got.CancelReason != w.reason || got.Version != versions[id] {
			t.Errorf("booking %s after rotation: %q %q %q v%d, want %q %q %q v%d", id, got.ContactEmail, got.ContactPhone, got.CancelReason, got.Version,
				w.email, w.phone, w.reason, versions[id])
		}
		if names := b.guestNames(t, k2only, id); fmt.Sprint(names) != fmt.Sprint(w.guests) {
			t.Errorf("guests of %s after rotation %v, want %v", id, names, w.guests)
		}
		if got, err := k2only.ByReference(context.Background(), w.ref, strings.ToLower(w.email)); err != nil || got.ID != id {
			t.Errorf("ByReference %s after rotation: %v", w.ref, err)
		}
		if _, err := k1only.Booking(b.admin, id); !errors.Is(err, pii.ErrUnknownKey) {
			t.Errorf("a service with k1 only read booking %s: %v", id, err)
		}
	}
	if got, err := k2only.Booking(b.admin, legacy.ID); err != nil || got.ContactEmail != "" {
		t.Fatalf("legacy booking: %+v %v", got, err)
	}
	// New bookings under k2 alone work too.
	held, err := k2only.Hold(guest("new"), holdInput(f, "new", day("2027-03-20"), day("2027-03-21"), 1))
	must(t, err)
	if got, err := k2only.Booking(b.admin, held.ID); err != nil || got.ContactEmail != "ana@example.com" {
		t.Fatalf("new booking under k2: %+v %v", got, err)
	}
	// Rotating without a key that some value still needs stops, naming the key.
	b.svc = b.withKeys(keys.ring(t, "k1"))
	if _, err := b.svc.Hold(guest("late"), holdInput(f, "late", day("2027-03-22"), day("2027-03-23"), 1)); err != nil {
		t.Fatal(err)
	}
	k3 := newTestKeys("k3").byID["k3"]
	lacking, err := pii.NewKeyring([]pii.Key{k3, keys.byID["k2"]}, keys.index)
	must(t, err)
	if _, err := booking.RotateKeys(context.Background(), b.pool, lacking, booking.RotateOpts{}); !errors.Is(err, pii.ErrUnknownKey) {
		t.Fatalf("rotation without k1 while a k1 value exists: %v, want ErrUnknownKey", err)
	}
}

// Rotation runs beside the API: rows a booking transaction holds are
// skipped, not waited for, and taken by a later run; bookings made during
// rotation stay readable.
func TestRotateKeysBesideTheAPI(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	keys := newTestKeys("k1", "k2")
	b, _ := setupWithKeys(t, now, keys.ring(t, "k1"))
	f := b.fixture(t, fixtureOpts{rooms: 40})
	var ids []uuid.UUID
	for i := range 12 {
		held, err := b.svc.Hold(guest(fmt.Sprint("g", i)), holdInput(f, fmt.Sprint("h", i), day("2027-03-10"), day("2027-03-11"), 1))
		must(t, err)
		ids = append(ids, held.ID)
	}
	both := keys.ring(t, "k2", "k1")

	// A transaction of the API holds one booking's row.
	tx, err := b.pool.Begin(context.Background())
	must(t, err)
	_, err = tx.Exec(context.Background(), "SELECT 1 FROM bookings WHERE id = $1 FOR UPDATE", ids[5])
	must(t, err)
	done := make(chan booking.RotateResult, 1)
	go func() {
		res, err := booking.RotateKeys(context.Background(), b.pool, both, booking.RotateOpts{BatchSize: 4, Passes: 1})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	var res booking.RotateResult
	select {
	case res = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("rotation waits for a row the API holds")
	}
	must(t, tx.Rollback(context.Background()))
	if res.Bookings != 11 || res.Remaining != 1 {
		t.Fatalf("rotation beside a locked row: %+v, want 11 bookings done and 1 row remaining", res)
	}

	// The API, already on k2, keeps booking while rotation finishes.
	api := b.withKeys(both)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			held, err := api.Hold(guest(fmt.Sprint("n", i)), holdInput(f, fmt.Sprint("n", i), day("2027-03-12"), day("2027-03-13"), 1))
			if err == nil {
				_, err = api.Booking(b.admin, held.ID)
			}
			errs <- err
		}()
	}
	res, err = booking.RotateKeys(context.Background(), b.pool, both, booking.RotateOpts{BatchSize: 2})
	must(t, err)
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	if res.Remaining != 0 || res.Bookings != 1 {
		t.Fatalf("second run %+v, want the one skipped booking", res)
	}
	if got := b.envelopeKeys(t); len(got) != 1 || got["k2"] == 0 {
		t.Fatalf("envelopes %v, want all k2", got)
	}
}

// Name limits count characters, not bytes: 100 é (200 bytes) are a name.
func TestGuestNameLimitCountsCharacters(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{})
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 9)
	in := holdInput(f, "long", checkIn, checkIn.AddDate(0, 0, 1), 1)
	in.Rooms[0].Guests[0].FamilyName = strings.Repeat("é", 100)
	h, err := b.svc.Hold(guest("g"), in)
	if err != nil {
		t.Fatalf("a 100-character name: %v", err)
	}
	guests, err := b.svc.GuestsOf(guest("g"), []uuid.UUID{h.ID})
	must(t, err)
	if g := guests[h.ID]; len(g) != 1 || g[0].FamilyName != strings.Repeat("é", 100) {
		t.Fatalf("guests %+v", g)
	}
	in = holdInput(f, "longer", checkIn, checkIn.AddDate(0, 0, 1), 1)
	in.Rooms[0].Guests[0].FamilyName = strings.Repeat("é", 101)
	if _, err := b.svc.Hold(guest("g"), in); code(err) != apperr.InvalidInput {
		t.Fatalf("a 101-character name: %v, want INVALID_INPUT", err)
	}
}

// A phone number has digits: punctuation alone is not one.
func TestPhoneNeedsDigits(t *testing.T) {
	t.Parallel()
	b := setup(t, time.Time{})
	f := b.fixture(t, fixtureOpts{})
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 9)
	for phone, ok := range map[string]bool{"()()()()": false, "+1 (212) 555-0100": true, "12345": false} {
		in := holdInput(f, phone, checkIn, checkIn.AddDate(0, 0, 1), 1)
		in.Contact.Phone = phone
		_, err := b.svc.Hold(guest("g"), in)
		if ok != (err == nil) {
			t.Errorf("phone %q: %v", phone, err)
		}
	}
}

// During a rolling deploy of 00023, a server of the previous release
// cancels a booking with its reason in plaintext: rotate-keys seals it (and
// counts it while it is due), and the new servers then show it.
func TestACancelReasonThePreviousReleaseWroteIsSealed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	keys := newTestKeys("k1")
	now := time.Date(2027, 3, 1, 11, 0, 0, 0, time.UTC)
	b, _ := setupWithKeys(t, now, keys.ring(t, "k1"))
	f := b.fixture(t, fixtureOpts{rooms: 2})
	held, err := b.svc.Hold(guest("cust-1"), zebulonHold(f, "z", day("2027-03-10")))
	must(t, err)
	// the previous release's cancellation (queries/bookings.sql before 00023)
	_, err = b.pool.Exec(ctx, `UPDATE bookings SET status = 'CANCELLED', cancelled_at = now(), cancel_reason = $2,
		version = version + 1, updated_at = now() WHERE id = $1`, held.ID, cancelReason)
	must(t, err)
	res, err := booking.RotateKeys(ctx, b.pool, keys.ring(t, "k1"), booking.RotateOpts{})
	must(t, err)
	if res.Bookings != 1 || res.Remaining != 0 {
		t.Fatalf("rotation %+v, want the plaintext reason sealed", res)
	}
	var plain string
	var sealed []byte
	must(t, b.pool.QueryRow(ctx, `SELECT cancel_reason, cancel_reason_enc FROM bookings WHERE id = $1`, held.ID).Scan(&plain, &sealed))
	if plain != "" || len(sealed) == 0 {
		t.Fatalf("after rotate-keys: reason %q, %d sealed bytes; want it sealed only", plain, len(sealed))
	}
	if got, err := b.svc.ByReference(ctx, held.Reference, zebulonEmail); err != nil || got.CancelReason != cancelReason {
		t.Fatalf("the reason once sealed: %q %v, want %q", got.CancelReason, err, cancelReason)
	}
	if again, err := booking.RotateKeys(ctx, b.pool, keys.ring(t, "k1"), booking.RotateOpts{}); err != nil || again.Bookings+again.Remaining != 0 {
		t.Fatalf("second rotation %+v %v, want nothing done", again, err)
	}
}
