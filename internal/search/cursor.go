package search

import (
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
)

// Cursor is a keyset position: the sort it belongs to, the hit's sort key
// (lower comes first) and its id, which breaks ties. Engines sort by
// (key, id), so a page resumes exactly after the last hit: no duplicates,
// no gaps.
type Cursor struct {
	Sort Sort
	Key  float64
	ID   uuid.UUID
	// Engine made the cursor: the engines' keys differ (relevance scores,
	// prices), so only it can resume from it ("" in cursors made before
	// cursors named their engine).
	Engine string
}

// Encode makes the opaque cursor string.
func (c Cursor) Encode() string {
	s := fmt.Sprintf("%s|%s|%s|%s", c.Sort, strconv.FormatFloat(c.Key, 'g', -1, 64), c.ID, c.Engine)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// CheckEngine refuses a cursor another engine made.
func (c *Cursor) CheckEngine(engine string) error {
	if c == nil || c.Engine == "" || c.Engine == engine {
		return nil
	}
	return apperr.Invalid(fmt.Sprintf("this cursor comes from the %s search engine, which cannot answer now; search again from the first page", c.Engine), "after")
}

var enginePattern = regexp.MustCompile(`^([a-z][a-z0-9_:-]{0,39})?$`)

// ParseCursor decodes an opaque cursor of a query sorted by sort; "" is the start.
func ParseCursor(s string, sort Sort) (*Cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := apperr.Invalid("malformed cursor; pass endCursor of the previous page of the same search", "after")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 && len(parts) != 4 {
		return nil, bad
	}
	if from := Sort(parts[0]); from != sort {
		if !slices.Contains([]Sort{SortRelevance, SortDistance, SortPrice, SortStars}, from) {
			return nil, bad
		}
		return nil, apperr.Invalid(fmt.Sprintf("this cursor comes from a search sorted by %s, not %s; pass endCursor of the previous page of the same search", from, sort), "after")
	}
	key, err := strconv.ParseFloat(parts[1], 64)
	if err != nil || math.IsNaN(key) || math.IsInf(key, 0) {
		return nil, bad
	}
	id, err := uuid.Parse(parts[2])
	if err != nil {
		return nil, bad
	}
	c := &Cursor{Sort: sort, Key: key, ID: id}
	if len(parts) == 4 {
		// an engine's name, which CheckEngine repeats: not whatever a
		// tampered cursor carries
		if !enginePattern.MatchString(parts[3]) {
			return nil, bad
		}
		c.Engine = parts[3]
	}
	return c, nil
}
