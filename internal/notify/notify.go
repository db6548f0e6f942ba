// Package notify tells guests what happened to their bookings, durably. A
// Channel delivers one Message (email over SMTP, SMS through an HTTP
// gateway; each a subpackage) and the Registry holds the channels by name.
// The Service writes a notification row and its
// delivery job in the caller's transaction, so a booking change that rolls
// back announces nothing, and a River worker delivers it with retries,
// falling back to another channel when one keeps failing. Adding a channel is
// a new subpackage plus one Register call.
package notify

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Kind is the booking event a notification announces.
type Kind string

// Booking events that are announced.
const (
	// Held: rooms are held for the guest until the hold expires.
	Held Kind = "HELD"
	// Confirmed: the booking is confirmed and paid as its rate plan requires.
	Confirmed Kind = "CONFIRMED"
	// Cancelled: the booking was cancelled.
	Cancelled Kind = "CANCELLED"
	// Refunded: money was paid back.
	Refunded Kind = "REFUNDED"
	// RelocationNeeded: the hotel cannot honour the room and will relocate the guest.
	RelocationNeeded Kind = "RELOCATION_NEEDED"
	// Expired: the hold ended unconfirmed and the rooms were released.
	Expired Kind = "EXPIRED"
)

// Kinds lists every Kind, in lifecycle order.
func Kinds() []Kind {
	return []Kind{Held, Confirmed, Cancelled, Refunded, RelocationNeeded, Expired}
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, known := range Kinds() {
		if k == known {
			return true
		}
	}
	return false
}

// Message is one notification as a channel sends it. The Service fills it
// when sending: nothing in it is stored.
type Message struct {
	// ID is the notification's id, the same on every retry: channels pass it
	// on (Message-ID, Idempotency-Key) so receivers can deduplicate.
	ID        uuid.UUID
	Kind      Kind
	BookingID uuid.UUID
	// Reference is the booking reference the guest knows.
	Reference string
	// Language is the language the message was rendered in ("en", "fr", ...).
	Language string
	// To is the recipient's address on this channel (email address, phone
	// number, ...), from the channel's Addresser; "" for a channel
	// that is not one.
	To string
	// CreatedAt is when the event happened (the notification was enqueued).
	CreatedAt time.Time
	// Subject is a one-line summary (email subject).
	Subject string
	// Short is a short plain-text version for SMS.
	Short string
	// Text and HTML are the full body, plain and HTML.
	Text string
	HTML string
}

// Channel is a way to deliver messages.
type Channel interface {
	// Name is the identifier notifications and Opts refer to the channel by.
	Name() string
	// Send delivers msg. An error means "not delivered, try again later",
	// unless it wraps ErrPermanent: then retrying cannot help (the address
	// is invalid, the peer refused the message).
	Send(ctx context.Context, msg Message) error
}

// Addresser is implemented by channels that send to the booking's contact:
// Address picks their recipient (Message.To) from it. An empty address is a
// permanent failure of that channel for that booking (delivery falls back).
type Addresser interface {
	Address(c Contact) string
}

// ErrPermanent marks a failure that retrying on the same channel cannot fix.
var ErrPermanent = errors.New("permanent failure")

// Permanent wraps err so that errors.Is(err, ErrPermanent) holds.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ err error }

func (e permanentError) Error() string        { return e.err.Error() }
func (e permanentError) Unwrap() error        { return e.err }
func (e permanentError) Is(target error) bool { return target == ErrPermanent }

// ErrUnknownChannel is returned for a channel name nobody registered.
var ErrUnknownChannel = errors.New("unknown notification channel")

// Registry holds the channels by name. It is safe for concurrent use.
type Registry struct {
	mu       sync.RWMutex
	channels map[string]Channel
}

// NewRegistry returns a registry holding channels.
func NewRegistry(channels ...Channel) *Registry {
	r := &Registry{channels: map[string]Channel{}}
	for _, c := range channels {
		r.Register(c)
	}
	return r
}

// Register adds or replaces a channel under its name.
func (r *Registry) Register(c Channel) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.channels[c.Name()] = c
}

// Get returns the channel registered under name.
func (r *Registry) Get(name string) (Channel, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.channels[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownChannel, name)
	}
	return c, nil
}

// Names lists the registered channels, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.channels))
	for n := range r.channels {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
