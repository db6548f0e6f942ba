package booking

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxChildAge is the oldest age that counts as a child.
const MaxChildAge = 17

// MaxPartySize bounds the guests of one room, far above any room type's.
const MaxPartySize = 20

// Party is who stays in one room.
type Party struct {
	Adults    int
	ChildAges []int
}

// ParseParty reads the compact occupancy partners send: "2" is two adults,
// "2-9,4" two adults and children aged 9 and 4.
func ParseParty(s string) (Party, error) {
	if len(s) > 100 {
		return Party{}, fmt.Errorf("occupancy: at most %d guests a room, as in \"2-9,4\"", MaxPartySize)
	}
	adults, kids, hasKids := strings.Cut(strings.TrimSpace(s), "-")
	n, err := strconv.Atoi(adults)
	if err != nil {
		return Party{}, fmt.Errorf("occupancy %q: adults must be a number, as in \"2\" or \"2-9,4\"", s)
	}
	p := Party{Adults: n, ChildAges: []int{}}
	if hasKids {
		for _, a := range strings.Split(kids, ",") {
			age, err := strconv.Atoi(strings.TrimSpace(a))
			if err != nil {
				return Party{}, fmt.Errorf("occupancy %q: child ages must be numbers, as in \"2-9,4\"", s)
			}
			p.ChildAges = append(p.ChildAges, age)
		}
	}
	return p, nil
}

// String writes the party in the compact form ParseParty reads.
func (p Party) String() string {
	if len(p.ChildAges) == 0 {
		return strconv.Itoa(p.Adults)
	}
	ages := make([]string, len(p.ChildAges))
	for i, a := range p.ChildAges {
		ages[i] = strconv.Itoa(a)
	}
	return strconv.Itoa(p.Adults) + "-" + strings.Join(ages, ",")
}
