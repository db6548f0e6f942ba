package postgres_test

import (
	"slices"
	"testing"
)

// A one-letter possessive ("K's House") is not an elision: it looks for
// "k" and "house", as Elasticsearch's token "k's" (one edit at three
// letters) finds them, not for "s" and "house", which every hotel with a
// possessive in its name has ("Mel's Guest House").
func TestAOneLetterPossessiveIsNotAnElision(t *testing.T) {
	t.Parallel()
	engine := textCatalog(t, textHotel{"K's House Kyoto", "Kyoto", "JP", "Asia/Tokyo"},
		textHotel{"Mel's Guest House", "Boston", "US", "America/New_York"})
	got := hotelsFound(t, engine, "K's House")
	if !slices.Contains(got, "K's House Kyoto") || slices.Contains(got, "Mel's Guest House") {
		t.Errorf("\"K's House\" found %q, want K's House Kyoto and not Mel's Guest House", got)
	}
}
