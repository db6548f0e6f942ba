package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/staygraph/staygraph/graph/model"
	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/indexer/hub"
	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/server"
)

// EventSource is the live change feed subscriptions read (*hub.Hub).
type EventSource interface {
	Subscribe(ctx context.Context, f hub.Filter) (<-chan hub.Event, func())
}

// CodeUnavailable says a feature is switched off on this server.
const CodeUnavailable apperr.Code = "UNAVAILABLE"

// errLiveOff answers subscriptions on a server without the change stream.
var errLiveOff = apperr.New(CodeUnavailable, "live updates are not enabled on this server (run with --indexer)")

// CodeLagged ends a subscription whose subscriber fell too far behind.
const CodeLagged = "LAGGED"

// KeepAlivePingInterval is how often a subscription socket is pinged; one
// whose client has not answered the last ping within twice that closes.
const KeepAlivePingInterval = 15 * time.Second

// socketInitTimeout is how long a new socket may take to send
// connection_init before it is closed (4408).
const socketInitTimeout = 10 * time.Second

// MaxSubscriptionsPerCaller bounds the live subscriptions of one caller (an
// API key, or a role and subject) on all its sockets of this server.
const MaxSubscriptionsPerCaller = 100

// CodeTooManySubscriptions refuses a subscription over
// MaxSubscriptionsPerCaller.
const CodeTooManySubscriptions apperr.Code = "TOO_MANY_SUBSCRIPTIONS"

// MaxSocketsPerCaller bounds the open subscription sockets of one caller on
// this server: each holds a connection and goroutines, subscribed or not.
const MaxSocketsPerCaller = MaxSubscriptionsPerCaller

// maxSubscriptionNights bounds the range availabilityChanged watches.
const maxSubscriptionNights = 366

// maxSocketMessage bounds a message on the subscription socket, as the HTTP
// body limit bounds a request.
const maxSocketMessage = 256 << 10

// DefaultCredentialCheckInterval is how often an open subscription socket
// checks that its API key was not revoked; a JWT's socket closes when it
// expires.
const DefaultCredentialCheckInterval = time.Minute

// CodeSubscriptionsOnly refuses a query or mutation sent on the socket.
const CodeSubscriptionsOnly = "SUBSCRIPTIONS_ONLY"

// websocketTransport serves subscriptions over graphql-transport-ws.
// The connection_init payload may carry "Authorization": "Bearer <token>"
// (JWT or API key); a bad one closes the connection (4403, the reason
// saying why). Without it the connection keeps the principal of the
// upgrade request, if any. The socket closes when that credential expires
// or is revoked (4403 too: clients reconnect after it, with a fresh
// credential), and serves subscriptions only (transportOperations).
//
// Pages of the API's own host and of the origins allowed may open it, as
// they may call the API over HTTP (socketTransport).
//
// Each operation sent on it costs its caller a token of its rate limit
// (transportOperations), a caller holds at most
// MaxSubscriptionsPerCaller at once, and a violation of the protocol closes
// the socket with its close code (socketConn). Errors that end a
// subscription go through present, as the handler's other errors do.
func websocketTransport(authn *auth.Authenticator, checkEvery time.Duration, present graphql.ErrorPresenterFunc, origins server.Origins) graphql.Transport {
	var sockets slots
	readLimit := int64(maxSocketMessage)
	accept := transport.CoderWebsocketImplementation{
		AcceptOptions: websocket.AcceptOptions{InsecureSkipVerify: true}, // socketTransport checks the origin
	}
	return socketTransport{origins: origins, Websocket: transport.Websocket{
		Implementation:        socketConns{CoderWebsocketImplementation: accept, initTimeout: socketInitTimeout},
		KeepAlivePingInterval: KeepAlivePingInterval, // graphql-ws
		PingPongInterval:      KeepAlivePingInterval, // graphql-transport-ws
		PayloadReadLimit:      &readLimit,
		CloseFunc: func(ctx context.Context, _ int) {
			if release, ok := ctx.Value(socketReleaseKey{}).(func()); ok {
				release()
			}
		},
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			ctx = context.WithValue(ctx, onSocketKey{}, true)
			ctx = context.WithValue(ctx, presenterKey{}, present)
			principal, err := initPrincipal(ctx, authn, p)
			if err != nil {
				// A refused connection_init closes the socket with 4403
				// (graphql-transport-ws: Forbidden), saying why; 4429 when
				// the address sent too many bad credentials to be checked.
				code := 4403
				if limited := (*server.RateLimitedError)(nil); errors.As(err, &limited) {
					code = 4429
				}
				ctx = transport.AppendCloseReason(ctx, closeReason(err.Error()))
				return transport.WithWebsocketCloseCode(ctx, code), nil, err
			}
			if principal != nil {
				ctx = auth.WithPrincipal(ctx, principal)
			}
			// Every subscription needs a credential: a socket without one
			// could only hold a connection open.
			if auth.FromContext(ctx) == nil {
				err := errors.New("unauthenticated: subscriptions need a credential (Authorization or X-API-Key in connection_init)")
				ctx = transport.AppendCloseReason(ctx, err.Error())
				return transport.WithWebsocketCloseCode(ctx, 4403), nil, err
			}
			release, ok := sockets.take(ctx, MaxSocketsPerCaller)
			if !ok {
				err := fmt.Errorf("too many sockets: at most %d open per caller", MaxSocketsPerCaller)
				ctx = transport.AppendCloseReason(ctx, err.Error())
				return transport.WithWebsocketCloseCode(ctx, 4429), nil, err
			}
			ctx = context.WithValue(ctx, socketReleaseKey{}, release)
			return whileValid(ctx, authn, auth.FromContext(ctx), checkEvery, func(reason string) {
				closeSocket(ctx, 4403, reason)
			}), nil, nil
		},
	}}
}

// initPrincipal authenticates the credential of a connection_init payload
// as the API reads the same headers over HTTP (auth.Authenticator):
// "Authorization": "Bearer <token>", or a partner's key as "X-API-Key"
// (names in any case); nil without one.
func initPrincipal(ctx context.Context, authn *auth.Authenticator, p transport.InitPayload) (*auth.Principal, error) {
	h := http.Header{}
	for name, v := range p {
		if v == nil || !strings.EqualFold(name, "Authorization") && !strings.EqualFold(name, auth.APIKeyHeader) {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("unauthenticated: %s must be a string", name)
		}
		h.Add(name, s)
	}
	if len(h) == 0 {
		return nil, nil
	}
	if authn == nil {
		return nil, errors.New("authentication is not available on this connection")
	}
	// A bad credential costs the socket's address as it would over HTTP
	// (server.AuthFailureLimit), and a suspect address pays before the check.
	checked := func(bool) {}
	if gate := server.CredentialGateOf(ctx); gate != nil {
		var wait time.Duration
		var ok bool
		if checked, wait, ok = gate.Admit(server.Credential(h)); !ok {
			return nil, &server.RateLimitedError{RetryAfter: wait}
		}
	}
	principal, err := authn.AuthenticateHeader(ctx, h)
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Code == apperr.Unauthenticated {
			checked(false)
			return nil, fmt.Errorf("unauthenticated: %s", ae.Message)
		}
		return nil, errors.New("could not authenticate the connection")
	}
	checked(true)
	return principal, nil
}

// whileValid returns ctx cancelled when p's credential stops being valid:
// at a JWT's expiry, or at the first check that finds its API key revoked,
// after calling lapsed with the reason. A cancelled connection context
// closes the socket, ending its subscriptions; the client reconnects with a
// fresh credential.
func whileValid(ctx context.Context, authn *auth.Authenticator, p *auth.Principal, checkEvery time.Duration, lapsed func(reason string)) context.Context {
	if p == nil || (p.Expires.IsZero() && (p.APIKeyID == uuid.Nil || authn == nil)) {
		return ctx
	}
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		defer cancel()
		var expired, recheck <-chan time.Time
		if !p.Expires.IsZero() {
			t := time.NewTimer(time.Until(p.Expires))
			defer t.Stop()
			expired = t.C
		}
		if p.APIKeyID != uuid.Nil && authn != nil {
			t := time.NewTicker(checkEvery)
			defer t.Stop()
			recheck = t.C
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-expired:
				lapsed("unauthenticated: token expired")
				return
			case <-recheck:
				// A database failure is no verdict: check again later.
				if ae, ok := apperr.As(authn.StillValid(ctx, p)); ok && ae.Code == apperr.Unauthenticated {
					lapsed("unauthenticated: " + ae.Message)
					return
				}
			}
		}
	}()
	return ctx
}

// onSocketKey marks the context of operations that came over the socket.
type onSocketKey struct{}

// presenterKey holds the socket's error presenter.
type presenterKey struct{}

// endWith ends a subscription with err: the client receives an error
// message for it (graphql-transport-ws "error") instead of "complete".
func endWith(ctx context.Context, err *gqlerror.Error) {
	transport.AddSubscriptionError(ctx, err)
}

func laggedError(missed int) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf("too slow: %d updates were dropped; refetch and subscribe again", missed),
		Extensions: map[string]any{"code": CodeLagged},
	}
}

// presented is err as the handler's error presenter shows it (an internal
// error logged with its cause and the request id, and answered as
// "internal error" with that id).
func presented(ctx context.Context, err error) *gqlerror.Error {
	present, _ := ctx.Value(presenterKey{}).(graphql.ErrorPresenterFunc)
	if present == nil {
		present = graphql.DefaultErrorPresenter
	}
	return present(ctx, err)
}

// slots counts what each caller holds at once: its live subscriptions, or
// its open sockets.
type slots struct {
	mu    sync.Mutex
	live  map[string]int
	freed chan struct{} // closed (and replaced) when a slot is released
}

// slotWait is how long take waits for a caller at its limit to release a
// slot: what a client ended a moment ago (a socket it closed, a
// subscription it completed) is released by another goroutine, which may
// not have run yet when the client's next request arrives.
const slotWait = 2 * time.Second

// take holds one of ctx's caller's max slots until release is called; ok
// is false when the caller holds max for slotWait.
func (s *slots) take(ctx context.Context, max int) (release func(), ok bool) {
	key := server.PrincipalKey(auth.FromContext(ctx))
	var timeout <-chan time.Time // set once the caller has to wait
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.live[key] >= max {
		if s.freed == nil {
			s.freed = make(chan struct{})
		}
		if timeout == nil {
			t := time.NewTimer(slotWait)
			defer t.Stop()
			timeout = t.C
		}
		freed := s.freed
		s.mu.Unlock()
		select {
		case <-freed:
		case <-timeout:
			s.mu.Lock()
			return nil, false
		case <-ctx.Done():
			s.mu.Lock()
			return nil, false
		}
		s.mu.Lock()
	}
	if s.live == nil {
		s.live = map[string]int{}
	}
	s.live[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.live[key]--; s.live[key] == 0 {
				delete(s.live, key)
			}
			if s.freed != nil {
				close(s.freed)
				s.freed = nil
			}
		})
	}, true
}

// watch subscribes to the events f lets through, in one of the caller's
// slots; cancel ends it and frees the slot.
func (r *Resolver) watch(ctx context.Context, f hub.Filter) (<-chan hub.Event, func(), error) {
	release, ok := r.subscriptions.take(ctx, MaxSubscriptionsPerCaller)
	if !ok {
		return nil, nil, apperr.New(CodeTooManySubscriptions, fmt.Sprintf(
			"at most %d live subscriptions per caller: complete some first", MaxSubscriptionsPerCaller))
	}
	events, cancel := r.Live.Subscribe(ctx, f)
	return events, func() { cancel(); release() }, nil
}

// bookingUpdated streams the booking id, re-read through the booking
// service at each event, so every payload is the caller's current view.
// Resync also re-reads it; Lagged ends the subscription with LAGGED.
func (r *Resolver) bookingUpdated(ctx context.Context, id string) (<-chan booking.Booking, error) {
	if r.Live == nil {
		return nil, errLiveOff
	}
	uid, err := relay.Decode(relay.KindBooking, id, "id")
	if err != nil {
		return nil, err
	}
	if _, err := r.Reservations.Booking(ctx, uid); err != nil {
		return nil, err // NOT_FOUND for bookings the caller may not read
	}
	events, cancel, err := r.watch(ctx, hub.Filter{Kinds: []hub.Kind{hub.BookingUpdated}, BookingID: uid})
	if err != nil {
		return nil, err
	}
	return forward(ctx, events, cancel, func(hub.Event) (booking.Booking, error) {
		return r.Reservations.Booking(ctx, uid)
	}), nil
}

// forward turns a subscription's hub events into payloads on the returned
// channel until ctx ends: Lagged ends it with LAGGED, a payload that cannot
// be made with that error; cancel is called when it stops.
func forward[T any](ctx context.Context, events <-chan hub.Event, cancel func(), payload func(hub.Event) (T, error)) <-chan T {
	out := make(chan T)
	go func() {
		defer close(out)
		defer cancel()
		for e := range events {
			if e.Kind == hub.Lagged {
				endWith(ctx, laggedError(e.Missed))
				return
			}
			p, err := payload(e)
			if err != nil {
				if ctx.Err() == nil {
					endWith(ctx, presented(ctx, err))
				}
				return
			}
			select {
			case out <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// mayWatchAvailability: partners with scope search or webhooks, the
// hotel's staff and admins.
func mayWatchAvailability(ctx context.Context, hotelID uuid.UUID) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	switch {
	case p.CanManageHotel(hotelID):
		return nil
	case p.Role == auth.RolePartner && (p.HasScope(auth.ScopeSearch) || p.HasScope(auth.ScopeWebhooks)):
		return nil
	case p.Role == auth.RolePartner:
		return apperr.New(apperr.Forbidden, fmt.Sprintf("availability updates need an API key with the scope %s or %s", auth.ScopeSearch, auth.ScopeWebhooks))
	}
	return apperr.New(apperr.Forbidden, "availability updates are for partners, the hotel's staff and admins")
}

// availabilityChanged streams changes of the hotel's availability on
// nights in [from, to). Resync is sent as a change of every room type and
// night (refetch); Lagged ends the subscription with LAGGED.
func (r *Resolver) availabilityChanged(ctx context.Context, hotelID string, from, to time.Time) (<-chan model.AvailabilityChange, error) {
	if r.Live == nil {
		return nil, errLiveOff
	}
	hid, err := relay.Decode(relay.KindHotel, hotelID, "hotelId")
	if err != nil {
		return nil, err
	}
	if !from.Before(to) {
		return nil, apperr.New(apperr.InvalidInput, "to must be after from")
	}
	if to.Sub(from) > maxSubscriptionNights*24*time.Hour {
		return nil, apperr.New(apperr.InvalidInput, fmt.Sprintf("watch at most %d nights", maxSubscriptionNights))
	}
	if err := mayWatchAvailability(ctx, hid); err != nil {
		return nil, err
	}
	if _, err := r.Catalog.Hotel(ctx, hid); err != nil {
		return nil, err
	}
	events, cancel, err := r.watch(ctx, hub.Filter{Kinds: []hub.Kind{hub.AvailabilityChanged}, HotelID: hid, From: from, To: to})
	if err != nil {
		return nil, err
	}
	return forward(ctx, events, cancel, func(e hub.Event) (model.AvailabilityChange, error) {
		return r.availabilityChange(ctx, hid, e)
	}), nil
}

func (r *Resolver) availabilityChange(ctx context.Context, hotelID uuid.UUID, e hub.Event) (model.AvailabilityChange, error) {
	h, err := r.Catalog.Hotel(ctx, hotelID)
	if err != nil {
		return model.AvailabilityChange{}, err
	}
	c := model.AvailabilityChange{Hotel: &h, RoomTypes: []catalog.RoomType{}, RatesChanged: e.Rates,
		EventID: fmt.Sprintf("%s:%s", strings.ToLower(string(e.Kind)), e.CommitLSN)}
	if e.Kind == hub.Resync {
		c.RatesChanged = true
		return c, nil
	}
	for _, id := range e.RoomTypeIDs {
		rt, err := r.Catalog.RoomType(ctx, id)
		if errors.Is(err, context.Canceled) {
			return c, err
		}
		if err != nil {
			continue // deleted since: the hotel's other changes still count
		}
		c.RoomTypes = append(c.RoomTypes, rt)
	}
	if !e.Nights.All() {
		from, to := e.Nights.From, e.Nights.To
		c.From, c.To = &from, &to
	}
	return c, nil
}

// socketReleaseKey holds, in a socket's context, the release of the
// caller's socket slot it took, called when the socket closes.
type socketReleaseKey struct{}
