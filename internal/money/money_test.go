package money

import "testing"

func TestBasisPointsRoundsHalfAwayFromZero(t *testing.T) {
	t.Parallel()
	cases := []struct {
		amount int64
		bps    int
		want   int64
	}{
		{10000, 1000, 1000},
		{12345, 1000, 1235}, // 1234.5 rounds up
		{12344, 1000, 1234},
		{-12345, 1000, -1235},
		{99, 5000, 50},
		{0, 2000, 0},
	}
	for _, c := range cases {
		if got := BasisPoints(c.amount, c.bps); got != c.want {
			t.Errorf("BasisPoints(%d, %d) = %d, want %d", c.amount, c.bps, got, c.want)
		}
	}
	if got := Percent(333, 50); got != 167 {
		t.Errorf("Percent(333, 50) = %d, want 167", got)
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		m    Money
		want string
	}{
		{New(12345, "EUR"), "123.45 EUR"},
		{New(-5, "USD"), "-0.05 USD"},
		{New(1500, "JPY"), "1500 JPY"},
		{New(1234, "KWD"), "1.234 KWD"},
	} {
		if got := c.m.String(); got != c.want {
			t.Errorf("%#v.String() = %q, want %q", c.m, got, c.want)
		}
	}
	if c, ok := Normalize(" eur "); !ok || c != "EUR" {
		t.Errorf("Normalize(eur) = %q, %v", c, ok)
	}
	if Valid("XXX") {
		t.Error("XXX is not a currency")
	}
}

// Card payments settle three-decimal currencies in tens of the minor unit
// and MGA in whole ariary; amounts are rounded to those steps halves up,
// and other currencies keep their minor unit.
func TestToCash(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		amount   int64
		currency string
		want     int64
	}{
		{42525, "KWD", 42530}, {42524, "KWD", 42520}, {70875, "BHD", 70880}, {5, "TND", 10}, {4, "OMR", 0},
		{12350, "MGA", 12400}, {12349, "MGA", 12300},
		{42525, "EUR", 42525}, {7, "JPY", 7},
	} {
		if got := ToCash(c.amount, c.currency); got != c.want {
			t.Errorf("ToCash(%d %s) = %d, want %d", c.amount, c.currency, got, c.want)
		}
	}
}

// A total with tax is in cash steps, rounded halves up, the rounding taken
// from the tax and never making it negative; in other currencies it is the
// amount and its tax as BasisPoints rounds it.
func TestTaxedTotal(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		amount   int64
		bps      int
		currency string
		want     int64
	}{
		{135000, 750, "KWD", 145130}, // 145.125
		{135000, 500, "KWD", 141750},
		{45000, 740, "BHD", 48330}, // 48.330
		{45000, 730, "OMR", 48290}, // 48.285
		{45003, 0, "JOD", 45010},   // rounded down, 45.000 would be less than the rates
		{45006, 0, "TND", 45010},
		{45000, 0, "KWD", 45000},
		{0, 1000, "KWD", 0},
		{12345, 1000, "MGA", 13600}, // 13579.5 → 13580 → 13600
		{12345, 0, "MGA", 12400},
		{12345, 1000, "EUR", 13580},
		{12345, 0, "EUR", 12345},
		{1999, 1000, "JPY", 2199},
	} {
		if got := TaxedTotal(c.amount, c.bps, c.currency); got != c.want {
			t.Errorf("TaxedTotal(%d, %d bps, %s) = %d, want %d", c.amount, c.bps, c.currency, got, c.want)
		}
	}
}
