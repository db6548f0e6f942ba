package partnerfeed_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/partnerfeed"
)

const secret = "whsec_unit_test_secret"

type received struct {
	header http.Header
	body   []byte
}

// partner is an endpoint answering status to every post.
func partner(t *testing.T, status int) (*httptest.Server, chan received) {
	got := make(chan received, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{header: r.Header.Clone(), body: body}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func newFeed(t *testing.T, url string) *partnerfeed.Feed {
	t.Helper()
	feed, err := partnerfeed.New(nil, nil, []partnerfeed.Partner{{Name: "acme", URL: url, Secret: secret}}, partnerfeed.Opts{})
	if err != nil {
		t.Fatal(err)
	}
	return feed
}

func work(t *testing.T, feed *partnerfeed.Feed, args partnerfeed.DeliverArgs) error {
	t.Helper()
	return partnerfeed.NewDeliverWorker(feed).Work(t.Context(), &river.Job[partnerfeed.DeliverArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: args})
}

func change() indexer.Change {
	return indexer.Change{Kind: indexer.AvailabilityChange, HotelID: uuid.MustParse("01a21468-cb5f-7ec6-be3d-3fd0faf56633"),
		Nights: indexer.NightsOf(time.Date(2027, 6, 20, 0, 0, 0, 0, time.UTC), time.Date(2027, 6, 22, 0, 0, 0, 0, time.UTC)),
		Tables: []indexer.Table{indexer.Inventory}, CommitLSN: 0x1FB4560, CommitTime: time.Unix(1800000000, 0)}
}

// The id of a change's event is derived from its transaction's commit
// LSN: a replay yields the same id. The ids in its data are the API's: a
// partner refetches with them as they are.
func TestEventOfAChange(t *testing.T) {
	t.Parallel()
	e := partnerfeed.EventOf(change())
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"chg_0000000001FB4560_availability_01a21468-cb5f-7ec6-be3d-3fd0faf56633","type":"availability.changed",` +
		`"created":1800000000,"data":{"hotel_id":"SG90ZWw6MDFhMjE0NjgtY2I1Zi03ZWM2LWJlM2QtM2ZkMGZhZjU2NjMz","from":"2027-06-20","to":"2027-06-22",` +
		`"tables":["inventory"],"commit_lsn":"0/1FB4560","committed_at":"2027-01-15T08:00:00Z"}}`
	if string(b) != want {
		t.Errorf("event\n got %s\nwant %s", b, want)
	}
	c := change()
	c.Kind, c.Nights = indexer.RateChange, indexer.Nights{}
	if e := partnerfeed.EventOf(c); e.Type != partnerfeed.TypeRates || e.Data.From != "" || e.ID == partnerfeed.EventOf(change()).ID {
		t.Errorf("rates of every night: %+v", e)
	}
}

// A delivery is a signed POST of the queued body, byte for byte, with the
// event id as idempotency key.
func TestDeliverySignsTheEvent(t *testing.T) {
	t.Parallel()
	srv, got := partner(t, http.StatusNoContent)
	feed := newFeed(t, srv.URL+"/hooks")
	body := `{"id":"chg_1","type":"availability.changed"}`
	if err := work(t, feed, partnerfeed.DeliverArgs{Partner: "acme", EventID: "chg_1", Body: body}); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if string(r.body) != body || r.header.Get("Idempotency-Key") != "chg_1" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("post %s %v", r.body, r.header)
	}
	if err := partnerfeed.Verify([]byte(secret), r.header.Get(partnerfeed.SignatureHeader), r.body, time.Minute); err != nil {
		t.Error(err)
	}
}

// While a partner moves to a new secret, posts are signed by the new one
// and the previous ones: its receiver verifies with whichever it holds.
func TestDeliveryDuringASecretRotation(t *testing.T) {
	t.Parallel()
	srv, got := partner(t, http.StatusNoContent)
	const next = "whsec_the_next_secret_0123"
	feed, err := partnerfeed.New(nil, nil, []partnerfeed.Partner{{Name: "acme", URL: srv.URL, Secret: next, PreviousSecrets: []string{secret}}}, partnerfeed.Opts{})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"id":"chg_2","type":"availability.changed"}`
	if err := work(t, feed, partnerfeed.DeliverArgs{Partner: "acme", EventID: "chg_2", Body: body}); err != nil {
		t.Fatal(err)
	}
	r := <-got
	for _, key := range []string{secret, next} {
		if err := partnerfeed.Verify([]byte(key), r.header.Get(partnerfeed.SignatureHeader), r.body, time.Minute); err != nil {
			t.Errorf("verified with %s: %v", key, err)
		}
	}
	if _, err := partnerfeed.New(nil, nil, []partnerfeed.Partner{{Name: "acme", URL: srv.URL, Secret: next, PreviousSecrets: []string{"short"}}}, partnerfeed.Opts{}); err == nil {
		t.Error("a previous secret of 5 characters was accepted")
	}
}

// 5xx is retried (an error); 4xx but 408 and 429 is a refusal for good
// (the job is cancelled); so is a partner no longer configured, once the
// event is older than RemovedPartnerGrace: before, it waits for a process
// that has the partner (a deploy that adds it may be rolling out).
func TestDeliveryOutcomes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status int
		cancel bool
	}{{500, false}, {503, false}, {429, false}, {408, false}, {400, true}, {410, true}} {
		srv, _ := partner(t, c.status)
		feed := newFeed(t, srv.URL)
		err := work(t, feed, partnerfeed.DeliverArgs{Partner: "acme", EventID: "chg_1", Body: "{}"})
		var cancelled *river.JobCancelError
		if err == nil || errors.As(err, &cancelled) != c.cancel {
			t.Errorf("status %d: %v (cancelled: %v, want %v)", c.status, err, errors.As(err, &cancelled), c.cancel)
		}
	}
	srv, _ := partner(t, 200)
	feed := newFeed(t, srv.URL)
	var cancelled *river.JobCancelError
	if err := work(t, feed, partnerfeed.DeliverArgs{Partner: "gone", EventID: "chg_1", Body: "{}"}); !errors.As(err, &cancelled) {
		t.Errorf("unknown partner: %v", err)
	}
	young := &river.Job[partnerfeed.DeliverArgs]{JobRow: &rivertype.JobRow{Attempt: 1, CreatedAt: time.Now().Add(-50 * time.Minute)},
		Args: partnerfeed.DeliverArgs{Partner: "new", EventID: "chg_2", Body: "{}"}}
	var snoozed *river.JobSnoozeError
	if err := partnerfeed.NewDeliverWorker(feed).Work(t.Context(), young); !errors.As(err, &snoozed) || snoozed.Duration != time.Minute {
		t.Errorf("an event of 50 minutes ago to a partner this process does not have: %v, want it snoozed a minute", err)
	}
}

func TestLoadPartners(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "partners.json")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// a hotel by the API's id (as events name it) or by the database's
	hotel, other := uuid.MustParse("01a21468-cb5f-7ec6-be3d-3fd0faf56633"), uuid.MustParse("01a21468-cb5f-7ec6-be3d-3fd0faf56634")
	write(`[{"name": "acme", "url": "https://acme.example/hooks", "secret": "whsec_0123456789abcdef", "hotels": ["` + hotel.String() +
		`", "` + relay.ID(relay.KindHotel, other) + `"], "api_keys": ["k3y9xq2m4p7w"]}]`)
	partners, err := partnerfeed.LoadPartners(path)
	if err != nil || len(partners) != 1 || !slices.Equal(partners[0].Hotels, []uuid.UUID{hotel, other}) || fmt.Sprint(partners[0].APIKeys) != "[k3y9xq2m4p7w]" {
		t.Fatalf("%+v %v", partners, err)
	}
	if _, err := partnerfeed.New(nil, nil, partners, partnerfeed.Opts{}); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{
		`[{"name": "acme", "url": "ftp://acme.example", "secret": "whsec_0123456789abcdef"}]`,
		`[{"name": "acme", "url": "https://acme.example", "secret": "short"}]`,
		`[{"name": "", "url": "https://acme.example", "secret": "whsec_0123456789abcdef"}]`,
		`[{"name": "a", "url": "https://a.example", "secret": "whsec_0123456789abcdef"}, {"name": "a", "url": "https://b.example", "secret": "whsec_0123456789abcdef"}]`,
		`[{"name": "a", "url": "https://a.example", "secret": "whsec_0123456789abcdef", "api_keys": ["k3y9xq2m4p7w"]}, {"name": "b", "url": "https://b.example", "secret": "whsec_0123456789abcdef", "api_keys": ["k3y9xq2m4p7w"]}]`,
		`[{"name": "a", "url": "https://a.example", "secret": "whsec_0123456789abcdef", "api_keys": [""]}]`,
		`[{"name": "a", "url": "https://a.example", "secret": "whsec_0123456789abcdef", "api_keys": ["sg_k3y9xq2m4p7w_c2VjcmV0"]}]`,
		// a misspelt field would switch booking events off without a word
		`[{"name": "a", "url": "https://a.example", "secret": "whsec_0123456789abcdef", "apikeys": ["k3y9xq2m4p7w"]}]`,
		`[{"name": "a", "url": "https://a.example", "secret": "whsec_0123456789abcdef"}] []`,
		`[{"name": "a", "url": "https://a.example", "secret": "whsec_0123456789abcdef", "hotels": ["paris"]}]`,
		`[{"name": "a", "url": "https://a.example", "secret": "whsec_0123456789abcdef", "hotels": ["` + relay.ID(relay.KindBooking, hotel) + `"]}]`,
	} {
		write(bad)
		partners, err := partnerfeed.LoadPartners(path)
		if err == nil {
			_, err = partnerfeed.New(nil, nil, partners, partnerfeed.Opts{})
		}
		if err == nil || !strings.Contains(err.Error(), "partner") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// What a failed delivery returns is what River stores with the job and
// logs: the partner's status code or why it could not be reached, never
// its URL (a token in the query, a user and password), its address or its
// answer's body.
func TestDeliveryErrorsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	secrets := []string{"hook-TOKEN-77", "token=", "acme-user", "hook-PASSWORD", "/hooks", "127.0.0.1"}
	secretURL := func(hostPort string) string {
		return "http://acme-user:hook-PASSWORD@" + hostPort + "/hooks?token=hook-TOKEN-77"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln.Addr().String()
	ln.Close()
	noisy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `panic: db at 10.1.1.9:5432 rejected user ACME-DB-SECRET`)
	}))
	t.Cleanup(noisy.Close)
	for _, c := range []struct {
		url, want string
		extra     []string
	}{
		{secretURL(gone), "unreachable (connection refused)", []string{gone}},
		{secretURL(strings.TrimPrefix(noisy.URL, "http://")), "answered 500 Internal Server Error", []string{"ACME-DB-SECRET", "10.1.1.9", "panic"}},
	} {
		err := work(t, newFeed(t, c.url), partnerfeed.DeliverArgs{Partner: "acme", EventID: "chg_1", Body: "{}"})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "acme") {
			t.Errorf("delivery error %v, want it to name the partner and say %q", err, c.want)
			continue
		}
		for _, s := range append(secrets, c.extra...) {
			if strings.Contains(err.Error(), s) {
				t.Errorf("delivery error %q holds %q", err, s)
			}
		}
	}
}

// A partner refetches what an event names with the API: its ids are ones
// hotel(id:) and node(id:) take as they are, not the database's keys.
func TestEventIdsAreTheAPIsIds(t *testing.T) {
	t.Parallel()
	c := change()
	c.RoomTypeIDs = []uuid.UUID{uuid.MustParse("01a21468-cb5f-7ec6-be3d-3fd0faf56634")}
	e := partnerfeed.EventOf(c)
	if _, err := relay.Decode(relay.KindHotel, e.Data.HotelID, "id"); err != nil {
		t.Errorf("the event's hotel_id %q is refused by hotel(id:): %v", e.Data.HotelID, err)
	}
	if len(e.Data.RoomTypeIDs) != 1 {
		t.Fatalf("room types %q, want one", e.Data.RoomTypeIDs)
	}
	if id, err := relay.Decode(relay.KindRoomType, e.Data.RoomTypeIDs[0], "id"); err != nil || id != c.RoomTypeIDs[0] {
		t.Errorf("the event's room type %q is %v, %v; want the API's id of %v", e.Data.RoomTypeIDs[0], id, err, c.RoomTypeIDs[0])
	}
}
