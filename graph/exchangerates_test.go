package graph_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/search/searchtest"
)

const setExchangeRates = `mutation($input: SetExchangeRatesInput!) {
  setExchangeRates(input: $input) {
    rates { currency perUsd minorDigits version }
    userErrors { code field message }
  }
}`

type exchangeRate struct {
	Currency    string
	PerUsd      float64
	MinorDigits int
	Version     int
}

type setExchangeRatesPayload struct {
	SetExchangeRates struct {
		Rates      []exchangeRate
		UserErrors []userError
	}
}

func rateInput(rates ...any) map[string]any {
	in := []map[string]any{}
	for i := 0; i < len(rates); i += 2 {
		in = append(in, map[string]any{"currency": rates[i], "perUsd": rates[i+1]})
	}
	return map[string]any{"input": map[string]any{"rates": in}}
}

// An admin changes a rate through the API: searches price with it at once,
// the audit trail names who changed what, and anyone reads the rates.
func TestSetExchangeRates(t *testing.T) {
	t.Parallel()
	b := setupSearchAt(t, searchtest.Now)
	searchtest.Load(t, b.pool)
	admin := token(t, auth.RoleAdmin)

	// Hotel Lumiere sells its cheapest double for 100 EUR a night: at 0.92
	// EUR a dollar, 108.70 USD, within a range up to 110 USD.
	const search = `query($input: HotelSearchInput!) { searchHotels(input: $input) { edges { node { hotel { name } } } } }`
	lumiere := func() bool {
		t.Helper()
		out := decode[struct {
			SearchHotels struct {
				Edges []struct {
					Node struct{ Hotel struct{ Name string } }
				}
			}
		}](t, b.do(t, "", search, map[string]any{"input": map[string]any{
			"near": map[string]any{"lat": 48.8566, "lon": 2.3522, "radiusKm": 1}, "checkIn": "2027-06-24", "checkOut": "2027-06-26",
			"price": map[string]any{"max": 11000, "currency": "USD"},
		}}))
		for _, e := range out.SearchHotels.Edges {
			if e.Node.Hotel.Name == "Hotel Lumiere" {
				return true
			}
		}
		return false
	}
	if !lumiere() {
		t.Fatal("Hotel Lumiere is not under 110 USD a night at the seeded rate")
	}

	// EUR changes and LYD (three decimals, no rate yet) is added; GBP is
	// given at its rate and keeps its version.
	out := decode[setExchangeRatesPayload](t, b.do(t, admin, setExchangeRates, rateInput("eur", 0.8, "LYD", 4.85, "GBP", 0.79)))
	want := []exchangeRate{{"EUR", 0.8, 2, 2}, {"LYD", 4.85, 3, 1}, {"GBP", 0.79, 2, 1}}
	if got := out.SetExchangeRates; len(got.UserErrors) > 0 || len(got.Rates) != 3 ||
		got.Rates[0] != want[0] || got.Rates[1] != want[1] || got.Rates[2] != want[2] {
		t.Fatalf("setExchangeRates: %+v, want rates %+v", got, want)
	}
	// 100 EUR at 0.80 a dollar is 125 USD: out of the range now.
	if lumiere() {
		t.Fatal("Hotel Lumiere still under 110 USD a night after EUR fell to 0.80 a dollar")
	}

	// Anyone reads them, by currency.
	read := decode[struct{ ExchangeRates []exchangeRate }](t, b.do(t, "",
		`{ exchangeRates(currencies: ["lyd", "EUR", "XXX"]) { currency perUsd minorDigits version } }`, nil))
	if r := read.ExchangeRates; len(r) != 2 || r[0] != want[0] || r[1] != want[1] {
		t.Fatalf("exchangeRates: %+v", r)
	}

	// The trail records the change of EUR and who made it, not GBP's
	// unchanged rate.
	trail := decode[auditPage](t, b.do(t, admin, auditLogQuery, map[string]any{"entity": "EXCHANGE_RATE", "first": 10}))
	var entries []string
	for _, e := range trail.AuditLog.Edges {
		entries = append(entries, e.Node.Action+" "+e.Node.EntityID)
		if e.Node.EntityID == "EUR" {
			changed := map[string]bool{}
			for _, c := range e.Node.Changes {
				changed[c.Field] = true
			}
			if e.Node.Actor != "ADMIN:user-ADMIN" || !changed["per_usd"] || !changed["version"] || len(changed) != 2 {
				t.Errorf("EUR entry: %+v", e.Node)
			}
		}
	}
	if len(entries) != 2 || entries[0] != "INSERT LYD" && entries[1] != "INSERT LYD" {
		t.Fatalf("exchange rate entries %v, want EUR's update and LYD's insert", entries)
	}
	byCode := decode[auditPage](t, b.do(t, admin, auditLogQuery, map[string]any{"entity": "EXCHANGE_RATE", "entityId": "eur"}))
	if len(byCode.AuditLog.Edges) != 1 || byCode.AuditLog.Edges[0].Node.EntityID != "EUR" {
		t.Fatalf("EUR's entries: %+v", byCode.AuditLog.Edges)
	}
}

// Bad rates are input errors naming the rate at fault, and none of the
// call's rates is written; only admins set them.
func TestSetExchangeRatesRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := token(t, auth.RoleAdmin)
	for _, c := range []struct {
		vars  map[string]any
		field string
	}{
		{rateInput("EUR", 0.5, "EURO", 1.0), "input.rates.1.currency"},
		{rateInput("EUR", 0.5, "XTS", 1.0), "input.rates.1.currency"}, // ISO's code for tests, no currency
		{rateInput("EUR", 0.5, "eur", 0.6), "input.rates.1.currency"},
		{rateInput("EUR", 0.5, "USD", 1.1), "input.rates.1.perUsd"},
		{rateInput("EUR", 0.5, "GBP", 0), "input.rates.1.perUsd"},
		{rateInput("EUR", 0.5, "GBP", -0.79), "input.rates.1.perUsd"},
		{rateInput("EUR", 0.5, "GBP", 2e9), "input.rates.1.perUsd"},
		{rateInput(), "input.rates"},
	} {
		res := b.do(t, admin, setExchangeRates, c.vars)
		out := decode[setExchangeRatesPayload](t, res)
		ue := out.SetExchangeRates.UserErrors
		if len(ue) != 1 || ue[0].Code != "INVALID_INPUT" || strings.Join(ue[0].Field, ".") != c.field || out.SetExchangeRates.Rates != nil {
			t.Errorf("%v: %+v, want INVALID_INPUT at %s", c.vars, out.SetExchangeRates, c.field)
		}
	}
	var eur float64
	var version int
	if err := b.pool.QueryRow(t.Context(), `SELECT per_usd::float8, version FROM exchange_rates WHERE currency = 'EUR'`).Scan(&eur, &version); err != nil {
		t.Fatal(err)
	}
	if eur != 0.92 || version != 1 {
		t.Fatalf("EUR is %v (version %d) after refused calls, want 0.92 unchanged", eur, version)
	}

	for _, tok := range []string{token(t, auth.RoleStaff, uuid.New()), token(t, auth.RoleGuest)} {
		if res := b.do(t, tok, setExchangeRates, rateInput("EUR", 0.5)); res.code() != "FORBIDDEN" {
			t.Errorf("%s %+v, want FORBIDDEN", res.Data, res.Errors)
		}
	}
	if res := b.do(t, "", setExchangeRates, rateInput("EUR", 0.5)); res.code() != "UNAUTHENTICATED" {
		t.Errorf("anonymous: %s %+v", res.Data, res.Errors)
	}
}
