// Package hoteldate says which date it is at a hotel. Search and the booking
// core both read it, so that the nights search offers are the nights the
// booking core sells; it imports nothing of staygraph's, so any package can.
//
// A hotel's day is its business date: the day runs from Cutoff (06:00)
// local time to 06:00 the next morning, as a night audit rolls the date at
// the front desk. Until 06:00 the night that began the evening before is
// still in progress and still sold: a traveller who lands at 01:30 on the
// 11th and searches at 00:30 books the night of the 10th, as a walk-in at
// 01:30 would get it. From 06:00 that night is over and the 11th is today.
//
// Dates local to a hotel are represented as times at UTC midnight.
package hoteldate

import (
	"sync"
	"time"
)

// Cutoff is the local hour at which a hotel's business date rolls over:
// before it, it is still the previous day at the hotel, and an arrival needs
// the previous night. The SQL of the search engines spells it as
// interval '6 hours' (search.sql, confirm.sql); a test holds them to it.
const Cutoff = 6

// Date returns the calendar date of t in its own location, as a time at UTC
// midnight.
func Date(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// BusinessDate is the hotel's business date at instant t, in its zone loc:
// the date its wall clock showed Cutoff hours earlier, so the local calendar
// date from 06:00 on and the day before until 05:59:59. The hours are
// counted on the wall clock, as PostgreSQL's
// ((t AT TIME ZONE zone) - interval '6 hours')::date counts them in the
// search statements: the date rolls at 06:00 local also on the day a
// daylight saving change shifts the clock.
//
// It is also the night an arrival at instant t needs: arriving at 01:30
// takes the night that began the evening before, arriving at 06:00 that
// day's night.
func BusinessDate(t time.Time, loc *time.Location) time.Time {
	local := t.In(loc)
	d := Date(local)
	if local.Hour() < Cutoff {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// Ends is the instant business date date ends in zone loc: Cutoff on the
// next day's wall clock. From then on BusinessDate is the next day, and the
// night of date is over.
func Ends(date time.Time, loc *time.Location) time.Time {
	y, m, d := date.Date()
	return time.Date(y, m, d+1, Cutoff, 0, 0, 0, loc)
}

// zones holds the zones Zone loaded, by name: the IANA database has a few
// hundred, and only names that load are kept.
var zones sync.Map

// Zone is time.LoadLocation(name), loaded once per name: each load reads and
// parses the zone's file (~20 µs), and a list of bookings or hotels asks for
// the same few zones again and again.
func Zone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}
