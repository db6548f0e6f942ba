// Package webhook is the notification channel that tells partners about
// their bookings: a signed JSON POST to the partner's endpoint.
//
//	POST <endpoint>
//	Content-Type: application/json
//	Idempotency-Key: <event id, the same on every retry>
//	Staygraph-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the shared secret>
//	{"id": "...", "type": "booking.confirmed", "created": 1767225600, "data": {...}}
//
// Receivers check the signature with Verify and drop events whose id they
// have already handled. A 2xx answer means delivered; 4xx means the partner
// refused the event for good (except 408 and 429, which are retried); 5xx,
// timeouts and network errors are retried.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/notify"
)

// Name is the channel's name.
const Name = "webhook"

// Opts tunes the channel. Zero values take the documented defaults.
type Opts struct {
	// SecretFor returns the secret shared with the partner at endpoint, for
	// partners with secrets of their own; nil signs everything with New's secret.
	SecretFor func(ctx context.Context, endpoint string) ([]byte, error)
	// Client makes the requests. Default: a client with Timeout.
	Client *http.Client
	// Timeout bounds one request when Client is nil. Default 15s.
	Timeout time.Duration
	// Now is the clock signatures are timestamped with. Default time.Now.
	Now func() time.Time
}

// Channel posts notifications to partners' webhook endpoints.
type Channel struct {
	secret []byte
	opts   Opts
}

var (
	_ notify.Channel   = (*Channel)(nil)
	_ notify.Addresser = (*Channel)(nil)
)

// New returns a channel signing with secret.
func New(secret []byte, opts Opts) (*Channel, error) {
	if len(secret) == 0 && opts.SecretFor == nil {
		return nil, errors.New("webhook channel: empty signing secret")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.Client == nil {
		opts.Client = notify.NewClient(opts.Timeout)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Channel{secret: secret, opts: opts}, nil
}

// Name implements notify.Channel.
func (c *Channel) Name() string { return Name }

// Address implements notify.Addresser: the partner's endpoint.
func (c *Channel) Address(contact notify.Contact) string { return contact.WebhookURL }

// Event is the JSON body of a webhook.
type Event struct {
	// ID identifies the event; it is also the Idempotency-Key header.
	ID uuid.UUID `json:"id"`
	// Type is "booking." + the notification kind in lower case.
	Type string `json:"type"`
	// Created is when the event happened, in Unix seconds.
	Created int64     `json:"created"`
	Data    EventData `json:"data"`
}

// EventData is what an event is about.
type EventData struct {
	BookingID uuid.UUID   `json:"booking_id"`
	Reference string      `json:"reference"`
	Kind      notify.Kind `json:"kind"`
	// Summary is the notification's one-line subject.
	Summary  string `json:"summary"`
	Language string `json:"language"`
}

// EventType is the Type of events announcing kind.
func EventType(kind notify.Kind) string {
	return "booking." + strings.ToLower(string(kind))
}

// Send implements notify.Channel.
func (c *Channel) Send(ctx context.Context, msg notify.Message) error {
	u, err := url.Parse(msg.To)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return notify.Permanent(errors.New("the webhook endpoint is not an http(s) URL"))
	}
	secret := c.secret
	if c.opts.SecretFor != nil {
		if secret, err = c.opts.SecretFor(ctx, msg.To); err != nil {
			return fmt.Errorf("webhook secret: %w", err)
		}
		if len(secret) == 0 {
			return notify.Permanent(errors.New("no webhook secret for the endpoint"))
		}
	}
	body, err := json.Marshal(Event{ID: msg.ID, Type: EventType(msg.Kind), Created: msg.CreatedAt.Unix(),
		Data: EventData{BookingID: msg.BookingID, Reference: msg.Reference, Kind: msg.Kind, Summary: msg.Subject, Language: msg.Language}})
	if err != nil {
		return notify.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, msg.To, bytes.NewReader(body))
	if err != nil {
		return notify.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "staygraph-webhooks/1")
	req.Header.Set("Idempotency-Key", msg.ID.String())
	req.Header.Set(SignatureHeader, Sign(secret, c.opts.Now(), body))
	err = notify.Post(c.opts.Client, req)
	if _, refused := notify.Refusal(err); refused {
		return notify.Permanent(fmt.Errorf("webhook endpoint refused the event: %w", err))
	}
	if err != nil {
		return fmt.Errorf("webhook endpoint: %w", err)
	}
	return nil
}
