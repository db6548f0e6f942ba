package indexer_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/indexer"
	"github.com/staygraph/staygraph/indexer/hub"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
)

// Maintenance moves availability through the change stream: subscribers of
// the hotel hear of a block, of ending it early (the nights it gives back)
// and of removing it, each for the blocked room type.
func TestMaintenanceReachesSubscribers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := hub.New(hub.Opts{})
	start(t, b, indexer.Opts{}, h)
	ctx := t.Context()
	hotel, roomType := b.cat.Hotels["montmartre"], b.cat.RoomTypes["montmartre/Double"]
	avail, cancel := h.Subscribe(ctx, hub.Filter{Kinds: []hub.Kind{hub.AvailabilityChanged}, HotelID: hotel,
		From: day("2027-06-15"), To: day("2027-07-01")})
	defer cancel()
	next := func(what string, want indexer.Nights) {
		t.Helper()
		select {
		case e := <-avail:
			if e.Nights.From.After(want.From) || e.Nights.To.Before(want.To) || !slices.Equal(e.RoomTypeIDs, []uuid.UUID{roomType}) {
				t.Errorf("%s: availabilityChanged %+v, want the double's nights %s", what, e, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no availabilityChanged", what)
		}
	}

	var room uuid.UUID
	if err := b.pool.QueryRow(ctx, "SELECT id FROM rooms WHERE room_type_id = $1", roomType).Scan(&room); err != nil {
		t.Fatal(err)
	}
	staff := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleStaff, Subject: "s", HotelIDs: []uuid.UUID{hotel}})
	blocks, _, err := b.cat.Booking.BlockRooms(staff, catalog.NewService(b.pool), booking.BlockInput{RoomIDs: []uuid.UUID{room},
		From: day("2027-06-20"), To: day("2027-06-25"), Reason: "works"})
	if err != nil {
		t.Fatal(err)
	}
	next("the block", indexer.NightsOf(day("2027-06-20"), day("2027-06-25")))

	early := day("2027-06-22")
	ended, err := b.cat.Booking.EndMaintenance(staff, booking.EndMaintenanceInput{BlockID: blocks[0].ID,
		ExpectedVersion: blocks[0].Version, From: &early})
	if err != nil {
		t.Fatal(err)
	}
	next("ending it early", indexer.NightsOf(day("2027-06-22"), day("2027-06-25")))

	if _, err := b.cat.Booking.EndMaintenance(staff, booking.EndMaintenanceInput{BlockID: ended.ID, ExpectedVersion: ended.Version}); err != nil {
		t.Fatal(err)
	}
	next("removing it", indexer.NightsOf(day("2027-06-20"), day("2027-06-22")))
}
