package hoteldate_test

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones resolve even where the host has no zoneinfo

	"github.com/staygraph/staygraph/internal/hoteldate"
)

func TestBusinessDateRollsAtSixLocal(t *testing.T) {
	t.Parallel()
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	pagoPago, kiritimati, paris, newYork := zone("Pacific/Pago_Pago"), zone("Pacific/Kiritimati"), zone("Europe/Paris"), zone("America/New_York")
	cases := []struct {
		name string
		at   time.Time
		loc  *time.Location
		want string
	}{
		{"midnight is still the day before", time.Date(2027, 6, 10, 0, 0, 0, 0, pagoPago), pagoPago, "2027-06-09"},
		{"04:50 in Pago Pago", time.Date(2027, 6, 10, 4, 50, 0, 0, pagoPago), pagoPago, "2027-06-09"},
		{"a second before six", time.Date(2027, 6, 10, 5, 59, 59, 999999999, pagoPago), pagoPago, "2027-06-09"},
		{"six rolls the date", time.Date(2027, 6, 10, 6, 0, 0, 0, pagoPago), pagoPago, "2027-06-10"},
		{"the evening", time.Date(2027, 6, 10, 23, 59, 0, 0, pagoPago), pagoPago, "2027-06-10"},
		// One instant, read in each hotel's zone: 2027-06-10T12:30Z.
		{"01:30 on the 10th in Pago Pago", time.Date(2027, 6, 10, 12, 30, 0, 0, time.UTC), pagoPago, "2027-06-09"},
		{"02:30 on the 11th in Kiritimati", time.Date(2027, 6, 10, 12, 30, 0, 0, time.UTC), kiritimati, "2027-06-10"},
		// Wall-clock hours across daylight saving changes, as PostgreSQL's
		// (t AT TIME ZONE zone) - interval '6 hours' counts them: only
		// 5 hours of real time separate midnight from 06:00 when Paris
		// springs forward, 7 when New York falls back.
		{"05:30 when Paris springs forward", time.Date(2027, 3, 28, 5, 30, 0, 0, paris), paris, "2027-03-27"},
		{"06:30 when Paris springs forward", time.Date(2027, 3, 28, 6, 30, 0, 0, paris), paris, "2027-03-28"},
		{"05:59 when New York falls back", time.Date(2027, 11, 7, 5, 59, 0, 0, newYork), newYork, "2027-11-06"},
		{"06:00 when New York falls back", time.Date(2027, 11, 7, 6, 0, 0, 0, newYork), newYork, "2027-11-07"},
	}
	for _, c := range cases {
		got := hoteldate.BusinessDate(c.at, c.loc)
		if got.Format(time.DateOnly) != c.want || got.Location() != time.UTC || got.Hour() != 0 || got.Minute() != 0 {
			t.Errorf("%s (%s): business date %v, want %s at UTC midnight", c.name, c.at.In(c.loc).Format(time.RFC3339), got, c.want)
		}
	}
}

func TestDateIsTheCalendarDateOfItsLocation(t *testing.T) {
	t.Parallel()
	tokyo := time.FixedZone("JST", 9*3600)
	at := time.Date(2027, 6, 10, 20, 0, 0, 0, time.UTC)
	if got := hoteldate.Date(at.In(tokyo)); !got.Equal(time.Date(2027, 6, 11, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("20:00 UTC in Tokyo: %v, want 2027-06-11", got)
	}
	if got := hoteldate.Date(at); !got.Equal(time.Date(2027, 6, 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("20:00 UTC: %v, want 2027-06-10", got)
	}
}

// A night ends at 06:00 on the next morning's wall clock, also across a
// daylight saving change, and from then on the business date is the next day.
func TestEndsIsWhenTheBusinessDateRolls(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for night, want := range map[string]string{
		"2027-03-27": "2027-03-28T04:00:00Z", // the clocks go forward that night: 06:00 CEST
		"2027-10-30": "2027-10-31T05:00:00Z", // and back: 06:00 CET
		"2027-12-31": "2028-01-01T05:00:00Z",
	} {
		d, _ := time.Parse(time.DateOnly, night)
		end := hoteldate.Ends(d, paris)
		if got := end.UTC().Format(time.RFC3339); got != want {
			t.Errorf("the night of %s ends at %s, want %s", night, got, want)
		}
		if !hoteldate.BusinessDate(end.Add(-time.Second), paris).Equal(d) || !hoteldate.BusinessDate(end, paris).Equal(d.AddDate(0, 0, 1)) {
			t.Errorf("the business date does not roll from %s at %s", night, end)
		}
	}
}

// Zone answers what time.LoadLocation does, for names that load and names
// that do not.
func TestZoneIsLoadLocation(t *testing.T) {
	for _, name := range []string{"Europe/Berlin", "Europe/Berlin", "UTC", "Australia/Lord_Howe", "Mars/Olympus", ""} {
		got, err := hoteldate.Zone(name)
		want, wantErr := time.LoadLocation(name)
		if (err == nil) != (wantErr == nil) || err == nil && got.String() != want.String() {
			t.Errorf("Zone(%q) = %v, %v; LoadLocation: %v, %v", name, got, err, want, wantErr)
		}
	}
}

// go test ./internal/hoteldate -run XXX -bench Zone
func BenchmarkZone(b *testing.B) {
	b.Run("LoadLocation", func(b *testing.B) {
		for b.Loop() {
			if _, err := time.LoadLocation("Europe/Berlin"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Zone", func(b *testing.B) {
		for b.Loop() {
			if _, err := hoteldate.Zone("Europe/Berlin"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
