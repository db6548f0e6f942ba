package textfield_test

import (
	"testing"

	"github.com/staygraph/staygraph/internal/textfield"
)

func TestTrimLeavesWhatShows(t *testing.T) {
	for in, want := range map[string]string{
		"  Ana ":                   "Ana",
		"\u200b":                   "",
		"\u3164\u200b \u2800":      "",
		"\ufeffHôtel du Lac\u00ad": "Hôtel du Lac",
		"Ana\u200dLima":            "Ana\u200dLima", // inside a name, a joiner stays
		"👩\u200d👩\u200d👧":          "👩\u200d👩\u200d👧",
		"\u115f\u1160\uffa0":       "",
	} {
		if got := textfield.Trim(in); got != want {
			t.Errorf("Trim(%q) = %q, want %q", in, got, want)
		}
	}
}
