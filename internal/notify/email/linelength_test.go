package email_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/notify/email"
	"github.com/staygraph/staygraph/internal/notify/notifytest"
)

// A hotel name the catalog accepts (up to 200 characters) in a script
// outside Latin-1 is a Q-encoded Subject of ~2,200 characters. It is folded
// between its encoded words into lines of one word each (RFC 5322 §2.2.3); it
// used to be one line, over the 998 that §2.1.1 allows, which receiving
// servers reject or split.
func TestALongNonLatinHotelNameIsFoldedIntoShortHeaderLines(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSMTPServer(t)
	hotel := strings.Repeat("東", 200) // 200 characters: catalog's maximum
	msg, err := notify.Compose(notify.Confirmed, notify.Contact{Email: "ana@example.com", Language: "en",
		Reference: "SG-7KQ2", HotelName: hotel, GuestName: "Ana"})
	if err != nil {
		t.Fatal(err)
	}
	msg.ID, msg.BookingID, msg.To = uuid.New(), uuid.New(), "ana@example.com"
	if err := channel(t, srv, email.Opts{}).Send(context.Background(), msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	got := srv.Await(t, 1, wait)[0]
	for _, line := range strings.Split(string(got.Raw), "\n") {
		if line = strings.TrimSuffix(line, "\r"); len(line) > 998 {
			t.Errorf("a line of %d characters (RFC 5322: at most 998): %.60s…", len(line), line)
		}
		// one encoded word (at most 75 characters, RFC 2047) a line,
		// after the field's name on its first
		if strings.Contains(line, "=?utf-8?q?") && len(line) > len("Subject: ")+75 {
			t.Errorf("a header line of %d characters, want one encoded word a line: %.60s…", len(line), line)
		}
	}
	if got.Subject != msg.Subject {
		t.Errorf("subject decoded as %q, want %q", got.Subject, msg.Subject)
	}
}
