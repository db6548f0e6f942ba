// Package hub is the in-process event hub that feeds GraphQL
// subscriptions: a consumer of the change stream that turns committed
// changes into bookingUpdated and availabilityChanged events and fans them
// out to subscribers, each with a bounded buffer.
//
// A subscriber that does not keep up loses its oldest buffered events,
// never the newest, and then receives a Lagged event (with the number
// lost) before the events that follow: it should refetch what it shows.
// Publishing never waits for a subscriber, so one slow client cannot slow
// the stream or the others. Every subscriber also receives Resync when the
// change stream restarted from a snapshot (its slot was recreated), since
// changes before it may be missing.
//
// A subscription resolver asks for what its field promises and reloads
// what it shows (events carry ids, not rows):
//
//	events, cancel := h.Subscribe(ctx, hub.Filter{Kinds: []hub.Kind{hub.AvailabilityChanged},
//		HotelID: hotelID, From: from, To: to}) // availabilityChanged(hotelId, from, to)
//	events, cancel := h.Subscribe(ctx, hub.Filter{Kinds: []hub.Kind{hub.BookingUpdated},
//		BookingID: bookingID}) // bookingUpdated(bookingId)
package hub

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/indexer"
)

// Kind is the kind of an Event.
type Kind string

// The kinds of Event.
const (
	// AvailabilityChanged: units or prices of a hotel's stays changed on
	// Event.Nights (the subscription availabilityChanged(hotelId, from, to)).
	AvailabilityChanged Kind = "AVAILABILITY_CHANGED"
	// BookingUpdated: a booking was created or changed (bookingUpdated(bookingId)).
	BookingUpdated Kind = "BOOKING_UPDATED"
	// Lagged: this subscriber was too slow and lost Event.Missed events;
	// what it shows may be stale.
	Lagged Kind = "LAGGED"
	// Resync: the change stream restarted from a snapshot, or a table was
	// emptied (TRUNCATE): what was known may be stale; refetch.
	Resync Kind = "RESYNC"
)

// Event is what a subscriber receives.
type Event struct {
	Kind Kind
	// HotelID is the hotel of AvailabilityChanged and BookingUpdated.
	HotelID uuid.UUID
	// BookingID is the booking of BookingUpdated.
	BookingID uuid.UUID
	// RoomTypeIDs are the room types of AvailabilityChanged, sorted; empty
	// means every room type of the hotel.
	RoomTypeIDs []uuid.UUID
	// Nights are the hotel-local nights concerned: those whose availability
	// or prices changed, a booking's stay. Zero means every night.
	Nights indexer.Nights
	// Rates says prices changed (not only units) for AvailabilityChanged.
	Rates bool
	// CommitLSN and CommitTime are of the last transaction the event sums up.
	CommitLSN  indexer.LSN
	CommitTime time.Time
	// Missed is the number of events a Lagged subscriber lost.
	Missed int
}

// Filter chooses the events of a subscription. Zero fields match
// everything; Lagged and Resync always pass.
type Filter struct {
	// Kinds are the kinds wanted; empty means all.
	Kinds []Kind
	// HotelID keeps the events of one hotel.
	HotelID uuid.UUID
	// BookingID keeps the events of one booking.
	BookingID uuid.UUID
	// From and To keep the events whose nights overlap [From, To)
	// (hotel-local dates); a zero bound is open.
	From, To time.Time
}

func (f Filter) match(e Event) bool {
	if e.Kind == Lagged || e.Kind == Resync {
		return true
	}
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.Kind) {
		return false
	}
	if f.HotelID != uuid.Nil && e.HotelID != f.HotelID {
		return false
	}
	if f.BookingID != uuid.Nil && e.BookingID != f.BookingID {
		return false
	}
	return e.Nights.Overlaps(f.From, f.To)
}

// DefaultBuffer is the events buffered per subscriber.
const DefaultBuffer = 256

// Opts tunes a Hub.
type Opts struct {
	// Buffer bounds each subscriber's buffer (DefaultBuffer).
	Buffer int
	// Logger receives a line when a subscriber lags; nil discards.
	Logger *slog.Logger
}

// Hub fans change events out to subscribers. It is an indexer.Consumer
// (and Snapshotter, to announce Resync).
type Hub struct {
	opts Opts

	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

var (
	_ indexer.Consumer    = (*Hub)(nil)
	_ indexer.Snapshotter = (*Hub)(nil)
)

// New returns a hub without subscribers.
func New(opts Opts) *Hub {
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Hub{opts: opts, subs: map[*subscriber]struct{}{}}
}

// Name implements indexer.Consumer.
func (h *Hub) Name() string { return "hub" }

// Apply implements indexer.Consumer: it hands the batch's events to the
// subscribers' buffers and returns; it never waits for a subscriber.
func (h *Hub) Apply(_ context.Context, batch []indexer.Event) error {
	h.Publish(Events(batch)...)
	for _, e := range batch {
		if e.Op == indexer.Truncate { // every row of a table: nothing names what changed
			h.Publish(Event{Kind: Resync, CommitLSN: e.CommitLSN, CommitTime: e.CommitTime})
			break
		}
	}
	return nil
}

// Snapshot implements indexer.Snapshotter: subscribers are told to refetch.
func (h *Hub) Snapshot(_ context.Context, snap indexer.Snapshot) error {
	h.Publish(Event{Kind: Resync, CommitLSN: snap.LSN, CommitTime: time.Now()})
	return nil
}

// Subscribe returns the events that match f, from now on, until ctx ends
// or cancel is called; the channel is then closed. Up to Opts.Buffer events
// wait for a slow reader; past that the oldest are dropped and a Lagged
// event says how many.
func (h *Hub) Subscribe(ctx context.Context, f Filter) (<-chan Event, func()) {
	s := &subscriber{filter: f, limit: h.opts.Buffer, wake: make(chan struct{}, 1), out: make(chan Event), done: make(chan struct{})}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, s)
			h.mu.Unlock()
			close(s.done)
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			cancel()
		case <-s.done:
		}
	}()
	go s.run()
	return s.out, cancel
}

// Subscribers is the number of open subscriptions.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Publish hands events to every matching subscriber.
func (h *Hub) Publish(events ...Event) {
	if len(events) == 0 {
		return
	}
	h.mu.Lock()
	subs := make([]*subscriber, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	for _, s := range subs {
		for _, e := range events {
			if s.filter.match(e) && s.push(e) {
				h.opts.Logger.Warn("subscriber too slow: dropped its oldest event", "buffer", s.limit)
			}
		}
	}
}

// subscriber is one subscription: a bounded queue drained by its own
// goroutine into out.
type subscriber struct {
	filter Filter
	limit  int
	wake   chan struct{}
	out    chan Event
	done   chan struct{}

	mu     sync.Mutex
	queue  []Event
	missed int
}

// push queues e, dropping the oldest event when full; it reports whether
// this push started a lag (the first drop since the last Lagged).
func (s *subscriber) push(e Event) (started bool) {
	s.mu.Lock()
	if len(s.queue) >= s.limit {
		copy(s.queue, s.queue[1:])
		s.queue = s.queue[:len(s.queue)-1]
		s.missed++
		started = s.missed == 1
	}
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return started
}

// next is the event to deliver next: Lagged first when events were lost.
func (s *subscriber) next() (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.missed > 0 {
		e := Event{Kind: Lagged, Missed: s.missed, CommitTime: time.Now()}
		s.missed = 0
		return e, true
	}
	if len(s.queue) == 0 {
		return Event{}, false
	}
	e := s.queue[0]
	s.queue[0] = Event{}
	s.queue = s.queue[1:]
	return e, true
}

func (s *subscriber) run() {
	defer close(s.out)
	for {
		e, ok := s.next()
		if !ok {
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		select {
		case s.out <- e:
		case <-s.done:
			return
		}
	}
}
