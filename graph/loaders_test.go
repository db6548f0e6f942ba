package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/staygraph/staygraph/internal/auth"
)

// The elements of a list under which fields wait on data loaders are
// marshalled together, so their loads are batched: the room types of a
// page of hotels are one query, not one per hotel.
func TestListElementsLoadTogether(t *testing.T) {
	t.Parallel()
	b, rec := setupTraced(t, true)
	admin := token(t, auth.RoleAdmin)
	const hotels = 5
	for i := range hotels {
		gid := b.newHotel(t, fmt.Sprintf("Batched %d", i))
		res := b.do(t, admin, `mutation($h: ID!) { createRoomType(input: {hotelId: $h, name: "Twin", maxAdults: 2, maxChildren: 0, maxOccupancy: 2}) { userErrors { code } } }`, map[string]any{"h": gid})
		if len(res.Errors) > 0 {
			t.Fatalf("create room type: %+v", res.Errors)
		}
	}
	res := b.do(t, admin, `{ hotels(first: 10) { edges { node { name roomTypes { name } } } } }`, nil)
	if len(res.Errors) > 0 {
		t.Fatalf("hotels: %+v", res.Errors)
	}
	if got := strings.Count(string(res.Data), `"Twin"`); got != hotels {
		t.Fatalf("%d room types on the page, want %d: %s", got, hotels, res.Data)
	}
	queries := 0
	for _, s := range rec.Ended() {
		for _, a := range s.Attributes() {
			if a.Key == "db.statement" && strings.Contains(a.Value.AsString(), "ListRoomTypesByHotels") {
				queries++
			}
		}
	}
	// one batch; two if the machine is slow enough to split it
	if queries == 0 || queries > 2 {
		t.Fatalf("the page's room types took %d queries for %d hotels", queries, hotels)
	}
}
