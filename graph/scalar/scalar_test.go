package scalar

import (
	"encoding/json"
	"strings"
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

// Int takes whole numbers only, never strings, within its Go type.
func TestIntIsReadStrictly(t *testing.T) {
	if n, err := UnmarshalInt(json.Number("42")); n != 42 || err != nil {
		t.Errorf("42: %d %v", n, err)
	}
	if n, err := UnmarshalInt64(int64(7)); n != 7 || err != nil {
		t.Errorf("7: %d %v", n, err)
	}
	for _, c := range []struct {
		read func() error
		want string
	}{
		{func() error { _, err := UnmarshalInt("5"); return err }, "not a string"},
		{func() error { _, err := UnmarshalInt(json.Number("1.5")); return err }, "not a whole number"},
		{func() error { _, err := UnmarshalInt(json.Number("1e30")); return err }, "too large"},
		{func() error { _, err := UnmarshalInt64(json.Number("99999999999999999999")); return err }, "too large"},
		{func() error { _, err := UnmarshalInt32(json.Number("3000000000")); return err }, "too large"},
	} {
		if err := c.read(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v, want an error saying %q", err, c.want)
		}
	}
}
