package notify

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// StatusError is an HTTP receiver's answer other than 2xx, with the start of
// its body.
type StatusError struct {
	Code   int
	Status string
	Body   string
}

func (e *StatusError) Error() string { return e.Status + ": " + e.Body }

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
// *StatusError for another answer, the client's error when none came. It
// reads the body to its end (up to 64 KiB), so the connection can be
// reused, and closes it.
func Post(client *http.Client, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return checkAnswer(resp)
}

// Refusal is the answer in err when it refuses the delivery for good
// (StatusError.Refused): sending it again would not help.
func Refusal(err error) (*StatusError, bool) {
	var answer *StatusError
	return answer, errors.As(err, &answer) && answer.Refused()
}

func checkAnswer(resp *http.Response) error {
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &StatusError{Code: resp.StatusCode, Status: resp.Status, Body: strings.TrimSpace(string(snippet))}
}
