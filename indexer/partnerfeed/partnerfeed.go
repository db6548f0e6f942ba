// Package partnerfeed tells partners (OTAs, channel managers, metasearch)
// about availability and rate changes, and about their own bookings: a consumer of the change stream that
// turns each committed change into signed webhook posts to the configured
// partner endpoints.
//
//	POST <partner url>
//	Content-Type: application/json
//	Idempotency-Key: <event id>
//	Staygraph-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> (Sign, Verify;
//	                     one v1 per secret while a rotation keeps Partner.PreviousSecrets)
//	{"id": "chg_0000000001A2B3C8_availability_<hotel>", "type": "availability.changed",
//	 "created": 1767225600, "data": {"hotel_id": "...", "room_type_ids": [...],
//	 "from": "2027-06-20", "to": "2027-06-22", "commit_lsn": "0/1A2B3C8", ...}}
//
// One event per transaction, hotel and kind (availability.changed,
// rates.changed): its id is derived from the transaction's commit LSN, so a
// replay of the stream after a restart produces the same ids, and receivers
// drop the ids they have handled. "to" is exclusive (the check-out of the
// last night); without from and to, every night changed.
//
// A partner that lists its API keys (Partner.APIKeys) also gets a
// booking.changed event for each new version of a booking made with them,
// with the booking's reference, status and version when the event was
// queued (changes that come together may be told as one, the latest):
//
//	{"id": "booking_<booking>_v3", "type": "booking.changed", "created": 1767225600,
//	 "data": {"hotel_id": "...", "booking_id": "...", "reference": "SG-…", "status": "CANCELLED",
//	 "version": 3, "from": "2027-06-20", "to": "2027-06-22", "committed_at": "…"}}
//
// The ids in data are the API's (hotel(id:), booking(id:), node(id:) take
// them as they are). Events are not ordered: each job is retried on its
// own, so an event that failed once can reach the partner after a later
// one. Receivers refetch what availability and rate events name, and keep a booking's
// highest version, ignoring a booking.changed with a lower data.version.
//
// Delivery is durable: Apply queues one River job per event and partner
// (in the partner's own queue, QueueOf) in one transaction and returns
// once it committed; the job posts and is retried with backoff until the
// partner answers 2xx, never before the Retry-After of a 429 or 503 answer
// (up to an hour).
// Jobs are unique per partner and event id while River keeps them (a day
// after completion by default), so most replays do not even post twice.
// A 3xx answer (redirects are not followed: a signed delivery goes to the
// configured URL only), or a 4xx other than 408 and 429, means the partner
// refused the event for good; after Opts.MaxAttempts the event is given up.
package partnerfeed

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed" // bookings.sql
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/notify"
)

// Queue is the River queue that held every partner's deliveries before
// each partner had its own (QueueOf); Queues keeps it worked, so deliveries
// queued by an earlier release still go out. Only clients that registered
// the worker (AddWorkers) may work these queues.
const Queue = "partner_webhooks"

// QueueOf is the River queue of one partner's deliveries. Each partner has
// its own, with its own workers: a partner that is slow or down holds back
// only its own deliveries, never another partner's.
func QueueOf(partner string) string {
	sum := sha256.Sum256([]byte(partner))
	return Queue + "_" + hex.EncodeToString(sum[:8])
}

// Queues is what a River client that works the feed configures: each
// partner's queue with workers workers, and Queue; and, with one worker,
// the queue of every partner no longer configured that still holds
// deliveries, so that they end cancelled ("no longer configured") instead
// of waiting for ever, to go out old to a partner configured again under
// that name.
func Queues(ctx context.Context, pool *pgxpool.Pool, partners []Partner, workers int) (map[string]river.QueueConfig, error) {
	workers = max(1, workers)
	out := map[string]river.QueueConfig{Queue: {MaxWorkers: workers}}
	for _, p := range partners {
		out[QueueOf(p.Name)] = river.QueueConfig{MaxWorkers: workers}
	}
	rows, err := pool.Query(ctx, `SELECT DISTINCT queue FROM river_job
		WHERE kind = $1 AND state IN ('available', 'pending', 'retryable', 'scheduled')`, DeliverArgs{}.Kind())
	if err != nil {
		return nil, fmt.Errorf("queues of partners' deliveries: %w", err)
	}
	queues, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("queues of partners' deliveries: %w", err)
	}
	for _, q := range queues {
		if _, ok := out[q]; !ok {
			out[q] = river.QueueConfig{MaxWorkers: 1}
		}
	}
	return out, nil
}

// Partner is an endpoint that receives the feed.
type Partner struct {
	// Name identifies the partner in jobs and logs; keep it stable.
	Name string `json:"name"`
	// URL is the endpoint, http or https.
	URL string `json:"url"`
	// Secret signs every post (Sign); the partner verifies with it (Verify).
	Secret string `json:"secret"`
	// PreviousSecrets sign every post too while a partner moves to a new
	// Secret: each post carries a signature by each, so the partner's
	// verification goes on with whichever secret it holds. Remove them once
	// the partner has switched.
	PreviousSecrets []string `json:"previous_secrets,omitempty"`
	// Hotels limits the feed to these hotels; empty means every hotel. The
	// file (LoadPartners) gives them as the API's ids or the database's.
	Hotels []uuid.UUID `json:"hotels,omitempty"`
	// APIKeys are the public prefixes of the partner's API keys (ApiKey.prefix;
	// a key reads sg_<prefix>_…): it also hears about every booking made
	// with one of them (booking.changed), whatever Hotels says.
	APIKeys []string `json:"api_keys,omitempty"`
}

func (p Partner) wants(hotel uuid.UUID) bool {
	return len(p.Hotels) == 0 || hotel == uuid.Nil || slices.Contains(p.Hotels, hotel)
}

// LoadPartners reads a JSON array of partners from path.
func LoadPartners(path string) ([]Partner, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read partner webhooks: %w", err)
	}
	// A misspelt field would silently switch a feature off (no api_keys:
	// no booking events), so fields the file format lacks are refused.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var file []struct {
		Partner
		Hotels []string `json:"hotels,omitempty"` // the API's ids, or the database's
	}
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("parse partner webhooks %s: %w", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("parse partner webhooks %s: more than one JSON value", path)
	}
	partners := make([]Partner, len(file))
	for i, f := range file {
		partners[i] = f.Partner
		for _, h := range f.Hotels {
			id, err := relay.Decode(relay.KindHotel, h)
			if err != nil {
				if id, err = uuid.Parse(h); err != nil {
					return nil, fmt.Errorf("parse partner webhooks %s: partner %s: %q is not a hotel's id", path, f.Name, h)
				}
			}
			partners[i].Hotels = append(partners[i].Hotels, id)
		}
	}
	return partners, nil
}

func validate(partners []Partner) (map[string]Partner, error) {
	byName := map[string]Partner{}
	keyOf := map[string]string{} // API key prefix -> partner
	for _, p := range partners {
		for _, k := range p.APIKeys {
			if other, ok := keyOf[k]; ok {
				return nil, fmt.Errorf("partners %s and %s both list API key %q", other, p.Name, k)
			}
			if !auth.IsAPIKeyPrefix(k) {
				return nil, fmt.Errorf("partner %s: %q is not an API key prefix (12 lowercase letters and digits, as ApiKey.prefix shows)", p.Name, k)
			}
			keyOf[k] = p.Name
		}
		u, err := url.Parse(p.URL)
		switch {
		case p.Name == "":
			return nil, errors.New("partner webhook without a name")
		case byName[p.Name].Name != "":
			return nil, fmt.Errorf("two partner webhooks are named %q", p.Name)
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return nil, fmt.Errorf("partner %s: url %q is not an http(s) URL", p.Name, p.URL)
		case len(p.Secret) < 16 || slices.ContainsFunc(p.PreviousSecrets, func(s string) bool { return len(s) < 16 }):
			return nil, fmt.Errorf("partner %s: the signing secrets must have at least 16 characters", p.Name)
		}
		byName[p.Name] = p
	}
	return byName, nil
}

// Opts tunes a Feed. Zero values take the defaults.
type Opts struct {
	// Client posts the events (default: one with Timeout).
	Client *http.Client
	// Timeout bounds one post (15s).
	Timeout time.Duration
	// MaxAttempts bounds the posts of one event (500: with Backoff's
	// default, waits of 10 days and 5 hours in all, 20 days and 19 hours
	// at most if the partner asks for an hour every time).
	MaxAttempts int
	// Backoff is the wait before attempt n+1 (default: 2^n seconds, at most 30 minutes).
	// A partner that answered 429 or 503 with a Retry-After waits at least
	// that long, up to notify.MaxRetryAfter (an hour).
	Backoff func(attempt int) time.Duration
	// Now is the clock signatures are timestamped with (time.Now).
	Now func() time.Time
	// RemovedPartnerGrace is how long an event to a partner this process
	// does not have waits for a process that has it, a minute at a time,
	// before it is cancelled as one to a partner no longer configured
	// (default an hour): while a deploy that adds a partner rolls out, a
	// process of the old configuration may work the new partner's queue.
	RemovedPartnerGrace time.Duration
	// Logger receives refused deliveries; nil discards.
	Logger *slog.Logger
}

// Feed is the partner webhook consumer of the change stream.
type Feed struct {
	pool        *pgxpool.Pool
	jobs        *river.Client[pgx.Tx]
	partners    map[string]Partner // by name
	sorted      []Partner          // by name, the order events are queued in
	byPrefix    map[string]Partner // by the prefixes of their API keys
	opts        Opts
	unknownKeys sync.Map      // API key prefixes already logged as matching no key
	pauses      notify.Pauses // partners' Retry-After, for all their events
}

var (
	_ indexer.Consumer    = (*Feed)(nil)
	_ indexer.Snapshotter = (*Feed)(nil)
)

// New returns a feed that queues deliveries with jobs (which needs no
// workers: any River client with AddWorkers and Queue runs them).
func New(pool *pgxpool.Pool, jobs *river.Client[pgx.Tx], partners []Partner, opts Opts) (*Feed, error) {
	byName, err := validate(partners)
	if err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.Client == nil {
		opts.Client = notify.NewClient(opts.Timeout)
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 500
	}
	if opts.Backoff == nil {
		opts.Backoff = func(attempt int) time.Duration {
			return min(time.Duration(1)<<min(attempt, 20)*time.Second, 30*time.Minute)
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RemovedPartnerGrace == 0 {
		opts.RemovedPartnerGrace = time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	f := &Feed{pool: pool, jobs: jobs, partners: byName, byPrefix: map[string]Partner{}, opts: opts}
	for _, p := range byName {
		f.sorted = append(f.sorted, p)
		for _, k := range p.APIKeys {
			f.byPrefix[k] = p
		}
	}
	slices.SortFunc(f.sorted, func(a, b Partner) int { return strings.Compare(a.Name, b.Name) })
	return f, nil
}

// Name implements indexer.Consumer.
func (f *Feed) Name() string { return "partner-webhooks" }

// Apply implements indexer.Consumer: one delivery job per change and
// partner, queued in one transaction.
func (f *Feed) Apply(ctx context.Context, batch []indexer.Event) error {
	var out []delivery
	for _, c := range indexer.Changes(batch) {
		e := EventOf(c)
		var to []Partner
		for _, p := range f.sorted {
			if p.wants(c.HotelID) {
				to = append(to, p)
			}
		}
		out = append(out, delivery{e, to})
	}
	bookings, err := f.bookingEvents(ctx, batch)
	if err != nil {
		return err
	}
	for _, e := range batch {
		if e.Op == indexer.Truncate { // every row of a table: partners refetch
			out = append(out, f.resync(e.CommitLSN, e.CommitTime))
			break
		}
	}
	return f.queue(ctx, append(out, bookings...))
}

// resync is the feed.resync event at lsn, to every partner.
func (f *Feed) resync(lsn indexer.LSN, at time.Time) delivery {
	return delivery{Event{ID: fmt.Sprintf("resync_%016X", uint64(lsn)), Type: TypeResync, Created: at.Unix(),
		Data: Data{CommitLSN: lsn.String(), CommittedAt: at.UTC()}}, f.sorted}
}

// delivery is an event and the partners it goes to.
type delivery struct {
	event Event
	to    []Partner
}

var (
	//go:embed bookings.sql
	bookingsSQL string
	//go:embed api_keys.sql
	apiKeysSQL string
)

// bookingEvents are the booking.changed events of a batch: one per booking
// made with a partner's API key, to that partner, with the booking as it
// is now. The event id is the booking's and its version's, so a write that
// left the version alone (a contact re-encrypted under a new key, a
// backfill) or a replay of the stream repeats an id the partner has, with
// the same content.
func (f *Feed) bookingEvents(ctx context.Context, batch []indexer.Event) ([]delivery, error) {
	if len(f.byPrefix) == 0 {
		return nil, nil
	}
	seen := map[uuid.UUID]bool{}
	var ids []uuid.UUID
	for _, e := range batch {
		if e.Table != indexer.Bookings || e.Op == indexer.Delete || e.Op == indexer.Truncate || seen[e.Key.ID] {
			continue
		}
		seen[e.Key.ID] = true
		ids = append(ids, e.Key.ID)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := f.pool.Query(ctx, apiKeysSQL, slices.Collect(maps.Keys(f.byPrefix)))
	if err != nil {
		return nil, fmt.Errorf("read partners' API keys: %w", err)
	}
	type apiKey struct { // the columns of api_keys.sql, in order
		ID     uuid.UUID
		Prefix string
	}
	keys, err := pgx.CollectRows(rows, pgx.RowToStructByPos[apiKey])
	if err != nil {
		return nil, fmt.Errorf("read partners' API keys: %w", err)
	}
	partnerOf := map[string]Partner{} // booking owner -> partner
	var owners []string
	found := map[string]bool{}
	for _, k := range keys {
		partnerOf[auth.APIKeyOwner(k.ID)] = f.byPrefix[k.Prefix]
		owners = append(owners, auth.APIKeyOwner(k.ID))
		found[k.Prefix] = true
	}
	for prefix, p := range f.byPrefix {
		if found[prefix] {
			continue
		}
		if _, warned := f.unknownKeys.LoadOrStore(prefix, true); !warned {
			f.opts.Logger.WarnContext(ctx, "a partner lists an API key prefix no key has: it hears about none of its bookings",
				"partner", p.Name, "prefix", prefix)
		}
	}
	rows, err = f.pool.Query(ctx, bookingsSQL, ids, owners)
	if err != nil {
		return nil, fmt.Errorf("read changed bookings: %w", err)
	}
	type booking struct { // the columns of bookings.sql, in order
		ID                       uuid.UUID
		Owner, Reference, Status string
		HotelID                  uuid.UUID
		CheckIn, CheckOut        time.Time
		Version                  int64
		RelocationRequired       bool
		UpdatedAt                time.Time // of this version
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[booking])
	if err != nil {
		return nil, fmt.Errorf("read changed bookings: %w", err)
	}
	var out []delivery
	for _, b := range list {
		// Everything in the body is the version's: the same id always
		// comes with the same body, whichever change or replay queued it.
		out = append(out, delivery{Event{ID: fmt.Sprintf("booking_%s_v%d", b.ID, b.Version), Type: TypeBooking,
			Created: b.UpdatedAt.Unix(), Data: Data{HotelID: relay.ID(relay.KindHotel, b.HotelID), BookingID: relay.ID(relay.KindBooking, b.ID), Reference: b.Reference,
				Status: b.Status, Version: b.Version, RelocationRequired: b.RelocationRequired,
				From: b.CheckIn.Format(time.DateOnly), To: b.CheckOut.Format(time.DateOnly),
				Tables: []indexer.Table{indexer.Bookings}, CommittedAt: b.UpdatedAt.UTC()}},
			[]Partner{partnerOf[b.Owner]}})
	}
	return out, nil
}

// Snapshot implements indexer.Snapshotter: the stream restarted from a
// snapshot (first start, or the slot was recreated after it was lost), so
// partners are told to refetch what they cache.
func (f *Feed) Snapshot(ctx context.Context, snap indexer.Snapshot) error {
	return f.queue(ctx, []delivery{f.resync(snap.LSN, f.opts.Now())})
}

func (f *Feed) queue(ctx context.Context, deliveries []delivery) error {
	var params []river.InsertManyParams
	for _, d := range deliveries {
		body, err := json.Marshal(d.event)
		if err != nil {
			return fmt.Errorf("encode partner event: %w", err)
		}
		for _, p := range d.to {
			params = append(params, river.InsertManyParams{Args: DeliverArgs{Partner: p.Name, EventID: d.event.ID, Body: string(body)},
				InsertOpts: &river.InsertOpts{MaxAttempts: f.opts.MaxAttempts}})
		}
	}
	if len(params) == 0 {
		return nil
	}
	tx, err := f.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin queueing partner events: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after commit
	if _, err := f.jobs.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("queue %d partner deliveries: %w", len(params), err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit partner deliveries: %w", err)
	}
	return nil
}
