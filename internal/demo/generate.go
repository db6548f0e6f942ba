package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/staygraph/staygraph/internal/catalog"
)

// DefaultSeed is the seed of the demo catalog when Opts.Seed is zero.
const DefaultSeed = 42

// hotelSpec is everything Load creates for one hotel.
type hotelSpec struct {
	fields    catalog.HotelFields
	city      City
	weekend   float64 // factor on Friday and Saturday nights
	roomTypes []roomTypeSpec
}

type roomTypeSpec struct {
	fields catalog.RoomTypeFields
	factor float64 // price relative to the hotel's standard double
	rooms  []string
	plans  []ratePlanSpec
}

type ratePlanSpec struct {
	fields catalog.RatePlanFields
	factor float64 // price relative to the room type's flexible price
}

var (
	nameAdjectives = []string{"Grand", "Royal", "Golden", "Silver", "Blue", "Old", "Little", "Imperial",
		"Central", "Green", "Quiet", "Hidden", "Bright", "Coral", "Northern", "Copper"}
	nameNouns = []string{"Harbour", "Garden", "Palace", "Bay", "River", "Lantern", "Orchard", "Meridian",
		"Compass", "Cedar", "Willow", "Pearl", "Summit", "Tide", "Courtyard", "Station", "Market", "Bridge",
		"Lighthouse", "Terrace", "Crown", "Olive", "Heron", "Magnolia"}
	nameKinds    = []string{"Hotel", "Hotel", "Hotel", "Suites", "Inn", "Lodge", "House", "Residences"}
	namePrefixes = []string{"Maison", "Casa", "Villa", "Hotel", "The"}

	// hotelAmenities is the vocabulary of hotel amenity codes.
	hotelAmenities = []string{"free_wifi", "pool", "spa", "gym", "parking", "restaurant", "bar",
		"airport_shuttle", "pet_friendly", "air_conditioning", "beach", "family_rooms", "accessible",
		"ev_charging", "breakfast", "room_service", "laundry", "concierge", "business_centre", "rooftop_terrace"}

	checkInTimes  = []catalog.TimeOfDay{14 * 60, 14*60 + 30, 15 * 60, 15 * 60, 16 * 60}
	checkOutTimes = []catalog.TimeOfDay{10 * 60, 10*60 + 30, 11 * 60, 11 * 60, 12 * 60}

	// starFactors scales the city's mid-range price by star rating.
	starFactors = map[int]float64{2: 0.65, 3: 0.85, 4: 1.15, 5: 1.9}
)

// roomTemplate is a kind of room type a hotel may sell.
type roomTemplate struct {
	name        string
	description string
	adults      int
	children    int
	occupancy   int
	beds        []catalog.Bed
	factor      float64
	amenities   []string // besides the hotel-wide room amenities
	minStars    int
	maxStars    int
	rooms       [2]int // min and max number of rooms
}

// roomTemplates are ordered from cheapest to dearest, the order a hotel lists
// its room types in.
var roomTemplates = []roomTemplate{
	{"Single Room", "A compact room with one single bed, for one guest.", 1, 0, 1,
		[]catalog.Bed{{Type: catalog.BedSingle, Count: 1}}, 0.75, []string{"desk"}, 2, 4, [2]int{3, 8}},
	{"Standard Double", "A double room for two, with a double bed.", 2, 1, 2,
		[]catalog.Bed{{Type: catalog.BedDouble, Count: 1}}, 1.0, nil, 2, 5, [2]int{6, 15}},
	{"Twin Room", "A room with two single beds.", 2, 0, 2,
		[]catalog.Bed{{Type: catalog.BedSingle, Count: 2}}, 1.0, []string{"desk"}, 2, 4, [2]int{4, 12}},
	{"Triple Room", "A room for three with a double and a single bed.", 3, 1, 3,
		[]catalog.Bed{{Type: catalog.BedDouble, Count: 1}, {Type: catalog.BedSingle, Count: 1}}, 1.25, nil, 2, 3, [2]int{3, 6}},
	{"Superior Queen", "A larger room with a queen bed and a sofa bed.", 2, 1, 3,
		[]catalog.Bed{{Type: catalog.BedQueen, Count: 1}, {Type: catalog.BedSofaBed, Count: 1}}, 1.15, []string{"coffee_machine"}, 3, 5, [2]int{4, 12}},
	{"Deluxe King", "A spacious room with a king bed and a view.", 2, 1, 2,
		[]catalog.Bed{{Type: catalog.BedKing, Count: 1}}, 1.35, []string{"bathtub", "coffee_machine"}, 4, 5, [2]int{4, 12}},
	{"Family Suite", "Two rooms for a family: a queen bed for the parents and bunk beds for the children.", 2, 3, 4,
		[]catalog.Bed{{Type: catalog.BedQueen, Count: 1}, {Type: catalog.BedBunk, Count: 1}, {Type: catalog.BedSofaBed, Count: 1}},
		1.8, []string{"crib", "kitchenette"}, 3, 5, [2]int{3, 6}},
	{"Junior Suite", "A suite with a king bed and a sitting area.", 2, 2, 3,
		[]catalog.Bed{{Type: catalog.BedKing, Count: 1}, {Type: catalog.BedSofaBed, Count: 1}}, 1.7, []string{"bathtub", "minibar"}, 4, 5, [2]int{3, 6}},
}

// generateHotel builds demo hotel i from the PCG stream (seed, i), so it
// depends on seed and i alone, whatever else Load does.
func generateHotel(seed uint64, i int) hotelSpec {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	city := cityOf(r, i)
	stars := pickWeighted(r, []int{2, 3, 4, 5}, []int{15, 35, 35, 15})
	name := hotelName(r, city)

	lat, lon := jitter(r, city.Lat, city.Lon, 5)
	number := 1 + r.IntN(250)
	line1 := fmt.Sprintf("%s %d", city.Street, number)
	if numberFirst[city.CountryCode] {
		line1 = fmt.Sprintf("%d %s", number, city.Street)
	}

	amenities := pickAmenities(r, stars, city.Beach)
	h := hotelSpec{
		city:    city,
		weekend: []float64{1.1, 1.15, 1.2, 1.25}[r.IntN(4)],
		fields: catalog.HotelFields{
			Name:               name,
			Description:        hotelDescription(r, name, stars, city, amenities),
			TimeZone:           city.TimeZone,
			Location:           catalog.GeoPoint{Lat: lat, Lon: lon},
			Address:            catalog.Address{Line1: line1, City: city.Name, CountryCode: city.CountryCode},
			Currency:           city.Currency,
			StarRating:         stars,
			Amenities:          amenities,
			CheckInTime:        checkInTimes[r.IntN(len(checkInTimes))],
			CheckOutTime:       checkOutTimes[r.IntN(len(checkOutTimes))],
			TaxRateBasisPoints: city.TaxBasisPoints,
		},
	}

	// Every room of the hotel gets these; room types add their own.
	common := []string{"tv", "safe", "hairdryer"}
	if slices.Contains(amenities, "air_conditioning") {
		common = append(common, "air_conditioning")
	}
	if stars >= 4 {
		common = append(common, "minibar", "rain_shower")
	} else {
		common = append(common, "kettle")
	}
	view := "city_view"
	if city.Beach {
		view = "sea_view"
	}

	for j, t := range chooseRoomTypes(r, stars) {
		floor := j + 1
		n := t.rooms[0] + r.IntN(t.rooms[1]-t.rooms[0]+1)
		rooms := make([]string, n)
		for k := range rooms {
			rooms[k] = fmt.Sprintf("%d%02d", floor, k+1)
		}
		rtAmenities := append(slices.Clone(common), t.amenities...)
		if t.factor >= 1.3 {
			rtAmenities = append(rtAmenities, view)
			if r.IntN(2) == 0 {
				rtAmenities = append(rtAmenities, "balcony")
			}
		}
		h.roomTypes = append(h.roomTypes, roomTypeSpec{
			factor: t.factor,
			rooms:  rooms,
			plans:  ratePlans(r),
			fields: catalog.RoomTypeFields{
				Name: t.name, Description: t.description,
				MaxAdults: t.adults, MaxChildren: t.children, MaxOccupancy: t.occupancy,
				Beds: slices.Clone(t.beds), Amenities: rtAmenities,
			},
		})
	}
	return h
}

// cityOf is the city of hotel i: Cities[i] for the first len(Cities)
// hotels, so every city gets one, then a city drawn by tier.
func cityOf(r *rand.Rand, i int) City {
	if i < len(Cities) {
		return Cities[i]
	}
	return Cities[pickWeighted(r, cityIndexes, cityWeights)]
}

// cityIndexes and cityWeights draw a city by tier: 4, 2 or 1 for tiers 1-3.
var cityIndexes, cityWeights = func() ([]int, []int) {
	idx, w := make([]int, len(Cities)), make([]int, len(Cities))
	for k, c := range Cities {
		idx[k], w[k] = k, 1<<(3-c.Tier)
	}
	return idx, w
}()

// hotelName makes a name such as "Grand Harbour Hotel", "Maison Cedar" or
// "Lisbon Lantern Suites".
func hotelName(r *rand.Rand, city City) string {
	noun := nameNouns[r.IntN(len(nameNouns))]
	kind := nameKinds[r.IntN(len(nameKinds))]
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("%s %s %s", nameAdjectives[r.IntN(len(nameAdjectives))], noun, kind)
	case 1:
		return fmt.Sprintf("%s %s", namePrefixes[r.IntN(len(namePrefixes))], noun)
	case 2:
		return fmt.Sprintf("%s %s %s", city.Name, noun, kind)
	default:
		return fmt.Sprintf("The %s %s", noun, kind)
	}
}

// hotelDescription writes one sentence about the hotel.
func hotelDescription(r *rand.Rand, name string, stars int, city City, amenities []string) string {
	settings := []string{
		"a short walk from " + city.Street,
		"on a quiet side street near " + city.Street,
		"in the heart of " + city.Name,
		"close to the main sights",
	}
	if city.Beach {
		settings = append(settings, "a few minutes from the beach")
	}
	var feature string
	switch {
	case slices.Contains(amenities, "spa"):
		feature = "with a spa to end the day in"
	case slices.Contains(amenities, "pool"):
		feature = "with an outdoor pool"
	case slices.Contains(amenities, "rooftop_terrace"):
		feature = "with a rooftop terrace over the city"
	case slices.Contains(amenities, "restaurant"):
		feature = "with a restaurant serving local dishes"
	default:
		feature = "with friendly staff around the clock"
	}
	return fmt.Sprintf("%s is a %d-star hotel %s, %s.", name, stars,
		settings[r.IntN(len(settings))], feature)
}

// pickAmenities picks hotel amenities; more stars, more amenities.
func pickAmenities(r *rand.Rand, stars int, beach bool) []string {
	out := []string{"free_wifi"}
	for _, a := range hotelAmenities[1:] {
		p := 0.25 + 0.12*float64(stars-2) // 25% at 2 stars, 61% at 5
		switch a {
		case "beach":
			if !beach {
				continue
			}
			p = 0.7
		case "air_conditioning", "accessible":
			p = 0.8
		case "spa", "concierge", "room_service":
			p = 0.15 * float64(stars-2) // none at 2 stars
		}
		if r.Float64() < p {
			out = append(out, a)
		}
	}
	return out
}

// chooseRoomTypes picks 2 to 4 room types that suit the star rating, always
// including the standard double, in price order.
func chooseRoomTypes(r *rand.Rand, stars int) []roomTemplate {
	var fit []int
	for k, t := range roomTemplates {
		if t.name != "Standard Double" && stars >= t.minStars && stars <= t.maxStars {
			fit = append(fit, k)
		}
	}
	r.Shuffle(len(fit), func(a, b int) { fit[a], fit[b] = fit[b], fit[a] })
	n := 1 + r.IntN(3) // plus the standard double: 2 to 4
	picked := []int{1}
	picked = append(picked, fit[:min(n, len(fit))]...)
	slices.Sort(picked)
	out := make([]roomTemplate, len(picked))
	for k, p := range picked {
		out[k] = roomTemplates[p]
	}
	return out
}

// ratePlans returns a flexible plan and, for most room types, a cheaper
// non-refundable one.
func ratePlans(r *rand.Rand) []ratePlanSpec {
	penalties := [][]catalog.PenaltyWindow{
		{{HoursBeforeCheckIn: 24, Percent: 100}},
		{{HoursBeforeCheckIn: 48, Percent: 50}, {HoursBeforeCheckIn: 24, Percent: 100}},
		{{HoursBeforeCheckIn: 72, Percent: 30}, {HoursBeforeCheckIn: 24, Percent: 100}},
	}[r.IntN(3)]
	deposit := []catalog.DepositPolicy{
		{Kind: catalog.DepositFull},
		{Kind: catalog.DepositPercent, Percent: 20},
		{Kind: catalog.DepositPercent, Percent: 30},
	}[r.IntN(3)]
	plans := []ratePlanSpec{{factor: 1, fields: catalog.RatePlanFields{
		Name:               "Flexible",
		CancellationPolicy: catalog.CancellationPolicy{Refundable: true, Penalties: penalties},
		DepositPolicy:      deposit,
	}}}
	if r.IntN(10) < 6 {
		plans = append(plans, ratePlanSpec{factor: []float64{0.85, 0.88, 0.9}[r.IntN(3)], fields: catalog.RatePlanFields{
			Name:               "Non-refundable",
			CancellationPolicy: catalog.CancellationPolicy{Refundable: false},
			DepositPolicy:      catalog.DepositPolicy{Kind: catalog.DepositFull},
		}})
	}
	return plans
}

// jitter moves a point up to km kilometres in a random direction, uniformly
// over the disc.
func jitter(r *rand.Rand, lat, lon, km float64) (float64, float64) {
	const kmPerDegree = 111.32
	d := km * math.Sqrt(r.Float64())
	angle := 2 * math.Pi * r.Float64()
	lat += d * math.Cos(angle) / kmPerDegree
	lon += d * math.Sin(angle) / (kmPerDegree * math.Cos(lat*math.Pi/180))
	switch {
	case lon > 180:
		lon -= 360
	case lon < -180:
		lon += 360
	}
	return round6(lat), round6(lon)
}

// round6 keeps six decimals (about 10 cm), as a real listing would.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func pickWeighted[T any](r *rand.Rand, items []T, weights []int) T {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for k, w := range weights {
		if n < w {
			return items[k]
		}
		n -= w
	}
	return items[len(items)-1]
}
