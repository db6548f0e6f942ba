package graph

import (
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// writeResponse writes what encoding/json writes for the same response,
// except that it may leave <, > and & (and U+2028, U+2029) in strings as
// they are instead of escaping them.
func TestWriteResponseIsWhatEncodingJSONWrites(t *testing.T) {
	yes := true
	unescape := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&", `\u2028`, "\u2028", `\u2029`, "\u2029")
	cases := map[string]*graphql.Response{
		"data":    {Data: json.RawMessage("{\"hotel\":{\"name\":\"Bed <&> Breakfast \u2028\",\"stars\":4,\"tags\":[\"a\",\"b\"],\"none\":null}}")},
		"no data": {},
		"errors and data": {
			Data: json.RawMessage(`{"hotel":null}`),
			Errors: gqlerror.List{{Message: `no hotel "x" <here>`, Path: ast.Path{ast.PathName("hotel"), ast.PathIndex(2)},
				Extensions: map[string]any{"code": "NOT_FOUND", "requestId": "r-1"}}},
		},
		"extensions": {
			Data:       json.RawMessage(`{"searchHotels":{"totalCount":3}}`),
			Extensions: map[string]any{"search": map[string]any{"engine": "postgres", "fallback": false}, "a": []int{1, 2}},
		},
	}
	for name, resp := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			if !writeResponse(rec, resp) {
				t.Fatal("not written")
			}
			if got := rec.Body.String(); unescape.Replace(got) != unescape.Replace(string(want)) {
				t.Fatalf("wrote\n%s\nencoding/json writes\n%s", got, want)
			}
			if n := rec.Header().Get("Content-Length"); n != strconv.Itoa(rec.Body.Len()) {
				t.Fatalf("Content-Length %s for %d bytes", n, rec.Body.Len())
			}
		})
	}
	// incremental delivery's fields are left to encoding/json
	for _, resp := range []*graphql.Response{{Label: "l"}, {Path: ast.Path{ast.PathName("a")}}, {HasNext: &yes}} {
		rec := httptest.NewRecorder()
		if writeResponse(rec, resp) || rec.Body.Len() != 0 {
			t.Fatalf("%+v: written %q", resp, rec.Body.String())
		}
	}
}

func TestWholeNumber(t *testing.T) {
	for in, want := range map[string]any{
		"2.0": int64(2), "2e1": int64(20), "2000e-2": int64(20), "-0.0": int64(0), "0.4e1": int64(4), "-2.50e1": int64(-25),
		"9223372036854775807.0": int64(9223372036854775807), "-9223372036854775808.00": int64(-9223372036854775808),
		"1.5": nil, "1e-400": nil, "1e400": nil, "1e999999": nil, "9223372036854775808.0": nil, "1e19": nil, "0.0001": nil,
		"0e5": int64(0), "12.3400e2": int64(1234), "1.23456e2": nil,
		"2e00001": int64(20), "200e-0001": int64(20), "2E+01": int64(20), "0e99999999999": int64(0), "5e-99999999999": nil,
		"1" + strings.Repeat("0", 1000) + "e-1000": int64(1), "1" + strings.Repeat("0", 1000) + "e-999": int64(10), "1" + strings.Repeat("0", 1000) + "e-1001": nil,
	} {
		got, ok := wholeNumber(in)
		if want == nil && ok || want != nil && (!ok || got != want.(int64)) {
			t.Errorf("wholeNumber(%s) = %d %v, want %v", in, got, ok, want)
		}
	}
}

// wholeNumber agrees with exact arithmetic (math/big) on JSON numbers of
// every shape, without expanding exponents itself.
func TestWholeNumberAgreesWithExactArithmetic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	for range 100000 {
		s := digits(1 + rng.IntN(8))
		if rng.IntN(3) == 0 {
			s += "." + digits(1+rng.IntN(6))
		}
		if rng.IntN(2) == 0 {
			s += []string{"e", "E", "e+", "e-", "E-"}[rng.IntN(5)] + strings.Repeat("0", rng.IntN(3)) + digits(1+rng.IntN(2))
		}
		if rng.IntN(2) == 0 {
			s = "-" + s
		}
		want, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("big.Rat does not read %s", s)
		}
		whole := want.IsInt() && want.Num().IsInt64()
		got, gotOK := wholeNumber(s)
		if gotOK != whole || whole && got != want.Num().Int64() {
			t.Fatalf("wholeNumber(%s) = %d %v, want %v (%s)", s, got, gotOK, whole, want.RatString())
		}
	}
}

func BenchmarkWholeNumbersOfHugeExponents(b *testing.B) {
	vars := map[string]any{}
	for i := range 400 {
		vars[fmt.Sprint("v", i)] = json.Number("1e999999")
	}
	for b.Loop() {
		for k, v := range vars {
			vars[k] = wholeNumbers(v)
		}
	}
}
