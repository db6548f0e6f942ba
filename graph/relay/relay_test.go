package relay

import (
	"encoding/base64"
	"testing"

	"github.com/google/uuid"
)

// ID is the base64 (URL alphabet, unpadded) of "Kind:uuid", read back by
// Parse, for every kind and for a kind longer than any there is.
func TestIDRoundTrips(t *testing.T) {
	kinds := []Kind{KindHotel, KindRoomType, KindRoom, KindRatePlan, KindAPIKey, KindBooking, KindNotification,
		KindRefund, KindPayment, KindMaintenanceBlock, Kind("AKindWithAVeryLongNameIndeedLongerThanAnyOther")}
	for _, kind := range kinds {
		for _, id := range []uuid.UUID{uuid.Nil, uuid.Max, uuid.MustParse("01a2195e-232d-72ad-bbec-8885bc3736e7")} {
			gid := ID(kind, id)
			if want := base64.RawURLEncoding.EncodeToString([]byte(string(kind) + ":" + id.String())); gid != want {
				t.Fatalf("ID(%s, %s) = %s, want %s", kind, id, gid, want)
			}
			if k, got, err := Parse(gid); err != nil || k != kind || got != id {
				t.Fatalf("Parse(%s) = %s %s %v", gid, k, got, err)
			}
		}
	}
	id := uuid.New()
	if n := testing.AllocsPerRun(100, func() { _ = ID(KindRoomType, id) }); n != 1 {
		t.Fatalf("ID allocates %v times, want once", n)
	}
}
