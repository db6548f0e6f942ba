package graph_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/staygraph/staygraph/graph"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/server"
)

// A search cursor is opaque, and a tampered one does not make the API
// repeat what it carries: its engine part was quoted into the refusal as
// it was, terminal escapes and NUL included, at any length.
func TestTamperedSearchCursorIsNotEchoed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	engine := "\x1b[2J\x00" + strings.Repeat("e", 5000)
	cursor := base64.RawURLEncoding.EncodeToString([]byte("RELEVANCE|1|00000000-0000-0000-0000-000000000000|" + engine))
	res := b.do(t, "", `query($a: String) { searchHotels(input: {}, after: $a) { totalCount } }`, map[string]any{"a": cursor})
	if res.code() != "INVALID_INPUT" {
		t.Fatalf("tampered cursor: %+v, want INVALID_INPUT", res.Errors)
	}
	msg := res.Errors[0].Message
	if strings.ContainsAny(msg, "\x1b\x00") || len(msg) > 200 {
		t.Fatalf("the refusal of a tampered cursor repeats it: %d bytes, control characters %v: %.120q",
			len(msg), strings.ContainsAny(msg, "\x1b\x00"), msg)
	}
}

// GET serves queries whose document is in the URL, where nothing decodes
// its bytes as JSON does: a string literal that is not UTF-8 is
// INVALID_INPUT. It reached PostgreSQL and came back as INTERNAL.
func TestGETStringLiteralThatIsNotUTF8IsInvalidInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.newHotel(t, "Paris Stay")
	query := "{ searchHotels(input: {text: \"Par\xffis\"}) { totalCount } }"
	req, err := http.NewRequest(http.MethodGet, b.server.URL+"?query="+url.QueryEscape(query), nil)
	if err != nil {
		t.Fatal(err)
	}
	res := send(t, req)
	if res.code() != "INVALID_INPUT" {
		t.Fatalf("text with the byte 0xFF over GET: status %d code %q %+v, want INVALID_INPUT", res.status, res.code(), res.Errors)
	}
}

// Refusals of huge inputs stay small (as TestRefusalsOfHugeInputsStaySmall
// has it for ids and rooms): a malformed amenity code or time zone is not
// repeated whole, and a list of 10,000 malformed amenities is refused with
// 20 of its errors and a count of the others, not one error per element.
func TestRefusalsOfHugeCatalogInputsStaySmall(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := token(t, auth.RoleAdmin)
	create := func(in map[string]any) []userError {
		out := decode[struct{ CreateHotel hotelPayload }](t, b.do(t, admin, createHotel, map[string]any{"input": in}))
		if out.CreateHotel.Hotel != nil {
			t.Fatalf("created %+v", out.CreateHotel.Hotel)
		}
		return out.CreateHotel.UserErrors
	}
	for name, in := range map[string]map[string]any{
		"a 100,000-character amenity": func() map[string]any {
			in := hotelInput("A")
			in["amenities"] = []string{strings.Repeat("x", 100_000)}
			return in
		}(),
		"a 100,000-character timeZone": func() map[string]any {
			in := hotelInput("T")
			in["timeZone"] = "Europe/" + strings.Repeat("x", 100_000)
			return in
		}(),
	} {
		ue := create(in)
		if len(ue) != 1 || len(ue[0].Message) > 200 {
			t.Errorf("%s: %d user errors, the first %d bytes long; want one short INVALID_INPUT", name, len(ue), len(ue[0].Message))
		}
	}
	in := hotelInput("Many")
	amenities := make([]string, 10_000)
	for i := range amenities {
		amenities[i] = fmt.Sprint("Bad-", i)
	}
	in["amenities"] = amenities
	if ue := create(in); len(ue) != 21 || ue[20].Message != "and 9980 more errors like these" {
		t.Errorf("10,000 malformed amenities: %d user errors; want 20 and a count of the others", len(ue))
	}
}

// A room number listed twice is quoted short in its refusal, however long
// (the length check refuses it too, and hands it on whole).
func TestAHugeRoomNumberListedTwiceIsNotEchoed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	gid := b.newHotel(t, "Dup")
	staff := token(t, auth.RoleStaff, hotelUUID(t, b, "Dup"))
	rt := b.gql(t, staff, `mutation($h: ID!) { createRoomType(input: {hotelId: $h, name: "Twin", maxAdults: 2, maxChildren: 0, maxOccupancy: 2}) { roomType { id } } }`,
		map[string]any{"h": gid})["createRoomType"].(map[string]any)["roomType"].(map[string]any)["id"].(string)
	huge := strings.Repeat("9", 50_000)
	out := decode[struct {
		AddRooms struct{ UserErrors []userError }
	}](t, b.do(t, staff, `mutation($r: ID!, $n: [String!]!) { addRooms(input: {roomTypeId: $r, numbers: $n}) { userErrors { code field message } } }`,
		map[string]any{"r": rt, "n": []string{huge, huge}}))
	for _, ue := range out.AddRooms.UserErrors {
		if len(ue.Message) > 200 {
			t.Errorf("a refusal of a 50,000-character room number is %d bytes long: %.80s…", len(ue.Message), ue.Message)
		}
	}
}

// The refusal of an operationName the document lacks quotes it short.
func TestAHugeUnknownOperationNameIsNotEchoed(t *testing.T) {
	t.Parallel()
	c := setupChain(t, graph.HandlerOpts{}, server.StackOpts{})
	r := c.post(t, nil, gql{Query: "query A { viewer { role } } query B { viewer { subject } }", OperationName: strings.Repeat("C", 100_000)})
	if len(r.Errors) == 0 {
		t.Fatalf("no error: %.300s", r.raw)
	}
	if msg := r.Errors[0].Message; len(msg) > 200 {
		t.Errorf("the refusal of a 100,000-character operationName is %d bytes long: %.80s…", len(msg), msg)
	}
}
