package graph_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/graph/relay"
	"github.com/staygraph/staygraph/internal/audit"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
	"github.com/staygraph/staygraph/internal/search"
	searchpg "github.com/staygraph/staygraph/internal/search/postgres"
	"github.com/staygraph/staygraph/internal/server"
)

var secret = []byte("graph-test-secret")

type testBundle struct {
	pool     *pgxpool.Pool
	server   *httptest.Server
	resolver *graph.Resolver // tests may swap services before their first request
}

// setup serves the API on a fresh database, with the default handler
// options unless opts gives others.
func setup(t *testing.T, opts ...graph.HandlerOpts) testBundle {
	t.Helper()
	pool := pgtest.NewDB(t)
	keys := auth.NewAPIKeys(pool)
	cat := catalog.NewService(pool)
	pg := searchpg.NewEngine(pool, searchpg.Opts{})
	r := &graph.Resolver{Catalog: cat, Keys: keys, Audit: audit.NewTrail(pool),
		Reservations: booking.NewService(pool, cat, payment.NewRegistry(sandbox.New()), nil, booking.Opts{}),
		Search:       search.NewRouter(search.RouterOpts{Primary: pg, Fallback: pg})}
	var o graph.HandlerOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	authn := auth.NewAuthenticator(auth.JWTConfig{HS256Secret: secret}, keys)
	if o.Authenticator == nil {
		o.Authenticator = authn
	}
	h := server.Authenticate(authn)(graph.NewHandler(r, o))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return testBundle{pool: pool, server: srv, resolver: r}
}

func token(t *testing.T, role auth.Role, hotels ...uuid.UUID) string {
	t.Helper()
	tok, err := auth.Mint(secret, auth.MintOpts{Role: role, Subject: "user-" + string(role), HotelIDs: hotels, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type response struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Extensions  map[string]any `json:"extensions"`
	contentType string
	status      int
}

func (r response) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func (b testBundle) do(t *testing.T, tok, query string, vars map[string]any) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, b.server.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out response
	if err := json.Unmarshal(raw, &out); err != nil { // the whole body: one JSON object
		t.Fatalf("decode response: %v: %.300s", err, raw)
	}
	out.contentType, out.status = res.Header.Get("Content-Type"), res.StatusCode
	return out
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	var v T
	if err := json.Unmarshal(r.Data, &v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
	return v
}

const createHotel = `mutation($input: CreateHotelInput!) {
  createHotel(input: $input) { hotel { id version name timeZone currency checkInTime } userErrors { code field message } }
}`

func hotelInput(name string) map[string]any {
	return map[string]any{
		"name": name, "timeZone": "Asia/Tokyo", "location": map[string]any{"lat": 35.68, "lon": 139.76},
		"address":  map[string]any{"line1": "1-1 Marunouchi", "city": "Tokyo", "countryCode": "JP"},
		"currency": "JPY", "starRating": 4, "amenities": []string{"spa"}, "checkInTime": "14:30",
	}
}

type userError struct {
	Code        string   `json:"code"`
	Field       []string `json:"field"`
	Message     string   `json:"message"`
	DeclineCode *string  `json:"declineCode"`
}

type hotelPayload struct {
	Hotel *struct {
		ID          string `json:"id"`
		Version     int    `json:"version"`
		Name        string `json:"name"`
		CheckInTime string `json:"checkInTime"`
	} `json:"hotel"`
	UserErrors []userError `json:"userErrors"`
}

func (b testBundle) newHotel(t *testing.T, name string) (gid string) {
	t.Helper()
	out := decode[struct{ CreateHotel hotelPayload }](t, b.do(t, token(t, auth.RoleAdmin), createHotel, map[string]any{"input": hotelInput(name)}))
	if out.CreateHotel.Hotel == nil {
		t.Fatalf("create hotel: %+v", out.CreateHotel.UserErrors)
	}
	return out.CreateHotel.Hotel.ID
}

func hotelUUID(t *testing.T, b testBundle, name string) uuid.UUID {
	var id uuid.UUID
	if err := b.pool.QueryRow(context.Background(), "SELECT id FROM hotels WHERE name = $1", name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCreateHotelOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.do(t, token(t, auth.RoleAdmin), createHotel, map[string]any{"input": hotelInput("Marunouchi Stay")})
	if res.contentType != "application/graphql-response+json" {
		t.Fatalf("content type = %q", res.contentType)
	}
	out := decode[struct{ CreateHotel hotelPayload }](t, res)
	h := out.CreateHotel.Hotel
	if h == nil || h.Name != "Marunouchi Stay" || h.Version != 1 || h.CheckInTime != "14:30" || len(out.CreateHotel.UserErrors) != 0 {
		t.Fatalf("payload %+v", out.CreateHotel)
	}
	// The global id is opaque and resolves through node(id) and hotel(id).
	node := decode[struct {
		Node  struct{ Name string } `json:"node"`
		Hotel struct{ Name string } `json:"hotel"`
	}](t, b.do(t, "", `query($id: ID!) { node(id: $id) { ... on Hotel { name } } hotel(id: $id) { name } }`, map[string]any{"id": h.ID}))
	if node.Node.Name != "Marunouchi Stay" || node.Hotel.Name != "Marunouchi Stay" {
		t.Fatalf("node/hotel lookup: %+v", node)
	}
}

func TestInvalidInputComesBackAsUserErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in := hotelInput("Bad")
	in["timeZone"] = "Tokyo"
	in["starRating"] = 0
	out := decode[struct{ CreateHotel hotelPayload }](t, b.do(t, token(t, auth.RoleAdmin), createHotel, map[string]any{"input": in}))
	if out.CreateHotel.Hotel != nil || len(out.CreateHotel.UserErrors) != 2 {
		t.Fatalf("payload %+v", out.CreateHotel)
	}
	for _, ue := range out.CreateHotel.UserErrors {
		if ue.Code != "INVALID_INPUT" || len(ue.Field) != 2 || ue.Message == "" {
			t.Fatalf("user error %+v", ue)
		}
	}
	// A malformed scalar is a request error with a code, not an internal error.
	in = hotelInput("Bad time")
	in["checkInTime"] = "3pm"
	res := b.do(t, token(t, auth.RoleAdmin), createHotel, map[string]any{"input": in})
	if res.code() == "INTERNAL" || len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Message, "HH:MM") {
		t.Fatalf("bad LocalTime: %+v", res.Errors)
	}
}

// An unknown id comes back as NOT_FOUND on the field that named it, so a
// client knows which of its ids is stale.
func TestNotFoundNamesTheField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin, guest := token(t, auth.RoleAdmin), token(t, auth.RoleGuest)
	unknown := func(k relay.Kind) string { return relay.ID(k, uuid.New()) }
	for name, c := range map[string]struct {
		tok, input string
		in         map[string]any
		want       string
	}{
		"createRoomType": {admin, "CreateRoomTypeInput",
			map[string]any{"hotelId": unknown(relay.KindHotel), "name": "x", "maxAdults": 1, "maxChildren": 0, "maxOccupancy": 1}, "hotelId"},
		"setRates": {admin, "SetRatesInput",
			map[string]any{"ratePlanId": unknown(relay.KindRatePlan), "from": "2030-01-01", "to": "2030-01-02", "amount": 1}, "ratePlanId"},
		"setRoomService": {admin, "SetRoomServiceInput",
			map[string]any{"roomId": unknown(relay.KindRoom), "expectedVersion": 1, "inService": true}, "roomId"},
		"cancelBooking": {guest, "CancelBookingInput",
			map[string]any{"idempotencyKey": "k", "bookingId": unknown(relay.KindBooking)}, "bookingId"},
		"checkInBooking": {admin, "FrontDeskInput",
			map[string]any{"bookingId": unknown(relay.KindBooking)}, "bookingId"},
		"retryRefund": {admin, "RetryRefundInput",
			map[string]any{"refundId": unknown(relay.KindRefund)}, "refundId"},
		"retryPaymentLookup": {admin, "RetryPaymentLookupInput",
			map[string]any{"paymentId": unknown(relay.KindPayment)}, "paymentId"},
		"revokeApiKey": {admin, "RevokeApiKeyInput",
			map[string]any{"id": unknown(relay.KindAPIKey)}, "id"},
		"retryNotification": {admin, "RetryNotificationInput",
			map[string]any{"bookingId": unknown(relay.KindBooking), "notificationId": unknown(relay.KindNotification)}, "bookingId"},
	} {
		res := b.do(t, c.tok, fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { userErrors { code field } } }`, c.input, name), map[string]any{"in": c.in})
		var out map[string]struct{ UserErrors []userError }
		if err := json.Unmarshal(res.Data, &out); err != nil || len(res.Errors) > 0 {
			t.Fatalf("%s: %s %+v", name, res.Data, res.Errors)
		}
		if ue := out[name].UserErrors; len(ue) != 1 || ue[0].Code != "NOT_FOUND" || strings.Join(ue[0].Field, ".") != "input."+c.want {
			t.Errorf("%s with an unknown %s: %+v, want NOT_FOUND on input.%s", name, c.want, ue, c.want)
		}
	}
}

// Malformed ids are refused without echoing megabytes back: a huge id is
// quoted in part, and too many rooms to block is one error, not one per id.
func TestRefusalsOfHugeInputsStaySmall(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := token(t, auth.RoleAdmin)
	res := b.do(t, admin, `mutation($in: CancelBookingInput!) { cancelBooking(input: $in) { userErrors { code field message } } }`,
		map[string]any{"in": map[string]any{"idempotencyKey": "k", "bookingId": strings.Repeat("x", 100_000)}})
	var cancel struct {
		CancelBooking struct{ UserErrors []userError }
	}
	if err := json.Unmarshal(res.Data, &cancel); err != nil || len(res.Errors) > 0 {
		t.Fatalf("%s %+v", res.Data, res.Errors)
	}
	if ue := cancel.CancelBooking.UserErrors; len(ue) != 1 || ue[0].Code != "INVALID_INPUT" || len(ue[0].Message) > 200 {
		t.Fatalf("a 100,000-character booking id: %d user errors, the first %d bytes long; want one short INVALID_INPUT", len(ue), len(ue[0].Message))
	}
	rooms := make([]string, 10_000)
	for i := range rooms {
		rooms[i] = fmt.Sprint("room-", i)
	}
	res = b.do(t, admin, `mutation($in: BlockRoomsInput!) { blockRooms(input: $in) { userErrors { code field message } } }`,
		map[string]any{"in": map[string]any{"roomIds": rooms, "from": "2030-01-01", "to": "2030-01-02", "reason": "works"}})
	var block struct {
		BlockRooms struct{ UserErrors []userError }
	}
	if err := json.Unmarshal(res.Data, &block); err != nil || len(res.Errors) > 0 {
		t.Fatalf("%s %+v", res.Data, res.Errors)
	}
	if ue := block.BlockRooms.UserErrors; len(ue) != 1 || strings.Join(ue[0].Field, ".") != "input.roomIds" || ue[0].Message != "give 1 to 100 rooms" {
		t.Fatalf("blocking 10,000 malformed room ids: %d user errors (%+v...), want one on input.roomIds", len(ue), ue[0])
	}
}

func TestAuthenticationAndAuthorizationCodes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if res := b.do(t, "", createHotel, map[string]any{"input": hotelInput("x")}); res.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous createHotel: %+v", res.Errors)
	}
	// A caller without credentials learns that first, not that the ids
	// it pasted are malformed.
	placeholder := `mutation($id: ID!) { updateHotel(input: {id: $id, expectedVersion: 1, name: "Renamed"}) { userErrors { code } } }`
	if res := b.do(t, "", placeholder, map[string]any{"id": "<a hotel id>"}); res.code() != "UNAUTHENTICATED" ||
		len(res.Errors) != 1 || fmt.Sprint(res.Errors[0].Path) != "[updateHotel]" {
		t.Fatalf("anonymous updateHotel of a placeholder id: %+v, want UNAUTHENTICATED on updateHotel", res.Errors)
	}
	if res := b.do(t, token(t, auth.RoleGuest), createHotel, map[string]any{"input": hotelInput("x")}); res.code() != "FORBIDDEN" {
		t.Fatalf("guest createHotel: %+v", res.Errors)
	}
	gidA := b.newHotel(t, "A")
	gidB := b.newHotel(t, "B")
	staffA := token(t, auth.RoleStaff, hotelUUID(t, b, "A"))
	update := `mutation($id: ID!) { updateHotel(input: {id: $id, expectedVersion: 1, name: "Renamed"}) { hotel { name version } userErrors { code } } }`
	if res := b.do(t, staffA, update, map[string]any{"id": gidB}); res.code() != "FORBIDDEN" {
		t.Fatalf("staff of A updating B: %+v", res.Errors)
	}
	out := decode[struct {
		UpdateHotel struct {
			Hotel struct {
				Name    string
				Version int
			}
		}
	}](t, b.do(t, staffA, update, map[string]any{"id": gidA}))
	if out.UpdateHotel.Hotel.Name != "Renamed" || out.UpdateHotel.Hotel.Version != 2 {
		t.Fatalf("staff of A updating A: %+v", out)
	}
	// Rooms are private: anonymous readers are refused, other hotels' staff too.
	rooms := `query($id: ID!) { hotel(id: $id) { name rooms { number } } }`
	if res := b.do(t, "", rooms, map[string]any{"id": gidA}); res.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous rooms: %+v", res.Errors)
	}
	if res := b.do(t, staffA, rooms, map[string]any{"id": gidB}); res.code() != "FORBIDDEN" {
		t.Fatalf("staff of A reading rooms of B: %+v", res.Errors)
	}
	if res := b.do(t, staffA, rooms, map[string]any{"id": gidA}); len(res.Errors) != 0 {
		t.Fatalf("staff of A reading rooms of A: %+v", res.Errors)
	}
	// A forged token is refused before any resolver runs.
	forged, _ := auth.Mint([]byte("not-the-secret"), auth.MintOpts{Role: auth.RoleAdmin, Subject: "x", TTL: time.Hour})
	if res := b.do(t, forged, `{ viewer { role } }`, nil); res.status != http.StatusUnauthorized || res.code() != "UNAUTHENTICATED" {
		t.Fatalf("forged token: status %d %+v", res.status, res.Errors)
	}
}

func TestStaleVersionIsAUserError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	gid := b.newHotel(t, "Versioned")
	update := `mutation($id: ID!, $v: Int!, $name: String!) { updateHotel(input: {id: $id, expectedVersion: $v, name: $name}) { hotel { version } userErrors { code field } } }`
	admin := token(t, auth.RoleAdmin)
	first := decode[struct{ UpdateHotel hotelPayload }](t, b.do(t, admin, update, map[string]any{"id": gid, "v": 1, "name": "One"}))
	if first.UpdateHotel.Hotel == nil || first.UpdateHotel.Hotel.Version != 2 {
		t.Fatalf("first update %+v", first)
	}
	second := decode[struct{ UpdateHotel hotelPayload }](t, b.do(t, admin, update, map[string]any{"id": gid, "v": 1, "name": "Two"}))
	if second.UpdateHotel.Hotel != nil || len(second.UpdateHotel.UserErrors) != 1 || second.UpdateHotel.UserErrors[0].Code != "STALE_VERSION" {
		t.Fatalf("second update %+v", second)
	}
}

func TestCatalogMutationsEndToEnd(t *testing.T) {
	t.Parallel()
	b := setup(t)
	gid := b.newHotel(t, "Full")
	staff := token(t, auth.RoleStaff, hotelUUID(t, b, "Full"))
	rt := decode[struct {
		CreateRoomType struct {
			RoomType struct{ ID string } `json:"roomType"`
		}
	}](t, b.do(t, staff, `mutation($h: ID!) { createRoomType(input: {hotelId: $h, name: "Twin", maxAdults: 2, maxChildren: 1, maxOccupancy: 3, beds: [{type: SINGLE, count: 2}]}) { roomType { id } userErrors { code } } }`, map[string]any{"h": gid}))
	rtID := rt.CreateRoomType.RoomType.ID
	rooms := decode[struct {
		AddRooms struct {
			Rooms []struct{ ID, Number string }
		}
	}](t, b.do(t, staff, `mutation($rt: ID!) { addRooms(input: {roomTypeId: $rt, numbers: ["201", "202"]}) { rooms { id number } userErrors { code } } }`, map[string]any{"rt": rtID}))
	if len(rooms.AddRooms.Rooms) != 2 {
		t.Fatalf("rooms %+v", rooms)
	}
	svc := decode[struct {
		SetRoomService struct {
			Room struct {
				InService   bool
				ServiceNote string
			}
		}
	}](t, b.do(t, staff, `mutation($r: ID!) { setRoomService(input: {roomId: $r, expectedVersion: 1, inService: false, note: "painting"}) { room { inService serviceNote } userErrors { code } } }`, map[string]any{"r": rooms.AddRooms.Rooms[0].ID}))
	if svc.SetRoomService.Room.InService || svc.SetRoomService.Room.ServiceNote != "painting" {
		t.Fatalf("room service %+v", svc)
	}
	rp := decode[struct {
		CreateRatePlan struct {
			RatePlan struct{ ID string } `json:"ratePlan"`
		}
	}](t, b.do(t, staff, `mutation($rt: ID!) { createRatePlan(input: {roomTypeId: $rt, name: "Flex", cancellationPolicy: {refundable: true, penalties: [{hoursBeforeCheckIn: 48, percent: 50}]}, depositPolicy: {kind: PERCENT, percent: 20}}) { ratePlan { id } userErrors { code field message } } }`, map[string]any{"rt": rtID}))
	nextYear := fmt.Sprint(time.Now().Year() + 1) // nights that stay ahead, whenever the test runs
	rates := decode[struct {
		SetRates struct{ Nights int }
	}](t, b.do(t, staff, `mutation($rp: ID!, $from: Date!, $to: Date!) { setRates(input: {ratePlanId: $rp, from: $from, to: $to, amount: 12000}) { nights userErrors { code } } }`,
		map[string]any{"rp": rp.CreateRatePlan.RatePlan.ID, "from": nextYear + "-01-01", "to": nextYear + "-01-07"}))
	if rates.SetRates.Nights != 7 {
		t.Fatalf("set rates %+v", rates)
	}
	// a night that is over is refused, and named
	past := decode[struct {
		SetRates struct {
			Nights     int
			UserErrors []struct {
				Code  string
				Field []string
			}
		}
	}](t, b.do(t, staff, `mutation($rp: ID!, $from: Date!) { setRates(input: {ratePlanId: $rp, from: $from, to: $from, amount: 12000}) { nights userErrors { code field } } }`,
		map[string]any{"rp": rp.CreateRatePlan.RatePlan.ID, "from": time.Now().AddDate(0, 0, -3).Format(time.DateOnly)}))
	if e := past.SetRates.UserErrors; past.SetRates.Nights != 0 || len(e) != 1 || e[0].Code != "INVALID_INPUT" || strings.Join(e[0].Field, ".") != "input.from" {
		t.Fatalf("rates for a past night: %+v, want INVALID_INPUT at input.from", past)
	}
	// Mutations of one document run one after the other; one refused (here
	// FORBIDDEN: staff create no hotels) is null with its error, and the
	// others' answers stay: the first did set its nights.
	two := b.do(t, staff, `mutation($rp: ID!, $from: Date!) {
	  first: setRates(input: {ratePlanId: $rp, from: $from, to: $from, amount: 12500}) { nights }
	  second: createHotel(input: {name: "Not Mine", timeZone: "Asia/Tokyo", location: {lat: 35.7, lon: 139.7},
	    address: {line1: "1 Ginza", city: "Tokyo", countryCode: "JP"}, currency: "JPY", starRating: 3}) { hotel { id } }
	  third: setRates(input: {ratePlanId: $rp, from: $from, to: $from, amount: 13000}) { nights }
	}`, map[string]any{"rp": rp.CreateRatePlan.RatePlan.ID, "from": nextYear + "-02-01"})
	if string(two.Data) != `{"first":{"nights":1},"second":null,"third":{"nights":1}}` || len(two.Errors) != 1 ||
		two.code() != "FORBIDDEN" || fmt.Sprint(two.Errors[0].Path) != "[second]" {
		t.Fatalf("a document with a refused mutation: data %s, errors %+v; want the others' answers and one FORBIDDEN at second", two.Data, two.Errors)
	}
	view := decode[struct {
		Hotel struct {
			RoomTypes []struct {
				RoomsInService int
				Beds           []struct {
					Type  string
					Count int
				}
				RatePlans []struct {
					DepositPolicy struct {
						Kind    string
						Percent int
					}
					Rates []struct {
						Night string
						Price struct {
							Amount   int
							Currency string
						}
					}
				}
			}
		}
	}](t, b.do(t, "", `query($h: ID!, $from: Date!, $to: Date!) { hotel(id: $h) { roomTypes { roomsInService beds { type count } ratePlans { depositPolicy { kind percent } rates(from: $from, to: $to) { night price { amount currency } } } } } }`,
		map[string]any{"h": gid, "from": nextYear + "-01-06", "to": nextYear + "-01-09"}))
	got := view.Hotel.RoomTypes[0]
	if got.RoomsInService != 1 || got.Beds[0].Count != 2 || got.RatePlans[0].DepositPolicy.Percent != 20 {
		t.Fatalf("room type view %+v", got)
	}
	if r := got.RatePlans[0].Rates; len(r) != 2 || r[0].Night != nextYear+"-01-06" || r[1].Price.Amount != 12000 || r[1].Price.Currency != "JPY" {
		t.Fatalf("rates %+v", r)
	}
}

func TestHotelsPagination(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i := range 7 {
		b.newHotel(t, fmt.Sprintf("Hotel %d", i))
	}
	type page struct {
		Hotels struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   *string
			}
			Edges []struct {
				Cursor string
				Node   struct{ ID, Name string }
			}
		}
	}
	seen := map[string]bool{}
	var after any
	pages := 0
	for {
		p := decode[page](t, b.do(t, "", `query($after: String) { hotels(first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } } } }`, map[string]any{"after": after}))
		pages++
		if p.Hotels.TotalCount != 7 {
			t.Fatalf("totalCount = %d", p.Hotels.TotalCount)
		}
		for _, e := range p.Hotels.Edges {
			if seen[e.Node.ID] {
				t.Fatalf("hotel %s listed twice", e.Node.Name)
			}
			seen[e.Node.ID] = true
		}
		if !p.Hotels.PageInfo.HasNextPage {
			break
		}
		after = *p.Hotels.PageInfo.EndCursor
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("saw %d hotels in %d pages, want 7 in 3", len(seen), pages)
	}
	if res := b.do(t, "", `{ hotels(first: 1000) { totalCount } }`, nil); res.code() != "INVALID_INPUT" {
		t.Fatalf("huge page: %+v", res.Errors)
	}
	if res := b.do(t, "", `{ hotels(after: "garbage") { totalCount } }`, nil); res.code() != "INVALID_INPUT" {
		t.Fatalf("bad cursor: %+v", res.Errors)
	}
}

func TestGETServesQueriesOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.newHotel(t, "Get")
	q := url.Values{"query": {`{ hotels(first: 1) { totalCount } }`}}
	req, _ := http.NewRequest(http.MethodGet, b.server.URL+"?"+q.Encode(), nil)
	res := send(t, req)
	if res.status != http.StatusOK || string(res.Data) != `{"hotels":{"totalCount":1}}` {
		t.Fatalf("GET query: %d %s %+v", res.status, res.Data, res.Errors)
	}
	q = url.Values{"query": {`mutation { revokeApiKey(input: {id: "x"}) { userErrors { code } } }`}}
	req, _ = http.NewRequest(http.MethodGet, b.server.URL+"?"+q.Encode(), nil)
	if res := send(t, req); res.status != http.StatusBadRequest || res.code() != graph.CodeBadRequest || res.Data != nil && string(res.Data) != "null" {
		t.Fatalf("GET mutation: %d %s %+v, want 400 BAD_REQUEST", res.status, res.Data, res.Errors)
	}
}

// Responses are written as the executor made them (graph/response.go):
// one JSON document per request, GET or POST, with data, errors and
// extensions as encoding/json would write them.
func TestResponsesAreOneJSONDocument(t *testing.T) {
	t.Parallel()
	b := setup(t)
	name := `Bed <&> Breakfast "Inn" \ Annex`
	in := hotelInput(name)
	res := b.do(t, token(t, auth.RoleAdmin), createHotel, map[string]any{"input": in})
	id := decode[struct {
		CreateHotel struct{ Hotel struct{ ID string } }
	}](t, res).CreateHotel.Hotel.ID
	query := `query($id: ID!) { hotels(first: 1) { totalCount } hotel(id: $id) { name } bad: hotel(id: "nope") { name } }`
	vars, _ := json.Marshal(map[string]any{"id": id})
	get, _ := http.NewRequest(http.MethodGet, b.server.URL+"?"+url.Values{"query": {query}, "variables": {string(vars)}}.Encode(), nil)
	for via, res := range map[string]response{"POST": b.do(t, "", query, map[string]any{"id": id}), "GET": send(t, get)} {
		if res.status != http.StatusOK || res.contentType != "application/graphql-response+json" {
			t.Fatalf("%s: %d %s", via, res.status, res.contentType)
		}
		if want := `{"hotels":{"totalCount":1},"hotel":{"name":` + jsonString(name) + `},"bad":null}`; !jsonEqual(t, res.Data, want) {
			t.Fatalf("%s: data %s, want %s", via, res.Data, want)
		}
		if len(res.Errors) != 1 || res.code() != "INVALID_INPUT" || fmt.Sprint(res.Errors[0].Path) != "[bad]" {
			t.Fatalf("%s: errors %+v, want the bad id's INVALID_INPUT", via, res.Errors)
		}
	}
}

// jsonEqual reports whether two JSON documents hold the same value.
func jsonEqual(t *testing.T, a json.RawMessage, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

func TestAPIKeysThroughTheAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := token(t, auth.RoleAdmin)
	created := decode[struct {
		CreateApiKey struct {
			ApiKey struct {
				ID     string
				Scopes []string
			}
			Secret string
		}
	}](t, b.do(t, admin, `mutation { createApiKey(input: {name: "Partner OTA", scopes: ["search", "book"]}) { apiKey { id scopes } secret userErrors { code } } }`, nil))
	key := created.CreateApiKey.Secret
	if !strings.HasPrefix(key, "sg_") {
		t.Fatalf("secret %q", key)
	}
	req, _ := http.NewRequest(http.MethodPost, b.server.URL, strings.NewReader(`{"query":"{ viewer { role scopes } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", key)
	if res := send(t, req); string(res.Data) != `{"viewer":{"role":"PARTNER","scopes":["search","book"]}}` {
		t.Fatalf("viewer with api key: %s %+v", res.Data, res.Errors)
	}
	// A key's scopes bound what it does: one that only reads bookings does
	// not search.
	reader := decode[struct{ CreateApiKey struct{ Secret string } }](t, b.do(t, admin,
		`mutation { createApiKey(input: {name: "Reader", scopes: ["read:bookings"]}) { secret } }`, nil)).CreateApiKey.Secret
	for _, q := range []string{`{ searchHotels(input: {}) { totalCount } }`} {
		req, _ := http.NewRequest(http.MethodPost, b.server.URL, strings.NewReader(fmt.Sprintf(`{"query":%q}`, q)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", reader)
		if res := send(t, req); res.code() != "FORBIDDEN" {
			t.Errorf("a read:bookings key: %s: %s %+v, want FORBIDDEN", q, res.Data, res.Errors)
		}
	}
	req, _ = http.NewRequest(http.MethodPost, b.server.URL, strings.NewReader(`{"query":"{ searchHotels(input: {}) { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", key)
	if res := send(t, req); len(res.Errors) != 0 {
		t.Fatalf("a search key searching: %+v", res.Errors)
	}
	if res := b.do(t, token(t, auth.RoleGuest), `{ apiKeys { id } }`, nil); res.code() != "FORBIDDEN" {
		t.Fatalf("guest listing api keys: %+v", res.Errors)
	}
	decode[struct{}](t, b.do(t, admin, `mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { revokedAt } } }`, map[string]any{"id": created.CreateApiKey.ApiKey.ID}))
	req, _ = http.NewRequest(http.MethodPost, b.server.URL, strings.NewReader(`{"query":"{ viewer { role } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", key)
	if res := send(t, req); res.status != http.StatusUnauthorized || res.code() != "UNAUTHENTICATED" {
		t.Fatalf("revoked key: %d %+v", res.status, res.Errors)
	}
}

// A partner's credential is rotated with rollApiKey: the new secret sees
// and changes the bookings made with the old one, a retried hold under the
// old key's idempotency key returns the same booking, and the old secret
// stops when its time is up (at once here).
func TestRollApiKeyKeepsThePartnersBookings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := token(t, auth.RoleAdmin)
	created := decode[struct {
		CreateApiKey struct {
			ApiKey struct{ ID string }
			Secret string
		}
	}](t, b.do(t, admin, `mutation { createApiKey(input: {name: "Partner OTA", scopes: ["search", "book", "read:bookings"]}) { apiKey { id } secret } }`, nil))
	oldKey := created.CreateApiKey.Secret
	hotel, plan, _ := b.stayFixture(t, "Europe/Rome", 3)
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 30)
	held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, oldKey, holdMutation, holdVars(hotel, plan, "ota-1", checkIn, 2))).HoldBooking
	if held.Booking == nil {
		t.Fatalf("hold with the partner's key: %+v", held.UserErrors)
	}

	rolled := decode[struct {
		RollApiKey struct {
			ApiKey struct {
				ID                  string
				OldSecretValidUntil *time.Time
			}
			Secret     string
			UserErrors []struct{ Code string }
		}
	}](t, b.do(t, admin, `mutation($id: ID!) { rollApiKey(input: {id: $id, keepOldSecretMinutes: 0}) { apiKey { id oldSecretValidUntil } secret userErrors { code } } }`,
		map[string]any{"id": created.CreateApiKey.ApiKey.ID})).RollApiKey
	newKey := rolled.Secret
	if rolled.ApiKey.ID != created.CreateApiKey.ApiKey.ID || newKey == oldKey || rolled.ApiKey.OldSecretValidUntil == nil || len(rolled.UserErrors) > 0 {
		t.Fatalf("rollApiKey: %+v", rolled)
	}
	mine := decode[struct {
		Viewer struct {
			Bookings struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
	}](t, b.do(t, newKey, `{ viewer { bookings(first: 10) { edges { node { id } } } } }`, nil))
	if got := mine.Viewer.Bookings.Edges; len(got) != 1 || got[0].Node.ID != held.Booking.ID {
		t.Fatalf("the new secret lists %+v, want the booking made with the old one", got)
	}
	again := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, newKey, holdMutation, holdVars(hotel, plan, "ota-1", checkIn, 2))).HoldBooking
	if again.Booking == nil || again.Booking.ID != held.Booking.ID {
		t.Fatalf("the hold retried with the new secret: %+v, want the first booking", again)
	}
	if res := b.do(t, oldKey, `{ viewer { role } }`, nil); res.status != http.StatusUnauthorized || res.code() != "UNAUTHENTICATED" {
		t.Fatalf("the old secret after its time: %d %+v", res.status, res.Errors)
	}
	if res := b.do(t, token(t, auth.RoleGuest), `mutation($id: ID!) { rollApiKey(input: {id: $id}) { secret } }`,
		map[string]any{"id": created.CreateApiKey.ApiKey.ID}); res.code() != "FORBIDDEN" {
		t.Fatalf("a guest rolling a key: %+v", res.Errors)
	}
}

// A cursor belongs to its list: one of the hotels is refused by the
// bookings and the other way round, as INVALID_INPUT on after, not read as
// the start of an empty page; a cursor of the previous release (no kind)
// still pages.
func TestCursorsBelongToTheirList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, plan, _ := b.stayFixture(t, "Europe/Madrid", 3)
	b.stayFixture(t, "Europe/Lisbon", 3)
	guest := token(t, auth.RoleGuest)
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 20)
	for _, key := range []string{"k1", "k2"} {
		if held := decode[struct{ HoldBooking bookingPayload }](t, b.do(t, guest, holdMutation, holdVars(hotel, plan, key, checkIn, 1))).HoldBooking; held.Booking == nil {
			t.Fatalf("hold: %+v", held.UserErrors)
		}
	}
	type page struct {
		PageInfo struct{ EndCursor string }
		Edges    []struct{ Node struct{ ID string } }
	}
	hotels := decode[struct{ Hotels page }](t, b.do(t, guest, `{ hotels(first: 1) { pageInfo { endCursor } edges { node { id } } } }`, nil)).Hotels
	bookings := decode[struct{ Viewer struct{ Bookings page } }](t, b.do(t, guest,
		`{ viewer { bookings(first: 1) { pageInfo { endCursor } edges { node { id } } } } }`, nil)).Viewer.Bookings
	if hotels.PageInfo.EndCursor == "" || bookings.PageInfo.EndCursor == "" {
		t.Fatalf("no cursors: %+v %+v", hotels, bookings)
	}
	for name, c := range map[string]struct{ query, cursor string }{
		"a booking cursor in hotels":  {`query($a: String) { hotels(first: 1, after: $a) { totalCount } }`, bookings.PageInfo.EndCursor},
		"a hotel cursor in bookings":  {`query($a: String) { viewer { bookings(first: 1, after: $a) { pageInfo { hasNextPage } } } }`, hotels.PageInfo.EndCursor},
		"a cursor that is not base64": {`query($a: String) { hotels(first: 1, after: $a) { totalCount } }`, "%%%"},
	} {
		if res := b.do(t, guest, c.query, map[string]any{"a": c.cursor}); res.code() != "INVALID_INPUT" {
			t.Errorf("%s: %s %+v, want INVALID_INPUT", name, res.Data, res.Errors)
		}
	}
	_, first, err := relay.Parse(hotels.Edges[0].Node.ID)
	if err != nil {
		t.Fatal(err)
	}
	legacy := base64.RawURLEncoding.EncodeToString([]byte("c:" + first.String()))
	next := decode[struct{ Hotels page }](t, b.do(t, guest, `query($a: String) { hotels(first: 1, after: $a) { pageInfo { endCursor } edges { node { id } } } }`,
		map[string]any{"a": legacy})).Hotels
	if len(next.Edges) != 1 || next.Edges[0].Node.ID == hotels.Edges[0].Node.ID {
		t.Fatalf("a cursor of the previous release: %+v, want the second hotel", next)
	}
}

// Values no field can hold are the caller's mistake, INVALID_INPUT, whether
// in variables or written in the operation: a NUL character in a string,
// a date-time without an offset, a number that is not finite or not a
// number at all, an explicit count of zero.
func TestBadScalarValuesAreInvalidInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	search := `query($in: HotelSearchInput!) { searchHotels(input: $in) { totalCount } }`
	for name, in := range map[string]map[string]any{
		"a NUL in text":              {"text": "Paris\u0000"},
		"a terminal escape in text":  {"text": "\u001b[2JParis"},
		"a C1 control in text":       {"text": "Paris\u009b"},
		"a right-to-left override":   {"text": "Paris\u202e"},
		"a right-to-left isolate":    {"text": "\u2067Paris\u2069"},
		"a vertical tab":             {"text": "Paris\u000b"},
		"a date-time without offset": {"arrivingAt": "2027-06-20T23:30:00"},
		"not a date-time":            {"arrivingAt": "tonight"},
		"NaN as a radius":            {"near": map[string]any{"lat": 48.85, "lon": 2.35, "radiusKm": "NaN"}},
		"NaN as a latitude":          {"near": map[string]any{"lat": "NaN", "lon": 2.35, "radiusKm": 5}},
		"a string as a box's north":  {"within": map[string]any{"north": "49", "south": 48, "east": 3, "west": 2}},
		"zero nights after arriving": {"arrivingAt": "2031-06-20T23:30:00+02:00", "nights": 0},
	} {
		if res := b.do(t, "", search, map[string]any{"in": in}); res.code() != "INVALID_INPUT" {
			t.Errorf("%s: %s %+v, want INVALID_INPUT", name, res.Data, res.Errors)
		}
	}
	// Tabs and line breaks are text; so are right-to-left scripts and marks.
	if res := b.do(t, "", search, map[string]any{"in": map[string]any{"text": "Hotel\tParis\r\nדן\u200f"}}); len(res.Errors) > 0 {
		t.Errorf("tabs, line breaks and Hebrew refused: %+v", res.Errors)
	}
	if res := b.do(t, "", `{ searchHotels(input: {text: "Paris\u0000"}) { totalCount } }`, nil); res.code() != "INVALID_INPUT" {
		t.Errorf("a NUL written in the operation: %+v, want INVALID_INPUT", res.Errors)
	}
	hold := `mutation($in: HoldBookingInput!) { holdBooking(input: $in) { userErrors { code } } }`
	res := b.do(t, token(t, auth.RoleGuest), hold, map[string]any{"in": map[string]any{"idempotencyKey": "k\u0000", "hotelId": relay.ID(relay.KindHotel, uuid.New()),
		"checkIn": "2031-01-01", "checkOut": "2031-01-02", "rooms": []any{}, "contact": map[string]any{"email": "ana@example.com"}}})
	if res.code() != "INVALID_INPUT" {
		t.Errorf("a NUL in an idempotency key: %s %+v, want INVALID_INPUT", res.Data, res.Errors)
	}
	// Good values still pass.
	if res := b.do(t, "", search, map[string]any{"in": map[string]any{"text": "Paris", "arrivingAt": time.Now().AddDate(0, 0, 30).Format(time.RFC3339),
		"near": map[string]any{"lat": 48, "lon": 2.35, "radiusKm": 5.5}}}); len(res.Errors) > 0 {
		t.Errorf("good values: %+v", res.Errors)
	}
}

// @defer (sent by Apollo Client and Relay) is answered inline over HTTP:
// the deferred fields are in the one response, not null without an error
// (the HTTP transports write only a result's first payload).
func TestDeferredFieldsAreAnsweredInline(t *testing.T) {
	t.Parallel()
	b := setup(t)
	hotel, _, rt := b.stayFixture(t, "Europe/Lisbon", 2)
	admin := token(t, auth.RoleAdmin)
	for name, q := range map[string]string{
		"inline fragment":   `query($id: ID!) { hotel(id: $id) { name ... @defer { roomTypes { id } } } }`,
		"fragment spread":   `query($id: ID!) { hotel(id: $id) { name ...RT @defer(label: "rt") } } fragment RT on Hotel { roomTypes { id } }`,
		"nested, with if":   `query($id: ID!, $d: Boolean!) { hotel(id: $id) { ... { name ... @defer(if: $d) { roomTypes { id } } } } }`,
		"the same document": `query($id: ID!) { hotel(id: $id) { name ... @defer { roomTypes { id } } } }`, // from the cache
	} {
		r := b.do(t, admin, q, map[string]any{"id": hotel, "d": true})
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %+v", name, r.Errors)
		}
		var got struct {
			Hotel struct {
				Name      string
				RoomTypes []struct{ ID string }
			}
		}
		if err := json.Unmarshal(r.Data, &got); err != nil {
			t.Fatalf("%s: %s: %v", name, r.Data, err)
		}
		if got.Hotel.Name == "" || len(got.Hotel.RoomTypes) != 1 || got.Hotel.RoomTypes[0].ID != relay.ID(relay.KindRoomType, rt.ID) {
			t.Errorf("%s: data %s, want the hotel's name and its one room type", name, r.Data)
		}
	}
}
