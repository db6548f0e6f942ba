package search

import (
	"encoding/base64"
	"fmt"
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
}

// Encode makes the opaque cursor string.
func (c Cursor) Encode() string {
	s := fmt.Sprintf("%s|%s|%s", c.Sort, strconv.FormatFloat(c.Key, 'g', -1, 64), c.ID)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

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
	if len(parts) != 3 || Sort(parts[0]) != sort {
		return nil, bad
	}
	key, err := strconv.ParseFloat(parts[1], 64)
	if err != nil {
		return nil, bad
	}
	id, err := uuid.Parse(parts[2])
	if err != nil {
		return nil, bad
	}
	return &Cursor{Sort: sort, Key: key, ID: id}, nil
}
