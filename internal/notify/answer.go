package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
)

// StatusError is an HTTP receiver's answer other than 2xx. It says the
// status code and its standard text only: the error ends up in
// notifications.last_error, which guests and hotel staff read, and in the
// job queue, so neither the receiver's own status text nor its body (which
// may echo credentials, internal names or personal data) is kept.
type StatusError struct {
	Code int
	// RetryAfter is how long the receiver asked to be left alone: the
	// Retry-After header of a 429 or 503 answer (ParseRetryAfter), at most
	// MaxRetryAfter; 0 when it asked nothing.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	if text := http.StatusText(e.Code); text != "" {
		return fmt.Sprintf("answered %d %s", e.Code, text)
	}
	return fmt.Sprintf("answered %d", e.Code)
}

// Refused reports whether the receiver refused the message for good: a
// redirect (deliveries go to the configured address only, see NewClient) or
// a 4xx other than 408 (timeout) and 429 (too many requests). Other failures
// are worth sending again.
func (e *StatusError) Refused() bool {
	return e.Code >= 300 && e.Code < 500 && e.Code != http.StatusRequestTimeout && e.Code != http.StatusTooManyRequests
}

// NewClient returns the HTTP client deliveries use by default: it gives up
// after timeout and never follows a redirect, so a receiver cannot send a
// signed delivery on to another address (an internal one, say); the 3xx
// answer is the delivery's answer.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// Post sends a delivery and reads the receiver's answer: nil for 2xx, a
// *StatusError for another answer (with the wait a 429 or 503 asked for),
// an *UnreachableError when none came (it never names the URL, whose query
// or user may hold the receiver's credentials). It reads the body to its
// end (up to 64 KiB), so the connection can be reused, and closes it.
func Post(client *http.Client, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		return Unreachable(err)
	}
	defer resp.Body.Close()
	return checkAnswer(resp)
}

// UnreachableError is a receiver that could not be reached, or did not
// answer. Its text is a short reason, never the receiver's address nor the
// underlying error's text (which names the URL or the host and port), as it
// is stored where guests and staff read it. Unwrap gives the cause.
type UnreachableError struct {
	Reason string
	err    error
}

func (e *UnreachableError) Error() string { return "unreachable (" + e.Reason + ")" }

func (e *UnreachableError) Unwrap() error { return e.err }

// Unreachable wraps err, a failure to reach a receiver or to hear its
// answer, as an *UnreachableError.
func Unreachable(err error) error {
	return &UnreachableError{Reason: netReason(err), err: err}
}

// netReason names the kind of a network failure in a few words.
func netReason(err error) string {
	var (
		timeout  interface{ Timeout() bool }
		dns      *net.DNSError
		cert     *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		hostname x509.HostnameError
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &timeout) && timeout.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &dns):
		return "host name not resolved"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.As(err, &unknown):
		return "TLS failed: certificate not trusted"
	case errors.As(err, &hostname):
		return "TLS failed: certificate for another name"
	case errors.As(err, &invalid):
		return "TLS failed: certificate invalid or expired"
	case errors.As(err, &cert), errors.As(err, &record), errors.As(err, &alert):
		return "TLS failed"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	}
	return "network error"
}

// Refusal is the answer in err when it refuses the delivery for good
// (StatusError.Refused): sending it again would not help.
func Refusal(err error) (*StatusError, bool) {
	var answer *StatusError
	return answer, errors.As(err, &answer) && answer.Refused()
}

func checkAnswer(resp *http.Response) error {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	answer := &StatusError{Code: resp.StatusCode}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		answer.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return answer
}
