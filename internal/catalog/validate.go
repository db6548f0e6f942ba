package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/textfield"
)

var (
	amenityPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_]{0,39}$`)
	countryPattern = regexp.MustCompile(`^[A-Z]{2}$`)
)

// validator gathers every field error of one input.
type validator struct{ errs apperr.List }

func (v *validator) fail(msg string, field ...string) {
	v.errs = append(v.errs, apperr.Invalid(msg, append([]string{"input"}, field...)...))
}

func (v *validator) text(s string, min, max int, field ...string) string {
	s = textfield.Trim(s)
	if n := len([]rune(s)); n < min || n > max {
		if min > 0 && n == 0 {
			v.fail("must not be empty", field...)
		} else {
			v.fail(fmt.Sprintf("must be %d to %d characters", min, max), field...)
		}
	}
	return s
}

func (v *validator) intRange(n, min, max int, field ...string) {
	if n < min || n > max {
		v.fail(fmt.Sprintf("must be between %d and %d", min, max), field...)
	}
}

// amenities lower-cases, de-duplicates and sorts amenity codes such as "pool" or "free_wifi".
func (v *validator) amenities(in []string, field ...string) []string {
	out := make([]string, 0, len(in))
	for _, a := range in {
		a = strings.ToLower(strings.TrimSpace(a))
		if !amenityPattern.MatchString(a) {
			v.fail(fmt.Sprintf("amenity %s must be 1-40 characters of a-z, 0-9 and _", apperr.Quote(a)), field...)
			continue
		}
		out = append(out, a)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 50 {
		v.fail("at most 50 amenities", field...)
	}
	return out
}

// zoneAreas are the areas of IANA time zone names (Area/Location); Etc has
// the fixed offsets (Etc/GMT-3).
var zoneAreas = []string{"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific", "Etc"}

// timeZone accepts IANA names of the form Area/Location, and UTC. Other
// names the server's zone files may hold are refused: CET, EET, MET and WET
// keep summer time in Go but PostgreSQL reads them as abbreviations of
// fixed offsets (search would then keep another calendar than booking),
// and localtime or posixrules are whatever the machine is set to.
func (v *validator) timeZone(tz string, field ...string) {
	area, _, named := strings.Cut(tz, "/")
	if tz != "UTC" && (!named || !slices.Contains(zoneAreas, area)) {
		v.fail(fmt.Sprintf("%s is not an IANA time zone name of the form Area/Location such as Europe/Paris (or UTC)", apperr.Quote(tz)), field...)
		return
	}
	if _, err := hoteldate.Zone(tz); err != nil {
		v.fail(fmt.Sprintf("unknown time zone %s; use an IANA name such as Europe/Paris", apperr.Quote(tz)), field...)
	}
}

func (v *validator) currency(c string, field ...string) string {
	norm, ok := money.Normalize(c)
	if !ok {
		v.fail(fmt.Sprintf("%s is not a currency prices are kept in (an ISO 4217 code of money in circulation, such as EUR)", apperr.Quote(c)), field...)
	}
	return norm
}

func (v *validator) location(p GeoPoint, field ...string) {
	if p.Lat < -90 || p.Lat > 90 {
		v.fail("latitude must be between -90 and 90", append(field, "lat")...)
	}
	if p.Lon < -180 || p.Lon > 180 {
		v.fail("longitude must be between -180 and 180", append(field, "lon")...)
	}
}

func (v *validator) address(a Address, field ...string) Address {
	a.Line1 = v.text(a.Line1, 1, 200, append(field, "line1")...)
	a.Line2 = v.text(a.Line2, 0, 200, append(field, "line2")...)
	a.City = v.text(a.City, 1, 100, append(field, "city")...)
	a.PostalCode = v.text(a.PostalCode, 0, 20, append(field, "postalCode")...)
	a.CountryCode = strings.ToUpper(strings.TrimSpace(a.CountryCode))
	if !countryPattern.MatchString(a.CountryCode) {
		v.fail("must be an ISO 3166-1 alpha-2 code such as FR", append(field, "countryCode")...)
	}
	return a
}
