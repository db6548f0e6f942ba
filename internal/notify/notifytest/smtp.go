// Package notifytest has real peers for testing notification channels: an
// SMTP receiver speaking SMTP over TCP on 127.0.0.1, an HTTP peer with
// scripted answers (an SMS gateway, a partner's webhook endpoint), and
// Recipients over a map.
package notifytest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mail is one message the SMTP receiver accepted.
type Mail struct {
	// From and To are the envelope (MAIL FROM, RCPT TO).
	From string
	To   []string
	// Raw is the message as received (lines end in "\n").
	Raw    []byte
	Header mail.Header
	// Subject is the decoded subject.
	Subject string
	// Text and HTML are the decoded text/plain and text/html parts.
	Text string
	HTML string
}

// SMTPServer is a minimal SMTP receiver on 127.0.0.1: EHLO/HELO, optional
// STARTTLS and AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT. It can be
// stopped and started again on the same port, to play a mail server that is
// down.
type SMTPServer struct {
	t    testing.TB
	mu   sync.Mutex
	addr string
	ln   net.Listener
	// conns are the open conversations, closed by Stop.
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
	mail    []Mail
	arrived chan struct{} // closed and replaced when mail arrives
	reject  *textproto.Error
	user    string
	pass    string
	// tls, when set, is offered with STARTTLS; AUTH is then offered only
	// on the encrypted connection, as mail submission servers do.
	tls *tls.Config
	// clearAuths counts AUTH commands received on an unencrypted connection.
	clearAuths int
	// dropOnQuit hangs up on QUIT instead of answering 221.
	dropOnQuit bool
}

// NewSMTPServer starts a receiver on a free port of 127.0.0.1; it stops when
// the test ends.
func NewSMTPServer(t testing.TB) *SMTPServer {
	t.Helper()
	s := &SMTPServer{t: t, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}, arrived: make(chan struct{})}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Addr is the host:port the receiver listens on.
func (s *SMTPServer) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Host is the receiver's IP address.
func (s *SMTPServer) Host() string {
	host, _, _ := net.SplitHostPort(s.Addr())
	return host
}

// Port is the receiver's port.
func (s *SMTPServer) Port() int {
	_, port, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(port)
	return n
}

// Start listens again (on the same port after Stop). It is a no-op while
// running.
func (s *SMTPServer) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return
	}
	var ln net.Listener
	var err error
	// The port was ours a moment ago; allow the kernel a moment too.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if ln, err = net.Listen("tcp", s.addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		s.t.Fatalf("smtp receiver: listen on %s: %v", s.addr, err)
	}
	s.ln, s.addr = ln, ln.Addr().String()
	s.wg.Add(1)
	go s.accept(ln)
}

// Stop closes the listener and every open conversation: clients then find
// no server on the port.
func (s *SMTPServer) Stop() {
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// RejectRecipients makes RCPT answer code and text (code 0: accept again).
// 4xx is a temporary refusal, 5xx a permanent one.
func (s *SMTPServer) RejectRecipients(code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		s.reject = nil
		return
	}
	s.reject = &textproto.Error{Code: code, Msg: text}
}

// DropOnQuit makes the server hang up on QUIT without answering, after it
// accepted the message: a peer whose last answer is lost.
func (s *SMTPServer) DropOnQuit() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropOnQuit = true
}

// RequireAuth offers AUTH PLAIN (after STARTTLS, when OfferStartTLS was
// called) and refuses mail from clients that did not authenticate as user
// with pass.
func (s *SMTPServer) RequireAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.pass = user, pass
}

// OfferStartTLS makes the receiver offer STARTTLS with a self-signed
// certificate for 127.0.0.1, ::1 and localhost, and offer AUTH only once the
// connection is encrypted. It returns the certificate in PEM: what a client
// trusts to verify the receiver.
func (s *SMTPServer) OfferStartTLS() (certPEM []byte) {
	s.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		s.t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "notifytest SMTP receiver"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tls = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// RootCAs is a pool holding the certificate OfferStartTLS returned.
func RootCAs(t testing.TB, certPEM []byte) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("notifytest: no certificate in PEM")
	}
	return pool
}

// AuthsInClear counts the AUTH commands, credentials included, that
// clients sent over an unencrypted connection.
func (s *SMTPServer) AuthsInClear() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clearAuths
}

// Mail returns the messages received so far.
func (s *SMTPServer) Mail() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mail...)
}

// Await waits until at least n messages arrived and returns them, failing
// the test after timeout.
func (s *SMTPServer) Await(t testing.TB, n int, timeout time.Duration) []Mail {
	t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got, arrived := append([]Mail(nil), s.mail...), s.arrived
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-arrived:
		case <-deadline:
			t.Fatalf("smtp receiver: %d message(s) arrived within %s, want %d", len(got), timeout, n)
		}
	}
}

func (s *SMTPServer) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.ln != ln { // stopped meanwhile
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, conn)
				s.mu.Unlock()
				conn.Close()
			}()
			_ = conn.SetDeadline(time.Now().Add(time.Minute))
			s.converse(conn)
		}()
	}
}

// converse runs one SMTP session (RFC 5321, the parts clients use; RFC
// 3207 STARTTLS).
func (s *SMTPServer) converse(conn net.Conn) {
	c := textproto.NewConn(conn)
	reply := func(code int, text string) bool { return c.PrintfLine("%d %s", code, text) == nil }
	if !reply(220, "127.0.0.1 notifytest ESMTP ready") {
		return
	}
	var from string
	var to []string
	authed, encrypted := false, false
	for {
		line, err := c.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		s.mu.Lock()
		user, pass, reject, tlsConfig := s.user, s.pass, s.reject, s.tls
		s.mu.Unlock()
		// With STARTTLS on offer, AUTH waits for the encrypted connection.
		offerAuth := user != "" && (tlsConfig == nil || encrypted)
		ok := true
		switch strings.ToUpper(verb) {
		case "EHLO":
			lines := []string{"250-127.0.0.1 greets " + arg, "250-8BITMIME"}
			if tlsConfig != nil && !encrypted {
				lines = append(lines, "250-STARTTLS")
			}
			if offerAuth {
				lines = append(lines, "250-AUTH PLAIN")
			}
			lines = append(lines, "250 SMTPUTF8")
			for _, l := range lines {
				if ok = c.PrintfLine("%s", l) == nil; !ok {
					break
				}
			}
		case "HELO":
			ok = reply(250, "127.0.0.1")
		case "STARTTLS":
			if tlsConfig == nil || encrypted {
				ok = reply(502, "5.5.1 STARTTLS not available")
				break
			}
			if !reply(220, "2.0.0 ready to start TLS") {
				return
			}
			secure := tls.Server(conn, tlsConfig)
			if err := secure.Handshake(); err != nil {
				return
			}
			// RFC 3207: the session starts over on the encrypted connection.
			c, encrypted = textproto.NewConn(secure), true
			from, to, authed = "", nil, false
		case "AUTH":
			if !encrypted {
				s.mu.Lock()
				s.clearAuths++
				s.mu.Unlock()
			}
			mech, initial, _ := strings.Cut(arg, " ")
			if !offerAuth || !strings.EqualFold(mech, "PLAIN") {
				ok = reply(504, "5.5.4 unrecognized authentication type")
				break
			}
			if initial == "" {
				if !reply(334, "") {
					return
				}
				if initial, err = c.ReadLine(); err != nil {
					return
				}
			}
			creds, _ := base64.StdEncoding.DecodeString(initial)
			if parts := strings.Split(string(creds), "\x00"); len(parts) == 3 && parts[1] == user && parts[2] == pass {
				authed = true
				ok = reply(235, "2.7.0 authentication successful")
			} else {
				ok = reply(535, "5.7.8 authentication credentials invalid")
			}
		case "MAIL":
			if user != "" && !authed {
				ok = reply(530, "5.7.0 authentication required")
				break
			}
			from, to = path(arg, "FROM:"), nil
			ok = reply(250, "2.1.0 ok")
		case "RCPT":
			switch {
			case from == "":
				ok = reply(503, "5.5.1 MAIL first")
			case reject != nil:
				ok = reply(reject.Code, reject.Msg)
			default:
				to = append(to, path(arg, "TO:"))
				ok = reply(250, "2.1.5 ok")
			}
		case "DATA":
			if len(to) == 0 {
				ok = reply(503, "5.5.1 RCPT first")
				break
			}
			if !reply(354, "end data with <CR><LF>.<CR><LF>") {
				return
			}
			raw, err := c.ReadDotBytes()
			if err != nil {
				return
			}
			s.received(parseMail(from, to, raw))
			from, to = "", nil
			ok = reply(250, "2.0.0 queued")
		case "RSET":
			from, to = "", nil
			ok = reply(250, "2.0.0 ok")
		case "NOOP":
			ok = reply(250, "2.0.0 ok")
		case "QUIT":
			s.mu.Lock()
			drop := s.dropOnQuit
			s.mu.Unlock()
			if !drop {
				reply(221, "2.0.0 bye")
			}
			return
		default:
			ok = reply(502, "5.5.2 command not implemented")
		}
		if !ok {
			return
		}
	}
}

func (s *SMTPServer) received(m Mail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mail = append(s.mail, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// path is the address of "FROM:<a@b> SIZE=..." (prefix "FROM:").
func path(arg, prefix string) string {
	if len(arg) >= len(prefix) && strings.EqualFold(arg[:len(prefix)], prefix) {
		arg = arg[len(prefix):]
	}
	arg, _, _ = strings.Cut(strings.TrimSpace(arg), " ")
	return strings.Trim(arg, "<>")
}

// parseMail decodes what a test asserts on; a message it cannot parse keeps
// only Raw (and the test sees empty fields).
func parseMail(from string, to []string, raw []byte) Mail {
	m := Mail{From: from, To: to, Raw: raw}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return m
	}
	m.Header = msg.Header
	if subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err == nil {
		m.Subject = subject
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		mediaType = "text/plain"
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		m.setPart(mediaType, decode(msg.Header.Get("Content-Transfer-Encoding"), msg.Body))
		return m
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := parts.NextPart() // decodes quoted-printable itself
		if err != nil {
			return m
		}
		partType, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		m.setPart(partType, decode(p.Header.Get("Content-Transfer-Encoding"), p))
	}
}

func (m *Mail) setPart(mediaType, body string) {
	switch mediaType {
	case "text/plain":
		m.Text = body
	case "text/html":
		m.HTML = body
	}
}

func decode(encoding string, r io.Reader) string {
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, _ := io.ReadAll(r)
	return string(b)
}
