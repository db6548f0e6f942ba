package explorer

import (
	"os"
	"strings"
	"testing"
)

// A travel site's first call is a search: the explorer's examples run one,
// and what follows a booking beyond cancelling (the balance, a partner's
// key), in the bundle users get as in its source.
func TestExamplesShowSearchAndWhatFollowsABooking(t *testing.T) {
	src, err := os.ReadFile("web/src/examples.js")
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile("dist/explorer.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"searchHotels(input: $input", "payBalance(input: $input)", "createApiKey(input: $input)"} {
		if !strings.Contains(string(src), op) {
			t.Errorf("web/src/examples.js has no example of %s", op)
		}
		if !strings.Contains(string(js), op) {
			t.Errorf("dist/explorer.js bundles no example of %s: run build.sh", op)
		}
	}
}
