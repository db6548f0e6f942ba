package scalar

import (
	"testing"
	"time"
)

// Instants read from the database come in the server's zone: they are
// written in UTC wherever the server runs, while one placed in a hotel's
// zone keeps its offset.
func TestDateTimeOffsets(t *testing.T) {
	t.Parallel()
	server := time.FixedZone("server", -5*3600)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2031, 6, 12, 12, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		t    time.Time
		want string
	}{
		{"read in the server's zone", at.In(server), "2031-06-12T12:30:00Z"},
		{"placed in the hotel's zone", at.In(paris), "2031-06-12T14:30:00+02:00"},
		{"in UTC", at, "2031-06-12T12:30:00Z"},
	} {
		if got := utcUnlessPlaced(tc.t, server).Format(time.RFC3339); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
