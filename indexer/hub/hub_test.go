package hub_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/hub"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func receive(t *testing.T, ch <-chan hub.Event) hub.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return hub.Event{}
}

func availability(hotel uuid.UUID, nights indexer.Nights) hub.Event {
	return hub.Event{Kind: hub.AvailabilityChanged, HotelID: hotel, Nights: nights}
}

// A subscriber gets the events of its hotel whose nights overlap its range,
// Lagged and Resync always, and nothing else.
func TestSubscriptionFilters(t *testing.T) {
	t.Parallel()
	h := hub.New(hub.Opts{})
	hotel, other := uuid.New(), uuid.New()
	ch, cancel := h.Subscribe(t.Context(), hub.Filter{Kinds: []hub.Kind{hub.AvailabilityChanged}, HotelID: hotel,
		From: day("2027-06-10"), To: day("2027-06-12")})
	defer cancel()
	h.Publish(
		availability(other, indexer.Night(day("2027-06-10"))),
		availability(hotel, indexer.Night(day("2027-06-12"))), // after the range
		hub.Event{Kind: hub.BookingUpdated, HotelID: hotel, Nights: indexer.Night(day("2027-06-10"))},
		availability(hotel, indexer.NightsOf(day("2027-06-05"), day("2027-06-11"))),
		availability(hotel, indexer.Nights{}), // every night
		hub.Event{Kind: hub.Resync},
	)
	for _, want := range []hub.Event{
		availability(hotel, indexer.NightsOf(day("2027-06-05"), day("2027-06-11"))),
		availability(hotel, indexer.Nights{}),
		{Kind: hub.Resync},
	} {
		if got := receive(t, ch); got.Kind != want.Kind || got.HotelID != want.HotelID || got.Nights != want.Nights {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}
	select {
	case e := <-ch:
		t.Errorf("unexpected %+v", e)
	case <-time.After(50 * time.Millisecond):
	}
}

// A subscriber that does not read loses its oldest events, never blocks
// the hub or the others, and learns how many it lost before the rest.
func TestSlowSubscriberLagsAlone(t *testing.T) {
	t.Parallel()
	h := hub.New(hub.Opts{Buffer: 4})
	slow, cancelSlow := h.Subscribe(t.Context(), hub.Filter{})
	defer cancelSlow()
	fast, cancelFast := h.Subscribe(t.Context(), hub.Filter{})
	defer cancelFast()
	hotels := make([]uuid.UUID, 10)
	for i := range hotels {
		hotels[i] = uuid.New()
		h.Publish(availability(hotels[i], indexer.Nights{})) // returns at once, though slow never reads
		if e := receive(t, fast); e.Kind != hub.AvailabilityChanged || e.HotelID != hotels[i] {
			t.Fatalf("fast subscriber: event %d is %+v", i, e)
		}
	}
	// What the slow one reads now: the events it kept (its goroutine may
	// hold one it took before the buffer filled) and Lagged markers saying
	// how many it lost, before the events that follow the loss.
	var kept []uuid.UUID
	missed, markers := 0, 0
	for len(kept) == 0 || kept[len(kept)-1] != hotels[len(hotels)-1] {
		switch e := receive(t, slow); e.Kind {
		case hub.Lagged:
			missed += e.Missed
			markers++
		default:
			kept = append(kept, e.HotelID)
		}
	}
	if markers == 0 || missed+len(kept) != len(hotels) {
		t.Errorf("slow subscriber: %d Lagged markers, %d events missed, %d kept, of %d published", markers, missed, len(kept), len(hotels))
	}
	if len(kept) < 4 || !slices.Equal(kept[len(kept)-4:], hotels[len(hotels)-4:]) {
		t.Errorf("slow subscriber kept %d events, want the newest 4 (its buffer) last", len(kept))
	}
}

// Cancelling, or ending the subscription's context, closes its channel and
// removes it from the hub.
func TestUnsubscribeClosesTheChannel(t *testing.T) {
	t.Parallel()
	h := hub.New(hub.Opts{})
	ctx, end := context.WithCancel(t.Context())
	byContext, _ := h.Subscribe(ctx, hub.Filter{})
	byCancel, cancel := h.Subscribe(t.Context(), hub.Filter{})
	if h.Subscribers() != 2 {
		t.Fatalf("%d subscribers", h.Subscribers())
	}
	end()
	cancel()
	cancel() // twice is fine
	for _, ch := range []<-chan hub.Event{byContext, byCancel} {
		select {
		case _, ok := <-ch:
			if ok {
				t.Error("an event after unsubscribing")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("channel not closed")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.Subscribers() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if h.Subscribers() != 0 {
		t.Errorf("%d subscribers left", h.Subscribers())
	}
	h.Publish(availability(uuid.New(), indexer.Nights{})) // no one to hand it to: no panic
}

// A batch becomes one availabilityChanged per hotel, with the nights and
// room types of all its changes, and one bookingUpdated per booking.
func TestEventsOfABatch(t *testing.T) {
	t.Parallel()
	hotel, rt1, rt2, booking := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	at := time.Date(2027, 6, 10, 11, 0, 0, 0, time.UTC)
	ev := func(lsn indexer.LSN, table indexer.Table, key indexer.Key, nights indexer.Nights) indexer.Event {
		key.HotelID = hotel
		return indexer.Event{Table: table, Op: indexer.Update, Key: key, Nights: nights, CommitLSN: lsn, CommitTime: at}
	}
	got := hub.Events([]indexer.Event{
		ev(1, indexer.Inventory, indexer.Key{RoomTypeID: rt1}, indexer.NightsOf(day("2027-06-20"), day("2027-06-22"))),
		ev(1, indexer.Bookings, indexer.Key{ID: booking}, indexer.NightsOf(day("2027-06-20"), day("2027-06-22"))),
		ev(2, indexer.NightlyRates, indexer.Key{RoomTypeID: rt2}, indexer.Night(day("2027-06-25"))),
		ev(3, indexer.Bookings, indexer.Key{ID: booking}, indexer.NightsOf(day("2027-06-20"), day("2027-06-22"))),
	})
	if len(got) != 2 {
		t.Fatalf("events %+v", got)
	}
	rts := []uuid.UUID{rt1, rt2}
	indexer.SortIDs(rts)
	a := got[0]
	if a.Kind != hub.AvailabilityChanged || a.HotelID != hotel || !a.Rates || a.CommitLSN != 2 ||
		a.Nights != indexer.NightsOf(day("2027-06-20"), day("2027-06-26")) || !slices.Equal(a.RoomTypeIDs, rts) {
		t.Errorf("availability %+v", a)
	}
	b := got[1]
	if b.Kind != hub.BookingUpdated || b.BookingID != booking || b.HotelID != hotel || b.CommitLSN != 3 {
		t.Errorf("booking %+v", b)
	}
}
