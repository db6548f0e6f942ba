package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

// 'staygraph rotate-keys' re-seals bookings written under k1 with k2,
// reports progress, and does nothing the second time.
func TestRotateKeysCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, url := pgtest.NewDBURL(t)
	k1 := pii.Key{ID: "k1", Secret: pii.GenerateKey()}
	k2 := pii.Key{ID: "k2", Secret: pii.GenerateKey()}
	index := base64.StdEncoding.EncodeToString(pii.GenerateKey())
	old, err := pii.ParseKeyring(pii.FormatKeys([]pii.Key{k1}), index)
	if err != nil {
		t.Fatal(err)
	}

	admin := auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"})
	cat, h, plan, today := londonHotel(t, pool)
	svc := booking.NewService(pool, cat, nil, nil, booking.Opts{PII: old})
	var ids []uuid.UUID
	for i := range 5 {
		held, err := svc.Hold(guestOf(ctx, i), booking.HoldInput{
			IdempotencyKey: "h", HotelID: h.ID, CheckIn: today.AddDate(0, 0, 7), CheckOut: today.AddDate(0, 0, 8),
			Contact: booking.Contact{Email: fmt.Sprintf("guest%d@example.org", i), Phone: "+44 20 7946 0958"},
			Rooms: []booking.RoomRequest{{RatePlanID: plan.ID, Party: booking.Party{Adults: 2, ChildAges: []int{}},
				Guests: []booking.GuestName{{GivenName: "Zebulon", FamilyName: fmt.Sprint("Quartermaine", i)}}}}})
		checkErr(t, err)
		ids = append(ids, held.ID)
	}
	// One was cancelled with a reason, personal data sealed like the contact.
	const reason = "Zebulon is ill: call +44 20 7946 0958"
	_, _, err = svc.Cancel(guestOf(ctx, 3), booking.CancelInput{IdempotencyKey: "c", BookingID: ids[3], Reason: reason})
	checkErr(t, err)

	args := []string{"--database-url", url, "--pii-keys", pii.FormatKeys([]pii.Key{k2, k1}), "--pii-index-key", index, "--batch-size", "2"}
	var out bytes.Buffer
	checkErr(t, rotateKeys(ctx, args, &out))
	for _, want := range []string{"re-sealing personal data with key k2", "bookings: 2 of 5 rows re-sealed", "bookings: 5 of 5 rows re-sealed",
		"booking_guests: 5 of 5 rows re-sealed", "done: 5 bookings, 5 guests and 0 refunds re-sealed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	checkErr(t, rotateKeys(ctx, args, &out))
	if !strings.Contains(out.String(), "nothing to do: all personal data is sealed with k2") {
		t.Errorf("second run:\n%s", out.String())
	}

	// k1 is no longer needed.
	onlyK2, err := pii.ParseKeyring(pii.FormatKeys([]pii.Key{k2}), index)
	checkErr(t, err)
	after := booking.NewService(pool, cat, nil, nil, booking.Opts{PII: onlyK2})
	for i, id := range ids {
		b, err := after.Booking(admin, id)
		checkErr(t, err)
		guests, err := after.GuestsOf(admin, []uuid.UUID{id})
		checkErr(t, err)
		wantReason := ""
		if i == 3 {
			wantReason = reason
		}
		if b.ContactEmail != fmt.Sprintf("guest%d@example.org", i) || b.ContactPhone != "+44 20 7946 0958" || b.CancelReason != wantReason ||
			len(guests[id]) != 1 || guests[id][0].FamilyName != fmt.Sprint("Quartermaine", i) {
			t.Errorf("booking %d after rotation: %q %q %q %+v", i, b.ContactEmail, b.ContactPhone, b.CancelReason, guests[id])
		}
	}

	// Without the old key while values still need it, it stops and says which key is missing.
	_, err = svc.Hold(auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleGuest, Subject: "late"}), booking.HoldInput{
		IdempotencyKey: "h", HotelID: h.ID, CheckIn: today.AddDate(0, 0, 7), CheckOut: today.AddDate(0, 0, 8),
		Contact: booking.Contact{Email: "late@example.org"}, Rooms: []booking.RoomRequest{{RatePlanID: plan.ID,
			Party: booking.Party{Adults: 1, ChildAges: []int{}}, Guests: []booking.GuestName{{GivenName: "Late", FamilyName: "Comer"}}}}})
	checkErr(t, err)
	err = rotateKeys(ctx, []string{"--database-url", url, "--pii-keys", pii.FormatKeys([]pii.Key{k2}), "--pii-index-key", index}, &out)
	if !errors.Is(err, pii.ErrUnknownKey) || !strings.Contains(err.Error(), `"k1"`) {
		t.Fatalf("rotation without k1: %v", err)
	}
}

// londonHotel is a hotel with six double rooms and a flexible rate for the
// next 60 nights, from today.
func londonHotel(t *testing.T, pool *pgxpool.Pool) (*catalog.Service, catalog.Hotel, catalog.RatePlan, time.Time) {
	t.Helper()
	admin := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleAdmin, Subject: "admin"})
	cat := catalog.NewService(pool)
	h, err := cat.CreateHotel(admin, catalog.HotelFields{Name: "Hotel", TimeZone: "Europe/London", Location: catalog.GeoPoint{Lat: 51.5, Lon: -0.1},
		Address: catalog.Address{Line1: "1 Strand", City: "London", CountryCode: "GB"}, Currency: "GBP", StarRating: 3,
		CheckInTime: catalog.DefaultCheckIn, CheckOutTime: catalog.DefaultCheckOut})
	checkErr(t, err)
	rt, err := cat.CreateRoomType(admin, h.ID, catalog.RoomTypeFields{Name: "Double", MaxAdults: 2, MaxChildren: 0, MaxOccupancy: 2})
	checkErr(t, err)
	_, err = booking.NewService(pool, cat, nil, nil, booking.Opts{}).AddRooms(admin, cat, rt.ID, []string{"1", "2", "3", "4", "5", "6"})
	checkErr(t, err)
	plan, err := cat.CreateRatePlan(admin, rt.ID, catalog.RatePlanFields{Name: "Flexible", DepositPolicy: catalog.DepositPolicy{Kind: catalog.DepositFull}})
	checkErr(t, err)
	today := booking.Date(time.Now())
	_, _, err = cat.SetRates(admin, plan.ID, today, today.AddDate(0, 0, 60), 9000)
	checkErr(t, err)
	return cat, h, plan, today
}

// guestOf is the context of guest number i.
func guestOf(ctx context.Context, i int) context.Context {
	return auth.WithPrincipal(ctx, &auth.Principal{Role: auth.RoleGuest, Subject: fmt.Sprint("g", i)})
}

// serve and rotate-keys refuse to run without keys and say how to make them.
func TestCommandsRequirePIIKeys(t *testing.T) {
	t.Parallel()
	url := "postgres://nobody@127.0.0.1:1/none?sslmode=disable" // never reached
	for name, run := range map[string]func() error{
		"serve": func() error { return runServe(context.Background(), []string{"--database-url", url}) },
		"rotate-keys": func() error {
			return rotateKeys(context.Background(), []string{"--database-url", url}, &bytes.Buffer{})
		},
		"serve with a short key": func() error {
			return runServe(context.Background(), []string{"--database-url", url, "--pii-keys", "k1:c2hvcnQ=", "--pii-index-key", base64.StdEncoding.EncodeToString(pii.GenerateKey())})
		},
	} {
		err := run()
		if err == nil {
			t.Errorf("%s started without usable keys", name)
			continue
		}
		if strings.HasPrefix(name, "serve with") {
			if !strings.Contains(err.Error(), "32") {
				t.Errorf("%s: %v", name, err)
			}
		} else if !errors.Is(err, errNoPIIKeys) || !strings.Contains(err.Error(), "openssl rand -base64 32") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// dev makes its keys once and reads the same ones on every start.
func TestDevKeysPersist(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	load := func() (string, string) {
		f := newFlags("dev")
		p := addPIIFlags(f)
		checkErr(t, f.parse(nil))
		checkErr(t, p.devDefaults(dir))
		k, err := p.keyring()
		checkErr(t, err)
		if k.Primary() != "k1" {
			t.Fatalf("dev primary key %s", k.Primary())
		}
		return *p.keys, *p.indexKey
	}
	keys1, index1 := load()
	keys2, index2 := load()
	if keys1 != keys2 || index1 != index2 || keys1 == "" || index1 == "" {
		t.Fatal("dev keys changed between starts")
	}
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
