// Package email is the notification channel that sends email over SMTP
// (net/smtp): STARTTLS when the server offers it, optional authentication
// (only over STARTTLS), and a multipart/alternative body with a plain-text
// and an HTML version.
package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/staygraph/staygraph/internal/notify"
)

// Name is the channel's name.
const Name = "email"

// Opts tunes the channel. Zero values take the documented defaults.
type Opts struct {
	// Auth authenticates to the server (smtp.PlainAuth, smtp.CRAMMD5Auth);
	// nil sends without authenticating. Credentials are sent only once
	// STARTTLS encrypted the connection, to localhost too: a server that
	// does not offer STARTTLS fails every send, permanently, before any
	// credential leaves (ErrNoStartTLS).
	Auth smtp.Auth
	// TLSConfig is used for STARTTLS, which is used whenever the server
	// offers it. Default: verify the server's certificate for host.
	TLSConfig *tls.Config
	// LocalName is the name given in EHLO. Default "localhost".
	LocalName string
	// Timeout bounds one delivery when the context has no deadline. Default 30s.
	Timeout time.Duration
}

// ErrNoStartTLS is the permanent failure of a channel with credentials whose
// server does not offer STARTTLS: the credentials would cross the network
// unencrypted, so they are not sent.
var ErrNoStartTLS = errors.New("the server does not offer STARTTLS: credentials are sent only over an encrypted connection")

// Channel sends notifications by email.
type Channel struct {
	addr string
	host string
	from *mail.Address
	opts Opts
}

var (
	_ notify.Channel   = (*Channel)(nil)
	_ notify.Addresser = (*Channel)(nil)
)

// New returns a channel sending through the SMTP server at host:port as
// from ("Hotel Bookings <bookings@example.com>").
func New(host string, port int, from string, opts Opts) (*Channel, error) {
	if host == "" || port <= 0 || port > 65535 {
		return nil, fmt.Errorf("email channel: invalid server %q port %d", host, port)
	}
	sender, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("email channel: sender %q: %w", from, err)
	}
	if opts.LocalName == "" {
		opts.LocalName = "localhost"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	return &Channel{addr: net.JoinHostPort(host, strconv.Itoa(port)), host: host, from: sender, opts: opts}, nil
}

// Name implements notify.Channel.
func (c *Channel) Name() string { return Name }

// Address implements notify.Addresser: the guest's email address.
func (c *Channel) Address(contact notify.Contact) string { return contact.Email }

// Send implements notify.Channel. The server refusing with a 5xx reply is
// a permanent failure; no connection or a 4xx reply is retried.
func (c *Channel) Send(ctx context.Context, msg notify.Message) error {
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return notify.Permanent(fmt.Errorf("invalid recipient address: %w", err))
	}
	body, err := c.compose(msg, to)
	if err != nil {
		return notify.Permanent(err)
	}
	if err := c.deliver(ctx, to.Address, body); err != nil {
		err = failure(err)
		var reply *ReplyError
		if errors.As(err, &reply) && reply.Code >= 500 {
			return notify.Permanent(fmt.Errorf("smtp server %w", err))
		}
		return fmt.Errorf("smtp server %w", err)
	}
	return nil
}

// ReplyError is the server's refusal: its reply code and, when it gave
// one, its enhanced status code (RFC 3463). Not the reply's text: it may
// echo addresses and the server's internal names, and the error is stored
// where guests and staff read it. Unwrap gives the whole reply.
type ReplyError struct {
	Code     int
	Enhanced string // "5.1.1", or ""
	reply    *textproto.Error
}

func (e *ReplyError) Error() string {
	if e.Enhanced != "" {
		return fmt.Sprintf("answered %d (%s)", e.Code, e.Enhanced)
	}
	return fmt.Sprintf("answered %d", e.Code)
}

func (e *ReplyError) Unwrap() error { return e.reply }

// enhancedCode is an enhanced status code at the start of a reply's text.
var enhancedCode = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}\b`)

// failure is what a failed SMTP conversation may say: the server's reply
// code (*ReplyError), errors of this package marked permanent, or why the
// server could not be reached or heard (notify.UnreachableError: never its
// host and port).
func failure(err error) error {
	var reply *textproto.Error
	switch {
	case errors.As(err, &reply):
		return &ReplyError{Code: reply.Code, Enhanced: enhancedCode.FindString(reply.Msg), reply: reply}
	case errors.Is(err, notify.ErrPermanent):
		return err
	}
	return notify.Unreachable(err)
}

// deliver runs one SMTP conversation.
func (c *Channel) deliver(ctx context.Context, to string, body []byte) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
		defer cancel()
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	client, err := smtp.NewClient(conn, c.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer client.Close()
	if err := client.Hello(c.opts.LocalName); err != nil {
		return err
	}
	if ok, _ := client.Extension("STARTTLS"); ok {
		cfg := &tls.Config{ServerName: c.host}
		if c.opts.TLSConfig != nil {
			cfg = c.opts.TLSConfig.Clone()
		}
		if err := client.StartTLS(cfg); err != nil {
			return err
		}
	}
	if c.opts.Auth != nil {
		if _, encrypted := client.TLSConnectionState(); !encrypted {
			return notify.Permanent(ErrNoStartTLS) // not the address: guests read this (the server logs it at start)
		}
		if ok, _ := client.Extension("AUTH"); !ok {
			return notify.Permanent(errors.New("does not offer authentication"))
		}
		if err := client.Auth(c.opts.Auth); err != nil {
			var reply *textproto.Error
			var netErr net.Error
			if errors.As(err, &reply) || errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return err
			}
			// The client's own refusal (net/smtp will not send a password
			// unencrypted): nothing the server said.
			return notify.Permanent(errors.New("authentication could not start"))
		}
	}
	if err := client.Mail(c.from.Address); err != nil {
		return err
	}
	if err := client.Rcpt(to); err != nil {
		return err
	}
	w, err := client.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	// The server accepted the message: it is sent, whatever QUIT answers
	// (an error there would send it again, then by SMS).
	_ = client.Quit()
	return nil
}

// compose writes msg as a MIME message: quoted-printable UTF-8 parts,
// multipart/alternative when there is an HTML version. Message-ID is derived
// from the notification id, so a resent message is recognisably the same.
func (c *Channel) compose(msg notify.Message, to *mail.Address) ([]byte, error) {
	var buf bytes.Buffer
	header := func(k, v string) { writeHeader(&buf, k, v) }
	header("From", c.from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", msg.Subject))
	header("Date", time.Now().Format(time.RFC1123Z))
	header("Message-ID", fmt.Sprintf("<%s@%s>", msg.ID, domainOf(c.from.Address)))
	if msg.Language != "" {
		header("Content-Language", msg.Language)
	}
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	if msg.HTML == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		buf.WriteString("\r\n")
		if err := writeQP(&buf, msg.Text); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(boundary()); err != nil {
		return nil, err
	}
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	buf.WriteString("\r\n")
	for _, part := range []struct{ contentType, body string }{
		{"text/plain; charset=utf-8", msg.Text},
		{"text/html; charset=utf-8", msg.HTML},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.contentType},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeHeader writes the header field k: v folded at its spaces into lines
// of at most 78 characters where its words allow (RFC 5322 §2.2.3; a line must
// stay under 998): a Subject or a name of a long hotel in a non-Latin script
// is a row of Q-encoded words, one long line unfolded.
func writeHeader(buf *bytes.Buffer, k, v string) {
	buf.WriteString(k + ":")
	width := len(k) + 1
	for i, word := range strings.Split(v, " ") {
		if i > 0 && width+1+len(word) > 78 {
			buf.WriteString("\r\n")
			width = 0
		}
		buf.WriteString(" " + word)
		width += 1 + len(word)
	}
	buf.WriteString("\r\n")
}

func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, s); err != nil {
		return err
	}
	return qp.Close()
}

func boundary() string {
	return "staygraph-" + strings.ToLower(rand.Text())
}

func domainOf(address string) string {
	if _, domain, ok := strings.Cut(address, "@"); ok && domain != "" {
		return domain
	}
	return "staygraph.invalid"
}
