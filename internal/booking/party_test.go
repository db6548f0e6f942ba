package booking

import (
	"math"
	"strings"
	"testing"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/catalog"
)

// A party past MaxPartySize is refused as too big, even when adults and
// children add up past the largest int (the sum would wrap negative).
func TestPartyBoundHasNoOverflow(t *testing.T) {
	rt := catalog.RoomType{Name: "Double", MaxAdults: 2, MaxChildren: 2, MaxOccupancy: 4}
	for _, p := range []Party{
		{Adults: 21},
		{Adults: 1, ChildAges: make([]int, 20)},
		{Adults: math.MaxInt, ChildAges: make([]int, 1)},
	} {
		err := checkParty(rt, p, []string{"rooms", "0"})
		if !apperr.HasCode(err, apperr.InvalidInput) || !strings.Contains(err.Error(), "at most 20 guests") {
			t.Errorf("%d adults, %d children: %v, want INVALID_INPUT: at most 20 guests", p.Adults, len(p.ChildAges), err)
		}
	}
	if err := checkParty(rt, Party{Adults: 2, ChildAges: []int{4}}, nil); err != nil {
		t.Errorf("2 adults and a child of 4 in a double: %v", err)
	}
}
