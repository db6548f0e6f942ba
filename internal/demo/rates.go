package demo

import (
	"math"
	"time"

	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/money"
)

// rateRun is one SetRates call: the nights from..to inclusive, counted from
// the first night of rates, at amount minor units.
type rateRun struct {
	from, to int
	amount   int64
}

// nightlyPrices returns the price of each of nights nights from first, and
// the price each night would have without the Friday and Saturday premium.
//
// A price is the city's mid-range price in its currency (localPrice) × the star factor × the room type
// factor × the rate plan factor × a seasonal factor that changes by month,
// × the hotel's weekend factor on Friday and Saturday nights, rounded to three
// significant digits as a hotel would.
func nightlyPrices(h hotelSpec, rt roomTypeSpec, rp ratePlanSpec, first time.Time, nights int) (prices, weekday []int64) {
	prices = make([]int64, nights)
	weekday = make([]int64, nights)
	base := float64(h.city.localPrice()) * starFactors[h.fields.StarRating] * rt.factor * rp.factor
	for d := range nights {
		night := first.AddDate(0, 0, d)
		p := base * seasonFactor(h.city.Lat, night.Month())
		weekday[d] = roundPrice(p)
		prices[d] = weekday[d]
		if wd := night.Weekday(); wd == time.Friday || wd == time.Saturday {
			prices[d] = roundPrice(p * h.weekend)
		}
	}
	return prices, weekday
}

// localPrice is the city's mid-range price level (USD) in minor units of
// its currency, at the indicative exchange rate, to three significant digits.
func (c City) localPrice() int64 {
	return roundPrice(float64(c.USD) * perUSD[c.Currency] * math.Pow10(money.MinorDigits(c.Currency)))
}

// seasonFactor is a yearly wave over the months: high season in July north
// of the tropics, in January south of them, and a gentler wave peaking in
// January (the dry, holiday season of most tropical destinations) between
// them.
func seasonFactor(lat float64, m time.Month) float64 {
	amplitude, peak := 0.18, time.July
	switch {
	case math.Abs(lat) < 23.44:
		amplitude, peak = 0.08, time.January
	case lat < 0:
		peak = time.January
	}
	return 1 + amplitude*math.Cos(2*math.Pi*float64(m-peak)/12)
}

// roundPrice rounds to three significant digits: 18437 → 18400.
func roundPrice(p float64) int64 {
	unit := 1.0
	for p/unit >= 1000 {
		unit *= 10
	}
	return int64(math.Round(p/unit) * unit)
}

// rateRuns plans the SetRates calls that give every night its price. It first
// paints runs of equal weekday prices (one per season, at most
// catalog.MaxRateNights nights each), then paints over the nights whose price
// differs (the weekends), one call per run of equal prices. For a year of
// rates that is about 13 + 52 calls instead of one per run of the final
// prices (about 105).
func rateRuns(prices, weekday []int64) []rateRun {
	var runs []rateRun
	for i := 0; i < len(weekday); {
		j := i
		for j+1 < len(weekday) && weekday[j+1] == weekday[i] && j+1-i < catalog.MaxRateNights {
			j++
		}
		runs = append(runs, rateRun{from: i, to: j, amount: weekday[i]})
		i = j + 1
	}
	for i := 0; i < len(prices); {
		if prices[i] == weekday[i] {
			i++
			continue
		}
		j := i
		for j+1 < len(prices) && prices[j+1] == prices[i] && prices[j+1] != weekday[j+1] && j+1-i < catalog.MaxRateNights {
			j++
		}
		runs = append(runs, rateRun{from: i, to: j, amount: prices[i]})
		i = j + 1
	}
	return runs
}
