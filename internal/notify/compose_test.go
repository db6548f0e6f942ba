package notify_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/staygraph/staygraph/internal/notify"
)

// Every kind has every part in every language, and each language reads
// differently from the others.
func TestComposeEveryKindInEveryLanguage(t *testing.T) {
	t.Parallel()
	langs := notify.Languages()
	for _, want := range []string{"en", "fr", "es"} {
		if !slices.Contains(langs, want) {
			t.Fatalf("languages %v lack %q", langs, want)
		}
	}
	contact := notify.Contact{Reference: "SG-7KQ2", HotelName: "Hotel Sol", GuestName: "Ana",
		CheckIn: time.Date(2030, 5, 1, 0, 0, 0, 0, time.UTC), CheckOut: time.Date(2030, 5, 3, 0, 0, 0, 0, time.UTC)}
	for _, kind := range notify.Kinds() {
		subjects := map[string]string{}
		for _, lang := range langs {
			contact.Language = lang
			msg, err := notify.Compose(kind, contact)
			if err != nil {
				t.Fatalf("%s in %s: %v", kind, lang, err)
			}
			if msg.Language != lang || msg.Kind != kind || msg.Reference != "SG-7KQ2" {
				t.Fatalf("%s in %s: composed %+v", kind, lang, msg)
			}
			for part, text := range map[string]string{"subject": msg.Subject, "short": msg.Short, "text": msg.Text, "html": msg.HTML} {
				if !strings.Contains(text, "SG-7KQ2") || !strings.Contains(text, "Hotel Sol") {
					t.Errorf("%s in %s: %s lacks the reference or hotel: %q", kind, lang, part, text)
				}
			}
			if !strings.Contains(msg.Text, "Ana") || !strings.Contains(msg.HTML, `lang="`+lang+`"`) {
				t.Errorf("%s in %s: no greeting or html lang:\n%s\n%s", kind, lang, msg.Text, msg.HTML)
			}
			if kind != notify.Refunded && !strings.Contains(msg.Text, "2030-05-01") {
				t.Errorf("%s in %s: the stay dates are missing:\n%s", kind, lang, msg.Text)
			}
			for other, s := range subjects {
				if s == msg.Subject {
					t.Errorf("%s: %s and %s share the subject %q", kind, other, lang, s)
				}
			}
			subjects[lang] = msg.Subject
		}
	}
}

func TestComposeLanguageFallback(t *testing.T) {
	t.Parallel()
	for tag, want := range map[string]string{"fr": "fr", "fr-CA": "fr", "ES_mx": "es", "de": "en", "": "en", "  en-GB ": "en"} {
		msg, err := notify.Compose(notify.Confirmed, notify.Contact{Language: tag, Reference: "R", HotelName: "H"})
		if err != nil {
			t.Fatal(err)
		}
		if msg.Language != want {
			t.Errorf("language %q rendered in %q, want %q", tag, msg.Language, want)
		}
	}
}

// Booking data cannot inject markup into the HTML nor headers into the subject.
func TestComposeEscapes(t *testing.T) {
	t.Parallel()
	msg, err := notify.Compose(notify.Held, notify.Contact{Reference: "R1", HotelName: "Bad <script>alert(1)</script>\r\nBcc: x@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(msg.HTML, "<script>") {
		t.Fatalf("unescaped hotel name in html:\n%s", msg.HTML)
	}
	if strings.ContainsAny(msg.Subject, "\r\n") {
		t.Fatalf("subject spans lines: %q", msg.Subject)
	}
	if _, err := notify.Compose("BOGUS", notify.Contact{}); err == nil {
		t.Fatal("unknown kind composed")
	}
}

type namedChannel string

func (c namedChannel) Name() string                               { return string(c) }
func (c namedChannel) Send(context.Context, notify.Message) error { return nil }

func TestRegistry(t *testing.T) {
	t.Parallel()
	r := notify.NewRegistry(namedChannel("sms"), namedChannel("email"))
	r.Register(namedChannel("webhook"))
	if got := r.Names(); !slices.Equal(got, []string{"email", "sms", "webhook"}) {
		t.Fatalf("names %v", got)
	}
	if c, err := r.Get("sms"); err != nil || c.Name() != "sms" {
		t.Fatalf("get sms: %v, %v", c, err)
	}
	if _, err := r.Get("pigeon"); !errors.Is(err, notify.ErrUnknownChannel) {
		t.Fatalf("get pigeon: %v", err)
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	cause := errors.New("550 no such user")
	err := notify.Permanent(cause)
	if !errors.Is(err, notify.ErrPermanent) || !errors.Is(err, cause) || err.Error() != cause.Error() {
		t.Fatalf("Permanent(%v) = %v", cause, err)
	}
	if notify.Permanent(nil) != nil {
		t.Fatal("Permanent(nil) is not nil")
	}
	if errors.Is(cause, notify.ErrPermanent) {
		t.Fatal("a plain error is permanent")
	}
}
