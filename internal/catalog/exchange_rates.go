package catalog

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// ExchangeRate is what one US dollar buys of a currency. Search compares,
// filters, sorts and buckets prices of hotels in every currency through
// these rates.
type ExchangeRate struct {
	Currency    string
	PerUSD      float64
	MinorDigits int // of the currency's minor unit, as amounts are stored in it
	Version     int64
	UpdatedAt   time.Time
}

// Bounds of a rate: from what a dollar buys of the dearest currency (a few
// hundredths of a dinar) to far past the cheapest (tens of thousands of a
// rial), with room for either to move a thousandfold.
const (
	minPerUSD = 1e-6
	maxPerUSD = 1e9
)

// MaxExchangeRates is the most rates one SetExchangeRates call takes: more
// than the currencies ISO 4217 lists.
const MaxExchangeRates = 300

// ExchangeRateInput is a currency's new rate.
type ExchangeRateInput struct {
	Currency string
	PerUSD   float64
}

// ExchangeRates lists the rates of the currencies given (all of them for
// none), by currency. Anyone may read them: they are what search prices in.
func (s *Service) ExchangeRates(ctx context.Context, currencies []string) ([]ExchangeRate, error) {
	codes := make([]string, 0, len(currencies))
	for _, c := range currencies {
		c, _ = money.Normalize(c)
		codes = append(codes, c)
	}
	rows, err := s.q.ListExchangeRates(ctx, codes)
	if err != nil {
		return nil, fmt.Errorf("list exchange rates: %w", err)
	}
	return exchangeRatesFromRows(rows), nil
}

// SetExchangeRates adds or changes the rates given, all or none, and
// returns them as stored (in the order given). Admins only; the audit trail
// records each change. A currency must be an active ISO 4217 one: its
// minor unit is the standard's, which amounts in it are stored in. The US
// dollar is the base: its rate is 1.
func (s *Service) SetExchangeRates(ctx context.Context, in []ExchangeRateInput) ([]ExchangeRate, error) {
	if err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	var v validator
	if len(in) == 0 || len(in) > MaxExchangeRates {
		v.fail(fmt.Sprintf("give 1 to %d rates", MaxExchangeRates), "rates")
	}
	codes := make([]string, len(in))
	seen := make(map[string]bool, len(in))
	for i, r := range in {
		at := strconv.Itoa(i)
		code, ok := money.Normalize(r.Currency)
		switch {
		case !ok:
			v.fail(fmt.Sprintf("%s is not an active ISO 4217 currency code", apperr.Quote(r.Currency)), "rates", at, "currency")
		case seen[code]:
			v.fail(fmt.Sprintf("%s is given twice", code), "rates", at, "currency")
		case code == "USD" && r.PerUSD != 1:
			v.fail("the US dollar is the base: one buys 1", "rates", at, "perUsd")
		}
		seen[code], codes[i] = true, code
		if math.IsNaN(r.PerUSD) || r.PerUSD < minPerUSD || r.PerUSD > maxPerUSD {
			v.fail(fmt.Sprintf("must be from %g to %g units of the currency per US dollar", minPerUSD, maxPerUSD), "rates", at, "perUsd")
		}
	}
	if err := v.errs.Err(); err != nil {
		return nil, err
	}
	var out []ExchangeRate
	err := s.tx(ctx, func(q *db.Queries) error {
		// in the order of the currencies, so that two calls that change
		// the same ones wait for each other rather than deadlock
		order := make([]int, len(in))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(codes[a], codes[b]) })
		for _, i := range order {
			if err := q.SetExchangeRate(ctx, db.SetExchangeRateParams{Currency: codes[i], PerUsd: in[i].PerUSD,
				MinorDigits: int16(money.MinorDigits(codes[i]))}); err != nil {
				return fmt.Errorf("set exchange rate of %s: %w", codes[i], err)
			}
		}
		rows, err := q.ListExchangeRates(ctx, codes)
		if err != nil {
			return fmt.Errorf("read exchange rates back: %w", err)
		}
		byCode := make(map[string]ExchangeRate, len(rows))
		for _, r := range exchangeRatesFromRows(rows) {
			byCode[r.Currency] = r
		}
		out = make([]ExchangeRate, len(codes))
		for i, c := range codes {
			out[i] = byCode[c]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("set exchange rates: %w", err)
	}
	return out, nil
}

func exchangeRatesFromRows(rows []db.ListExchangeRatesRow) []ExchangeRate {
	out := make([]ExchangeRate, len(rows))
	for i, r := range rows {
		out[i] = ExchangeRate{Currency: r.Currency, PerUSD: r.PerUsd, MinorDigits: int(r.MinorDigits),
			Version: r.Version, UpdatedAt: r.UpdatedAt}
	}
	return out
}
