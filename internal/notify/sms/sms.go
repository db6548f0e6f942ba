// Package sms is the notification channel that sends text messages through
// an HTTP SMS gateway: a JSON POST authenticated with a bearer token.
//
//	POST <gateway URL>
//	Authorization: Bearer <token>
//	Idempotency-Key: <notification id>
//	{"id": "<notification id>", "to": "+33123456789", "from": "Staygraph", "text": "..."}
//
// A 2xx answer means sent; 4xx means the gateway refused the message for
// good (except 408 and 429, which are retried); 5xx, timeouts and network
// errors are retried, not before the Retry-After of a 429 or 503 answer
// (at most an hour, notify.MaxRetryAfter). A failure is told by the
// answer's status code or a short reason ("sms gateway answered 503 Service
// Unavailable", "sms gateway unreachable (connection refused)"): guests
// read it with their booking.
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/staygraph/staygraph/internal/notify"
)

// Name is the channel's name.
const Name = "sms"

// Opts tunes the channel. Zero values take the documented defaults.
type Opts struct {
	// Sender is the "from" the gateway shows, if it supports one.
	Sender string
	// Client makes the requests. Default: a client with Timeout.
	Client *http.Client
	// Timeout bounds one request when Client is nil. Default 15s.
	Timeout time.Duration
}

// Channel sends notifications as text messages.
type Channel struct {
	url   string
	token string
	opts  Opts
}

var (
	_ notify.Channel   = (*Channel)(nil)
	_ notify.Addresser = (*Channel)(nil)
)

// New returns a channel posting to the gateway at gatewayURL with token.
func New(gatewayURL, token string, opts Opts) (*Channel, error) {
	u, err := url.Parse(gatewayURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Not repeated: its query or user may hold the gateway's key.
		return nil, errors.New("sms channel: the gateway URL is not an http(s) URL")
	}
	if token == "" {
		return nil, errors.New("sms channel: empty gateway token")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.Client == nil {
		opts.Client = notify.NewClient(opts.Timeout)
	}
	return &Channel{url: gatewayURL, token: token, opts: opts}, nil
}

// Name implements notify.Channel.
func (c *Channel) Name() string { return Name }

// Address implements notify.Addresser: the guest's phone number.
func (c *Channel) Address(contact notify.Contact) string { return contact.Phone }

// request is the JSON the gateway receives.
type request struct {
	ID   string `json:"id"`
	To   string `json:"to"`
	From string `json:"from,omitempty"`
	Text string `json:"text"`
}

// Send implements notify.Channel.
func (c *Channel) Send(ctx context.Context, msg notify.Message) error {
	text := msg.Short
	if text == "" {
		text = msg.Subject
	}
	body, err := json.Marshal(request{ID: msg.ID.String(), To: msg.To, From: c.opts.Sender, Text: text})
	if err != nil {
		return notify.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return notify.Permanent(errors.New("sms gateway: the request could not be made"))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Idempotency-Key", msg.ID.String())
	// The error is stored where the guest reads it: notify.Post's errors
	// name the answer's status or why none came, never the gateway's URL
	// (its query or user may hold a key) nor its body.
	err = notify.Post(c.opts.Client, req)
	if _, refused := notify.Refusal(err); refused {
		return notify.Permanent(fmt.Errorf("sms gateway refused the message: %w", err))
	}
	if err != nil {
		return fmt.Errorf("sms gateway %w", err)
	}
	return nil
}
