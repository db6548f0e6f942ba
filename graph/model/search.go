package model

import (
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/search"
)

// SearchHit is a hit of searchHotels with the catalog rows that the
// operation selects, loaded for the whole page at once, so its fields need
// no resolver of their own.
type SearchHit struct {
	search.Hit
	Hotel  *catalog.Hotel // nil when the operation does not select it
	Offers []RoomTypeOffer
}

// RoomTypeOffer is an offer of a hit with its room type and rate plan.
type RoomTypeOffer struct {
	search.RoomTypeHit
	RoomType *catalog.RoomType // nil when the operation does not select it
	RatePlan *catalog.RatePlan // nil without dates
}
