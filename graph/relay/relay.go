// Package relay implements the Relay server conventions: opaque global ids
// that name an object's type, and opaque cursors for keyset pagination.
package relay

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/apperr"
)

// Node is any object with a global id. The GraphQL layer resolves ids of the
// concrete types; the Go interface is empty so domain types need no methods.
type Node interface{}

// Kind names an object type inside a global id.
type Kind string

// Kinds of objects with global ids.
const (
	KindHotel    Kind = "Hotel"
	KindRoomType Kind = "RoomType"
	KindRoom     Kind = "Room"
	KindRatePlan Kind = "RatePlan"
	KindAPIKey   Kind = "ApiKey"
	KindBooking  Kind = "Booking"
	// KindNotification names a message about a booking.
	KindNotification Kind = "Notification"
	// KindPayment names a charge attempt on a booking.
	KindPayment Kind = "Payment"
	// KindRefund names money owed back on a booking.
	KindRefund Kind = "Refund"
	// KindMaintenanceBlock names a room taken out of sale for some nights.
	KindMaintenanceBlock Kind = "MaintenanceBlock"
)

// ID encodes a global id for an object of kind. A page of search results
// has a hundred or more: it allocates only the string it returns.
func ID(kind Kind, id uuid.UUID) string {
	var buf [64]byte
	raw := append(buf[:0], kind...)
	raw = append(raw, ':')
	raw = hex.AppendEncode(raw, id[:4])
	for _, part := range [][]byte{id[4:6], id[6:8], id[8:10], id[10:]} {
		raw = hex.AppendEncode(append(raw, '-'), part)
	}
	var enc [88]byte
	if n := base64.RawURLEncoding.EncodedLen(len(raw)); n <= len(enc) {
		base64.RawURLEncoding.Encode(enc[:n], raw)
		return string(enc[:n])
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// Parse decodes any global id into its kind and uuid.
func Parse(gid string) (Kind, uuid.UUID, error) {
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", uuid.Nil, fmt.Errorf("malformed id")
	}
	kind, rest, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", uuid.Nil, fmt.Errorf("malformed id")
	}
	id, err := uuid.Parse(rest)
	if err != nil {
		return "", uuid.Nil, fmt.Errorf("malformed id")
	}
	return Kind(kind), id, nil
}

// Decode decodes a global id that must be of kind; the error is an
// INVALID_INPUT for the given input field path.
func Decode(kind Kind, gid string, field ...string) (uuid.UUID, error) {
	k, id, err := Parse(gid)
	if err != nil || k != kind {
		return uuid.Nil, apperr.Invalid(fmt.Sprintf("%s is not the id of a %s", apperr.Quote(gid), kind), field...)
	}
	return id, nil
}

// Cursor encodes a keyset position in a list of objects of kind; the kind
// is part of it, so a cursor of one list is refused by another.
func Cursor(kind Kind, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c:" + string(kind) + ":" + id.String()))
}

// ParseCursor decodes a cursor made by Cursor for a list of kind; "" means
// the start. A cursor of another list is INVALID_INPUT, like a malformed
// one. (A cursor without a kind, as the previous release made them, is
// still read, for clients paging through a deploy.)
func ParseCursor(kind Kind, c string) (uuid.NullUUID, error) {
	if c == "" {
		return uuid.NullUUID{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		rest, ok := strings.CutPrefix(string(raw), "c:"+string(kind)+":")
		if !ok && len(raw) == len("c:")+36 { // the previous release's, without a kind
			rest, ok = strings.CutPrefix(string(raw), "c:")
		}
		if id, err := uuid.Parse(rest); ok && err == nil {
			return uuid.NullUUID{UUID: id, Valid: true}, nil
		}
		if strings.HasPrefix(string(raw), "c:") {
			return uuid.NullUUID{}, apperr.Invalid(fmt.Sprintf("the cursor is not one of this list of %ss", kind), "after")
		}
	}
	return uuid.NullUUID{}, apperr.Invalid("malformed cursor", "after")
}
