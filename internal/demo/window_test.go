package demo

import (
	"testing"

	"github.com/staygraph/staygraph/internal/booking"
)

// The demo rates every night the API sells: from yesterday (UTC), the first
// rated night, to the night of the last check-in, booking.MaxDaysAhead days
// after the business date of a hotel a day ahead of UTC (Kiritimati). It
// rated 365 nights, and a dev server's search for check-ins in its last
// two or three days found nothing though the API accepted them.
func TestDefaultNightsCoverTheSellWindow(t *testing.T) {
	// nights from today-1 to today+1+MaxDaysAhead, both included
	if need := booking.MaxDaysAhead + 3; DefaultNights < need {
		t.Errorf("DefaultNights = %d: the demo leaves the last %d nights on sale unpriced", DefaultNights, need-DefaultNights)
	}
}
