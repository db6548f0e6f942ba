package email_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/email"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
)

const wait = 10 * time.Second

func message(t *testing.T, lang string) notify.Message {
	t.Helper()
	msg, err := notify.Compose(notify.Confirmed, notify.Contact{Email: "ana@example.com", Language: lang,
		Reference: "SG-7KQ2", HotelName: "Hôtel Étoile", GuestName: "Ana"})
	if err != nil {
		t.Fatal(err)
	}
	msg.ID, msg.BookingID, msg.To = uuid.New(), uuid.New(), "Ana <ana@example.com>"
	return msg
}

func channel(t *testing.T, srv *notifytest.SMTPServer, opts email.Opts) *email.Channel {
	t.Helper()
	ch, err := email.New(srv.Host(), srv.Port(), "Staygraph Bookings <bookings@staygraph.example>", opts)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// A message goes over real SMTP with its subject, both bodies and an id
// receivers can deduplicate on.
func TestSendDeliversBothVersions(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSMTPServer(t)
	msg := message(t, "fr")
	if err := channel(t, srv, email.Opts{}).Send(context.Background(), msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	got := srv.Await(t, 1, wait)[0]
	if got.From != "bookings@staygraph.example" || len(got.To) != 1 || got.To[0] != "ana@example.com" {
		t.Fatalf("envelope from %q to %q", got.From, got.To)
	}
	if got.Subject != msg.Subject || !strings.Contains(got.Subject, "confirmée") || !strings.Contains(got.Subject, "Hôtel Étoile") {
		t.Fatalf("subject %q, want %q", got.Subject, msg.Subject)
	}
	if !strings.Contains(got.Text, "Bonjour Ana,") || !strings.Contains(got.Text, "SG-7KQ2") {
		t.Fatalf("text part:\n%s", got.Text)
	}
	if !strings.Contains(got.HTML, `<html lang="fr">`) || !strings.Contains(got.HTML, "<strong>SG-7KQ2</strong>") {
		t.Fatalf("html part:\n%s", got.HTML)
	}
	if id := got.Header.Get("Message-Id"); id != "<"+msg.ID.String()+"@staygraph.example>" {
		t.Fatalf("Message-ID %q", id)
	}
	if got.Header.Get("Content-Language") != "fr" {
		t.Fatalf("Content-Language %q", got.Header.Get("Content-Language"))
	}
}

// A message the server accepted is sent, even when the server hangs up on
// QUIT: an error there would send it again, then by SMS.
func TestAnAcceptedMessageIsSentWhateverQuitAnswers(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSMTPServer(t)
	srv.DropOnQuit()
	if err := channel(t, srv, email.Opts{}).Send(context.Background(), message(t, "en")); err != nil {
		t.Fatalf("send: %v", err)
	}
	if got := srv.Await(t, 1, wait); len(got) != 1 {
		t.Fatalf("%d messages received", len(got))
	}
}

// Credentials go to a mail submission server over STARTTLS, verified
// against the CA the channel trusts.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSMTPServer(t)
	tlsConfig := &tls.Config{ServerName: srv.Host(), RootCAs: notifytest.RootCAs(t, srv.OfferStartTLS())}
	srv.RequireAuth("hotel", "s3cret")

	good := channel(t, srv, email.Opts{TLSConfig: tlsConfig, Auth: smtp.PlainAuth("", "hotel", "s3cret", srv.Host())})
	if err := good.Send(context.Background(), message(t, "en")); err != nil {
		t.Fatalf("send with the right credentials: %v", err)
	}
	srv.Await(t, 1, wait)

	bad := channel(t, srv, email.Opts{TLSConfig: tlsConfig, Auth: smtp.PlainAuth("", "hotel", "wrong", srv.Host())})
	if err := bad.Send(context.Background(), message(t, "en")); !errors.Is(err, notify.ErrPermanent) {
		t.Fatalf("send with a wrong password: %v, want a permanent failure", err)
	}
	if err := channel(t, srv, email.Opts{TLSConfig: tlsConfig}).Send(context.Background(), message(t, "en")); !errors.Is(err, notify.ErrPermanent) {
		t.Fatalf("send without credentials: %v, want a permanent failure", err)
	}
	// A certificate the channel does not trust: nothing is sent, and the
	// credentials do not leave.
	untrusted := channel(t, srv, email.Opts{Auth: smtp.PlainAuth("", "hotel", "s3cret", srv.Host())})
	if err := untrusted.Send(context.Background(), message(t, "en")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("send to a server whose certificate is not trusted: %v, want a certificate error", err)
	}
	if n := len(srv.Mail()); n != 1 {
		t.Fatalf("%d messages accepted, want 1", n)
	}
	if n := srv.AuthsInClear(); n != 0 {
		t.Fatalf("%d AUTH commands sent unencrypted", n)
	}
}

// A server that does not offer STARTTLS never gets the credentials, not
// even on localhost: every send fails for good, saying why.
func TestCredentialsNeedStartTLS(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSMTPServer(t)
	srv.RequireAuth("hotel", "s3cret")
	ch := channel(t, srv, email.Opts{Auth: smtp.PlainAuth("", "hotel", "s3cret", srv.Host())})
	err := ch.Send(context.Background(), message(t, "en"))
	if !errors.Is(err, notify.ErrPermanent) || !errors.Is(err, email.ErrNoStartTLS) || strings.Contains(err.Error(), srv.Addr()) {
		t.Fatalf("send: %v, want a permanent ErrNoStartTLS, without the server's address (guests read it)", err)
	}
	if n := srv.AuthsInClear(); n != 0 {
		t.Fatalf("%d AUTH commands sent unencrypted", n)
	}
	if n := len(srv.Mail()); n != 0 {
		t.Fatalf("%d messages accepted", n)
	}
}

// What the server says decides whether trying again can help.
func TestFailuresArePermanentOnlyWhenTheServerSaysSo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("5xx refusal", func(t *testing.T) {
		t.Parallel()
		srv := notifytest.NewSMTPServer(t)
		srv.RejectRecipients(550, "5.1.1 no such user")
		err := channel(t, srv, email.Opts{}).Send(ctx, message(t, "en"))
		if !errors.Is(err, notify.ErrPermanent) || !strings.Contains(err.Error(), "550") {
			t.Fatalf("send: %v, want a permanent 550", err)
		}
	})
	t.Run("4xx refusal", func(t *testing.T) {
		t.Parallel()
		srv := notifytest.NewSMTPServer(t)
		srv.RejectRecipients(451, "4.3.0 try again later")
		err := channel(t, srv, email.Opts{}).Send(ctx, message(t, "en"))
		if err == nil || errors.Is(err, notify.ErrPermanent) {
			t.Fatalf("send: %v, want a temporary failure", err)
		}
	})
	t.Run("server down", func(t *testing.T) {
		t.Parallel()
		srv := notifytest.NewSMTPServer(t)
		ch := channel(t, srv, email.Opts{})
		srv.Stop()
		err := ch.Send(ctx, message(t, "en"))
		if err == nil || errors.Is(err, notify.ErrPermanent) {
			t.Fatalf("send: %v, want a temporary failure", err)
		}
		srv.Start()
		if err := ch.Send(ctx, message(t, "en")); err != nil {
			t.Fatalf("send once the server is back: %v", err)
		}
	})
	t.Run("invalid address", func(t *testing.T) {
		t.Parallel()
		srv := notifytest.NewSMTPServer(t)
		msg := message(t, "en")
		msg.To = "ana@example.com\r\nBcc: everyone@example.com"
		if err := channel(t, srv, email.Opts{}).Send(ctx, msg); !errors.Is(err, notify.ErrPermanent) {
			t.Fatalf("send: %v, want a permanent failure", err)
		}
		if len(srv.Mail()) != 0 {
			t.Fatal("a message with an invalid address was sent")
		}
	})
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	if _, err := email.New("", 25, "a@example.com", email.Opts{}); err == nil {
		t.Fatal("no host accepted")
	}
	if _, err := email.New("127.0.0.1", 25, "not an address", email.Opts{}); err == nil {
		t.Fatal("invalid sender accepted")
	}
}
