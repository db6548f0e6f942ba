package indexer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/partnerfeed"
	"github.com/staygraph/staygraph/indexer/partnerfeed/partnerfeedtest"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
)

const partnerSecret = "whsec_test_partner_feed"

// partnerReceiver is a partner's webhook endpoint, as partners are told to
// write one: it checks the signature, handles each event id once and
// drops repeats. It loses its answer to the first delivery of every event
// (500 after handling it), so every event is delivered at least twice.
type partnerReceiver struct {
	*httptest.Server
	t *testing.T

	mu         sync.Mutex
	handled    map[string]partnerfeed.Event
	deliveries int
}

func newPartnerReceiver(t *testing.T) *partnerReceiver {
	r := &partnerReceiver{t: t, handled: map[string]partnerfeed.Event{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *partnerReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := partnerfeed.Verify([]byte(partnerSecret), req.Header.Get(partnerfeed.SignatureHeader), body, time.Minute); err != nil {
		r.t.Errorf("partner got a post that does not verify: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev partnerfeed.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || req.Header.Get("Idempotency-Key") != ev.ID {
		r.t.Errorf("partner got a malformed event (%v): %s", err, body)
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliveries++
	if _, seen := r.handled[ev.ID]; seen {
		w.WriteHeader(http.StatusOK) // a repeat: already handled
		return
	}
	r.handled[ev.ID] = ev
	http.Error(w, "lost answer", http.StatusInternalServerError)
}

func (r *partnerReceiver) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for id := range r.handled {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// newFeed is a partner feed to receiver, with a River client that delivers.
func newFeed(t *testing.T, b bundle, receiver *partnerReceiver) *partnerfeed.Feed {
	t.Helper()
	return newFeedWorkers(t, b, receiver.URL, 4)
}

// newFeedWorkers is a partner feed to url, with a River client that
// delivers with that many workers.
func newFeedWorkers(t *testing.T, b bundle, url string, maxWorkers int) *partnerfeed.Feed {
	t.Helper()
	return newFeedPartners(t, b, []partnerfeed.Partner{{Name: "acme", URL: url, Secret: partnerSecret}}, maxWorkers)
}

// newFeedPartners is a partner feed to partners, with a River client that
// delivers with that many workers.
func newFeedPartners(t *testing.T, b bundle, partners []partnerfeed.Partner, maxWorkers int) *partnerfeed.Feed {
	t.Helper()
	feed, _ := partnerfeedtest.Start(t, b.pool, partners, maxWorkers,
		partnerfeed.Opts{Backoff: func(int) time.Duration { return 100 * time.Millisecond }}, testLogger(t))
	return feed
}

// expectedEventIDs are the partner events of the changes a witness saw.
func expectedEventIDs(events []indexer.Event) []string {
	var ids []string
	for _, c := range indexer.Changes(events) {
		ids = append(ids, partnerfeed.EventID(c))
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}

// Replaying the stream after a restart is harmless for partners: every
// change reaches them at least once, each under the id it had the first
// time, so a receiver that drops repeats handles each change exactly once.
func TestPartnerFeedReplayIsHarmless(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	receiver := newPartnerReceiver(t)
	feed := newFeed(t, b, receiver)

	// A consumer that never applies holds the acknowledgement back, so the
	// restart below replays every change.
	stuck := newRecorder("stuck")
	defer stuck.closeGate()()
	witness := newRecorder("witness")
	r := start(t, b, indexer.Opts{}, feed, stuck, witness)
	b.cat.Hold(t, "montmartre/Double", 1, day("2027-06-20"), day("2027-06-22"))
	b.cat.Hold(t, "lumiere/Family", 1, day("2027-06-22"), day("2027-06-25"))
	execSQL(t, b, "UPDATE nightly_rates SET amount = 9900 WHERE rate_plan_id = $1 AND night BETWEEN '2027-07-01' AND '2027-07-03'",
		b.cat.RatePlans["london/Double"])
	witness.waitFor(t, "the rate change", func(e indexer.Event) bool { return e.Table == indexer.NightlyRates })
	want := expectedEventIDs(witness.events())
	if len(want) != 3 {
		t.Fatalf("expected 3 changes (two holds, one rate change), got %v", want)
	}
	waitDelivered(t, receiver, want)
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}

	// The restart replays the same transactions; the feed queues them again.
	replay := newRecorder("witness")
	start(t, b, indexer.Opts{}, feed, replay)
	replay.waitFor(t, "the replayed rate change", func(e indexer.Event) bool { return e.Table == indexer.NightlyRates })
	if got := expectedEventIDs(replay.events()); !slices.Equal(got, want) {
		t.Errorf("the replay yields events %v, the first run %v", got, want)
	}
	waitDelivered(t, receiver, want)
	eventually(t, 10*time.Second, func() (bool, string) {
		var pending int
		err := b.pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE queue = $1 AND state <> 'completed'", partnerfeed.QueueOf("acme")).Scan(&pending)
		return err == nil && pending == 0, fmt.Sprintf("%d deliveries pending (%v)", pending, err)
	})
	var jobs int
	if err := b.pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE queue = $1", partnerfeed.QueueOf("acme")).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != len(want)+1 { // and the feed's resync notice of its first start
		t.Errorf("%d delivery jobs for %d events and a resync: the replay queued duplicates", jobs, len(want))
	}
	got := receiver.ids()
	if len(got) != len(want)+1 {
		t.Errorf("partner handled %v, want %v and one resync", got, want)
	}
	for _, id := range want {
		if !slices.Contains(got, id) {
			t.Errorf("partner never handled %s", id)
		}
	}
	receiver.mu.Lock()
	defer receiver.mu.Unlock()
	t.Logf("partner handled %d events from %d deliveries: %v", len(receiver.handled), receiver.deliveries, got)
	if receiver.deliveries <= len(receiver.handled) {
		t.Errorf("%d deliveries of %d events: the receiver's lost answers were not retried", receiver.deliveries, len(receiver.handled))
	}
	for id, ev := range receiver.handled {
		if ev.Type == partnerfeed.TypeResync {
			continue
		}
		if ev.Data.HotelID == "" || ev.Data.CommitLSN == "" || ev.Created == 0 || ev.ID != id {
			t.Errorf("event %s: %+v", id, ev)
		}
	}
	montmartre := receiver.handled[want[slices.IndexFunc(want, func(id string) bool {
		ev := receiver.handled[id]
		return ev.Data.HotelID == relay.ID(relay.KindHotel, b.cat.Hotels["montmartre"])
	})]]
	if montmartre.Type != partnerfeed.TypeAvailability || montmartre.Data.From != "2027-06-20" || montmartre.Data.To != "2027-06-22" {
		t.Errorf("Montmartre's hold: %+v", montmartre)
	}
}

func waitDelivered(t *testing.T, receiver *partnerReceiver, want []string) {
	t.Helper()
	eventually(t, 15*time.Second, func() (bool, string) {
		got := receiver.ids()
		for _, id := range want {
			if !slices.Contains(got, id) {
				return false, fmt.Sprintf("partner handled %v, want %v", got, want)
			}
		}
		return true, ""
	})
}

// bookingEvents are the booking.changed events a receiver handled, by id.
func (r *partnerReceiver) bookingEvents() map[string]partnerfeed.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]partnerfeed.Event{}
	for id, e := range r.handled {
		if e.Type == partnerfeed.TypeBooking {
			out[id] = e
		}
	}
	return out
}

// Each partner hears about the bookings made with its own API keys — held,
// then cancelled — and about no one else's: not a guest's, not another
// partner's. A write that leaves a booking's version alone tells nothing.
func TestPartnerFeedTellsAPartnerAboutItsBookings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	keys := auth.NewAPIKeys(b.pool)
	admin := auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"})
	partner := func(name string) (prefix string, _ context.Context) { // a real key, as the API verifies it
		key, secret, err := keys.Create(admin, name, []string{auth.ScopeBook, auth.ScopeReadBookings})
		if err != nil {
			t.Fatal(err)
		}
		p, err := keys.Verify(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		return key.Prefix, auth.WithPrincipal(ctx, p)
	}
	acmeKey, asAcme := partner("acme")
	globexKey, asGlobex := partner("globex")
	acme, globex := newPartnerReceiver(t), newPartnerReceiver(t)
	feed := newFeedPartners(t, b, []partnerfeed.Partner{
		{Name: "acme", URL: acme.URL, Secret: partnerSecret, APIKeys: []string{acmeKey}},
		{Name: "globex", URL: globex.URL, Secret: partnerSecret, APIKeys: []string{globexKey}},
	}, 4)
	r := start(t, b, indexer.Opts{}, feed)
	defer func() {
		if err := r.stop(); err != nil {
			t.Error(err)
		}
	}()

	hold := func(ctx context.Context, key string) booking.Booking { // key: "hotel/room type"
		in := booking.HoldInput{IdempotencyKey: key, HotelID: b.cat.Hotels[strings.Split(key, "/")[0]], CheckIn: day("2027-06-20"),
			CheckOut: day("2027-06-22"), Contact: booking.Contact{Email: "guest@example.com"},
			Rooms: []booking.RoomRequest{{RatePlanID: b.cat.RatePlans[key], Party: booking.Party{Adults: 1},
				Guests: []booking.GuestName{{GivenName: "Sam", FamilyName: "Guest"}}}}}
		h, err := b.cat.Booking.Hold(ctx, in)
		if err != nil {
			t.Fatalf("hold %s: %v", key, err)
		}
		return h
	}
	id := func(bk booking.Booking) string { return fmt.Sprintf("booking_%s_v%d", bk.ID, bk.Version) }
	held := hold(asAcme, "montmartre/Double")
	theirs := hold(asGlobex, "lumiere/Family")
	hold(auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleGuest, Subject: "traveller"}), "london/Double")
	waitDelivered(t, acme, []string{id(held)})
	cancelled, _, err := b.cat.Booking.Cancel(asAcme, booking.CancelInput{IdempotencyKey: "cancel", BookingID: held.ID, Reason: "plans changed"})
	if err != nil {
		t.Fatal(err)
	}
	// rewritten in place, version unchanged (as rotate-keys re-encrypts contacts)
	execSQL(t, b, "UPDATE bookings SET contact_email_enc = contact_email_enc WHERE id = $1", held.ID)
	later := hold(asAcme, "london/Double")

	waitDelivered(t, acme, []string{id(held), id(cancelled), id(later)})
	waitDelivered(t, globex, []string{id(theirs)})
	for name, want := range map[*partnerReceiver][]string{acme: {id(held), id(cancelled), id(later)}, globex: {id(theirs)}} {
		got := slices.Sorted(maps.Keys(name.bookingEvents()))
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("a partner got booking events %v, want %v", got, want)
		}
	}
	var queued int // the write that left the version alone queued nothing
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM river_job
		WHERE kind = 'partnerfeed.deliver' AND args->>'partner' = 'acme' AND args->>'event_id' LIKE 'booking%'`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if queued != 3 {
		t.Errorf("%d booking events queued for acme, want 3", queued)
	}
	// Once the queue has forgotten the deliveries, a write that leaves the
	// version alone queues the same event again: the same id, the same body.
	execSQL(t, b, "DELETE FROM river_job WHERE kind = 'partnerfeed.deliver' AND state = 'completed'")
	execSQL(t, b, "UPDATE bookings SET contact_email_enc = contact_email_enc WHERE id = $1", held.ID)
	marker := hold(asAcme, "tokyo/Double")
	waitDelivered(t, acme, []string{id(marker)})
	first, err := json.Marshal(acme.bookingEvents()[id(cancelled)])
	if err != nil {
		t.Fatal(err)
	}
	var again string
	if err := b.pool.QueryRow(ctx, "SELECT args->>'body' FROM river_job WHERE args->>'event_id' = $1", id(cancelled)).Scan(&again); err != nil {
		t.Fatalf("the version's event was not queued again: %v", err)
	}
	if again != string(first) {
		t.Fatalf("the same id with another body:\n%s\n%s", first, again)
	}
	e := acme.bookingEvents()[id(cancelled)].Data
	if e.BookingID != relay.ID(relay.KindBooking, held.ID) || e.Reference != held.Reference || e.Status != "CANCELLED" || e.Version != cancelled.Version ||
		e.From != "2027-06-20" || e.To != "2027-06-22" || e.HotelID != relay.ID(relay.KindHotel, b.cat.Hotels["montmartre"]) {
		t.Fatalf("the cancellation's event says %+v", e)
	}
}
