package main

import (
	"context"
	"errors"
	"testing"
)

// Past bookings carry personal data: seed refuses to seal it with keys the
// server would not have.
func TestSeedPastBookingsNeedThePIIKeys(t *testing.T) {
	t.Setenv("STAYGRAPH_PII_KEYS", "")
	t.Setenv("STAYGRAPH_PII_INDEX_KEY", "")
	err := runSeed(context.Background(), []string{"--database-url", "postgres://127.0.0.1:1/none", "--past-bookings", "5"})
	if !errors.Is(err, errNoPIIKeys) {
		t.Fatalf("seed --past-bookings without keys: %v, want the message that explains the keys", err)
	}
}
