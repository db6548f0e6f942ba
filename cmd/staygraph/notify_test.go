package main

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// mailingServer is 'staygraph serve' with guest emails, on a database of
// its own with a bookable hotel.
type mailingServer struct {
	addr   string
	secret []byte
	pool   *pgxpool.Pool
	plan   uuid.UUID
	hotel  uuid.UUID
}

// startMailingServer runs runServe with args added until the test ends.
func startMailingServer(t *testing.T, args ...string) mailingServer {
	t.Helper()
	pool, url := pgtest.NewDBURL(t)
	_, h, plan, _ := londonHotel(t, pool)

	s := mailingServer{secret: []byte(randomHex(16)), pool: pool, plan: plan.ID, hotel: h.ID}
	s.addr = serveOnFreeAddr(t, func(addr string) []string {
		return append([]string{"--database-url", url, "--addr", addr,
			"--jwt-secret", string(s.secret), "--rate-limits", "off", "--log-level", "debug",
			"--pii-keys", pii.FormatKeys([]pii.Key{{ID: "k1", Secret: pii.GenerateKey()}}),
			"--pii-index-key", base64.StdEncoding.EncodeToString(pii.GenerateKey())}, args...)
	}, answersReady)
	return s
}

// hold books two nights over HTTP for a guest whose email is email, and
// returns the booking's id.
func (s mailingServer) hold(t *testing.T, email string) uuid.UUID {
	t.Helper()
	tok, err := auth.Mint(s.secret, auth.MintOpts{Role: auth.RoleGuest, Subject: "mail-guest", TTL: time.Hour})
	checkErr(t, err)
	date := func(days int) string { return booking.Date(time.Now()).AddDate(0, 0, days).Format(time.DateOnly) }
	data, code := post(t, s.addr, tok, `mutation($in: HoldBookingInput!) { holdBooking(input: $in) { booking { id } userErrors { code message } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": "mail-hold-" + email, "hotelId": relay.ID(relay.KindHotel, s.hotel),
			"checkIn": date(5), "checkOut": date(7),
			"rooms":   []map[string]any{{"ratePlanId": relay.ID(relay.KindRatePlan, s.plan), "adults": 2, "guests": []map[string]any{{"givenName": "Ada", "familyName": "Lovelace"}}}},
			"contact": map[string]any{"email": email}}})
	payload, _ := data["holdBooking"].(map[string]any)
	b, _ := payload["booking"].(map[string]any)
	if code != "" || b == nil {
		t.Fatalf("hold: %s %v", code, data)
	}
	id, err := relay.Decode(relay.KindBooking, b["id"].(string), "id")
	checkErr(t, err)
	return id
}

// notification waits until the booking's notification left PENDING and
// returns its status and last error.
func (s mailingServer) notification(t *testing.T, bookingID uuid.UUID) (status, lastError string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		err := s.pool.QueryRow(context.Background(), "SELECT status, last_error FROM notifications WHERE booking_id = $1", bookingID).Scan(&status, &lastError)
		if err == nil && status != "PENDING" {
			return status, lastError
		}
		if time.Now().After(deadline) {
			t.Fatalf("the notification of booking %s is still %q (%v) after 20s", bookingID, status, err)
		}
	}
}

// captureStderr sends what the process writes to os.Stderr (its logs) to a
// file until the test ends, and returns a function that reads it.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	checkErr(t, err)
	orig := os.Stderr
	os.Stderr = f
	t.Cleanup(func() { os.Stderr = orig; f.Close() })
	return func() string {
		b, err := os.ReadFile(f.Name())
		checkErr(t, err)
		return string(b)
	}
}

// A mail submission server that requires a login gets one, over STARTTLS
// verified with --smtp-ca-file, with the password from the environment; a
// server that offers no STARTTLS never sees the password, and the guest's
// notification says why it failed. The password appears in no log line.
// (Not parallel: it sets the environment and captures os.Stderr.)
func TestGuestEmailsLogInToTheSubmissionServer(t *testing.T) {
	const password = "s3cret-smtp-Pa55word"
	t.Setenv("STAYGRAPH_SMTP_PASSWORD", password)
	logs := captureStderr(t)

	t.Run("over STARTTLS", func(t *testing.T) {
		smtpd := notifytest.NewSMTPServer(t)
		caFile := filepath.Join(t.TempDir(), "smtp-ca.pem")
		checkErr(t, os.WriteFile(caFile, smtpd.OfferStartTLS(), 0o600))
		smtpd.RequireAuth("stays@hotel.example", password)
		s := startMailingServer(t, "--smtp-addr", smtpd.Addr(), "--smtp-from", "Mail Inn <stays@hotel.example>",
			"--smtp-username", "stays@hotel.example", "--smtp-ca-file", caFile)
		id := s.hold(t, "ada@example.org")
		got := smtpd.Await(t, 1, 20*time.Second)
		if got[0].From != "stays@hotel.example" || len(got[0].To) != 1 || got[0].To[0] != "ada@example.org" {
			t.Errorf("envelope from %q to %q", got[0].From, got[0].To)
		}
		if status, lastError := s.notification(t, id); status != "SENT" {
			t.Errorf("notification %s (%s), want SENT", status, lastError)
		}
		if n := smtpd.AuthsInClear(); n != 0 {
			t.Errorf("%d logins sent unencrypted", n)
		}
	})

	t.Run("without STARTTLS", func(t *testing.T) {
		smtpd := notifytest.NewSMTPServer(t)
		smtpd.RequireAuth("stays@hotel.example", password)
		s := startMailingServer(t, "--smtp-addr", smtpd.Addr(), "--smtp-username", "stays@hotel.example")
		id := s.hold(t, "ada@example.org")
		status, lastError := s.notification(t, id)
		if status != "DEAD" || !strings.Contains(lastError, "STARTTLS") || strings.Contains(lastError, smtpd.Addr()) {
			t.Errorf("notification %s (%q), want DEAD saying the server offers no STARTTLS, without its address (guests read it)", status, lastError)
		}
		if n := smtpd.AuthsInClear(); n != 0 {
			t.Errorf("%d logins sent unencrypted", n)
		}
		if n := len(smtpd.Mail()); n != 0 {
			t.Errorf("%d messages accepted", n)
		}
	})

	out := logs()
	if !strings.Contains(out, "guest emails") {
		t.Fatalf("the logs were not captured:\n%s", out)
	}
	if strings.Contains(out, password) || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(password))) {
		t.Errorf("a log line holds the SMTP password:\n%s", out)
	}
}

// The SMTP flags are refused at start-up, naming the flag, when they cannot
// work together.
func TestSMTPFlagsAreChecked(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"a user without a password": {[]string{"--smtp-addr", "127.0.0.1:587", "--smtp-username", "u"}, "--smtp-password"},
		"a password without a user": {[]string{"--smtp-addr", "127.0.0.1:587", "--smtp-password", "p"}, "--smtp-username"},
		"a login without a server":  {[]string{"--smtp-username", "u", "--smtp-password", "p"}, "--smtp-addr"},
		"no port":                   {[]string{"--smtp-addr", "mail.example"}, "--smtp-addr"},
		"a CA file that is missing": {[]string{"--smtp-addr", "127.0.0.1:587", "--smtp-ca-file", "/nonexistent.pem"}, "--smtp-ca-file"},
	} {
		f := newFlags("serve")
		s := addServerFlags(f)
		checkErr(t, f.parse(tc.args))
		if err := s.check(false); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s", name, err, tc.want)
		}
	}
}
