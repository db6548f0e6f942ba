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
		"Highland Lodge 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f": "Highland Lodge 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
		"\u200fשלום\u200f": "\u200fשלום\u200f", // direction marks set how it shows
	} {
		if got := textfield.Trim(in); got != want {
			t.Errorf("Trim(%q) = %q, want %q", in, got, want)
		}
	}
}
