package audit_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/audit"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
	"github.com/staygraph/staygraph/internal/postgres/pgtest"
)

type testBundle struct {
	pool     *pgxpool.Pool
	catalog  *catalog.Service
	bookings *booking.Service
	keys     *auth.APIKeys
	trail    *audit.Trail
	admin    context.Context
}

func setup(t *testing.T) testBundle {
	t.Helper()
	pool := pgtest.NewDB(t)
	cat := catalog.NewService(pool)
	return testBundle{pool: pool, catalog: cat, keys: auth.NewAPIKeys(pool), trail: audit.NewTrail(pool),
		bookings: booking.NewService(pool, cat, payment.NewRegistry(sandbox.New()), nil, booking.Opts{}),
		admin:    as(auth.RoleAdmin, "admin-1")}
}

func as(role auth.Role, subject string, hotels ...uuid.UUID) context.Context {
	return auth.WithPrincipal(context.Background(), &auth.Principal{Role: role, Subject: subject, HotelIDs: hotels})
}

// trailOf is the whole trail, oldest first.
func (b testBundle) trailOf(t *testing.T, f audit.Filter) []audit.Entry {
	t.Helper()
	entries, err := b.trail.List(b.admin, f, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(entries)-1; i < j; i, j = i+1, j-1 {
		entries[i], entries[j] = entries[j], entries[i]
	}
	return entries
}

func changes(e audit.Entry) map[string][2]string {
	out := map[string][2]string{}
	for _, c := range e.Changes {
		out[c.Field] = [2]string{string(c.Old), string(c.New)}
	}
	return out
}

// find returns the entries of one entity and action by actor.
func find(entries []audit.Entry, entity audit.Entity, action audit.Action, actor string) []audit.Entry {
	var out []audit.Entry
	for _, e := range entries {
		if e.Entity == entity && e.Action == action && e.Actor == actor {
			out = append(out, e)
		}
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// hotelFixture creates, as admin-1, a hotel with one room type, two rooms
// and a fully prepaid, refundable rate plan priced for the coming months.
func (b testBundle) hotelFixture(t *testing.T, name string) (catalog.Hotel, catalog.RatePlan) {
	t.Helper()
	h, err := b.catalog.CreateHotel(b.admin, catalog.HotelFields{Name: name, TimeZone: "Europe/Lisbon",
		Location: catalog.GeoPoint{Lat: 38.7, Lon: -9.1}, Address: catalog.Address{Line1: "1 Rua Augusta", City: "Lisboa", CountryCode: "PT"},
		Currency: "EUR", StarRating: 4, CheckInTime: catalog.DefaultCheckIn, CheckOutTime: catalog.DefaultCheckOut})
	must(t, err)
	rt, err := b.catalog.CreateRoomType(b.admin, h.ID, catalog.RoomTypeFields{Name: "Double", MaxAdults: 2, MaxOccupancy: 2})
	must(t, err)
	_, err = b.bookings.AddRooms(b.admin, b.catalog, rt.ID, []string{"101", "102"})
	must(t, err)
	rp, err := b.catalog.CreateRatePlan(b.admin, rt.ID, catalog.RatePlanFields{Name: "Flexible",
		CancellationPolicy: catalog.CancellationPolicy{Refundable: true},
		DepositPolicy:      catalog.DepositPolicy{Kind: catalog.DepositFull}})
	must(t, err)
	today := booking.Date(time.Now())
	_, _, err = b.catalog.SetRates(b.admin, rp.ID, today, today.AddDate(0, 3, 0), 15000)
	must(t, err)
	return h, rp
}

// Personal data a booking is made with; none of it may reach the trail.
const (
	email      = "ines.audit-trail@example.org"
	phone      = "+351 912 345 678"
	givenName  = "Inesita"
	familyName = "Vasconcelhos"
	// What guests write when they cancel: their names, phones, emails.
	cancelReason = "Inesita is ill, call +351 912 000 111 or reasons@example.org"
)

func TestTrailRecordsWhoChangedWhat(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	h, rp := b.hotelFixture(t, "Casa Audit")

	// Staff of the hotel rename it.
	staff := as(auth.RoleStaff, "staff-1", h.ID)
	renamed := "Casa Audit Renovada"
	_, err := b.catalog.UpdateHotel(staff, h.ID, h.Version, catalog.HotelPatch{Name: &renamed})
	must(t, err)

	// A guest holds, confirms and cancels a stay.
	guest := as(auth.RoleGuest, "cust-7")
	checkIn := booking.Date(time.Now()).AddDate(0, 0, 20)
	held, err := b.bookings.Hold(guest, booking.HoldInput{IdempotencyKey: "hold-1", HotelID: h.ID,
		CheckIn: checkIn, CheckOut: checkIn.AddDate(0, 0, 2),
		Rooms: []booking.RoomRequest{{RatePlanID: rp.ID, Party: booking.Party{Adults: 2, ChildAges: []int{}},
			Guests: []booking.GuestName{{GivenName: givenName, FamilyName: familyName}}}},
		Contact: booking.Contact{Email: email, Phone: phone}})
	must(t, err)
	_, err = b.bookings.Confirm(guest, booking.ConfirmInput{IdempotencyKey: "confirm-1", BookingID: held.ID,
		Payment: &booking.PaymentInput{Provider: "sandbox", Token: "tok_success"}})
	must(t, err)
	_, refund, err := b.bookings.Cancel(guest, booking.CancelInput{IdempotencyKey: "cancel-1", BookingID: held.ID, Reason: cancelReason})
	must(t, err)
	if refund == nil {
		t.Fatal("cancelling a paid refundable booking owes a refund")
	}
	// The refund job pays it back, with no principal.
	var refundID uuid.UUID
	must(t, b.pool.QueryRow(ctx, "SELECT id FROM refunds WHERE booking_id = $1", held.ID).Scan(&refundID))
	must(t, b.bookings.PayRefund(audit.WithJob(ctx, booking.RefundArgs{}.Kind()), refundID))

	// An admin issues and revokes a partner key; the partner uses it between.
	key, secret, err := b.keys.Create(b.admin, "Partner OTA", []string{auth.ScopeSearch})
	must(t, err)
	if _, err := b.keys.Verify(ctx, secret); err != nil {
		t.Fatal(err)
	}
	_, err = b.keys.Revoke(b.admin, key.ID)
	must(t, err)

	all := b.trailOf(t, audit.Filter{})

	// Catalog: created by the admin, renamed by the staff member, and only
	// what changed is in the update.
	if got := find(all, audit.Hotel, audit.Insert, "ADMIN:admin-1"); len(got) != 1 || got[0].EntityID != h.ID.String() ||
		changes(got[0])["name"][1] != `"Casa Audit"` || changes(got[0])["name"][0] != "" {
		t.Fatalf("hotel insert entries %+v", got)
	}
	upd := find(all, audit.Hotel, audit.Update, "STAFF:staff-1")
	if len(upd) != 1 {
		t.Fatalf("hotel update entries %+v", upd)
	}
	if c := changes(upd[0]); len(c) != 2 || c["name"] != [2]string{`"Casa Audit"`, `"Casa Audit Renovada"`} || c["version"] != [2]string{"1", "2"} {
		t.Fatalf("hotel update changes %+v, want name and version only", c)
	}
	for _, entity := range []audit.Entity{audit.RoomType, audit.RatePlan} {
		if got := find(all, entity, audit.Insert, "ADMIN:admin-1"); len(got) != 1 {
			t.Errorf("%s inserts by the admin: %+v", entity, got)
		}
	}
	if got := find(all, audit.Room, audit.Insert, "ADMIN:admin-1"); len(got) != 2 {
		t.Errorf("room inserts by the admin: %+v", got)
	}
	// Rates are audited through the rate plan's version bump.
	if got := find(all, audit.RatePlan, audit.Update, "ADMIN:admin-1"); len(got) != 1 || changes(got[0])["version"] != [2]string{"1", "2"} {
		t.Errorf("setRates audit: %+v", got)
	}

	// Bookings: the guest held, confirmed and cancelled it.
	bookingRows := b.trailOf(t, audit.Filter{Entity: audit.Booking, EntityID: held.ID.String()})
	var statuses []string
	for _, e := range bookingRows {
		if e.Actor != "GUEST:cust-7" {
			t.Errorf("booking entry by %q, want GUEST:cust-7: %+v", e.Actor, e)
		}
		if s, ok := changes(e)["status"]; ok {
			statuses = append(statuses, s[1])
		}
	}
	if bookingRows[0].Action != audit.Insert || strings.Join(statuses, " ") != `"HELD" "CONFIRMED" "CANCELLED"` {
		t.Fatalf("booking trail %+v, statuses %v", bookingRows, statuses)
	}
	// The cancellation is recorded, its reason (personal data, sealed) is not.
	if c := changes(bookingRows[len(bookingRows)-1]); c["status"][1] != `"CANCELLED"` || c["cancelled_at"][1] == "" {
		t.Errorf("cancellation changes %+v", c)
	} else if _, ok := c["cancel_reason"]; ok {
		t.Errorf("the cancellation's entry records its reason: %+v", c)
	}
	if got := find(all, audit.Payment, audit.Insert, "GUEST:cust-7"); len(got) != 1 {
		t.Errorf("payment insert by the guest: %+v", got)
	}
	if got := find(all, audit.Refund, audit.Insert, "GUEST:cust-7"); len(got) != 1 {
		t.Errorf("refund insert by the guest: %+v", got)
	}
	// Background work is attributed to its job.
	if got := find(all, audit.Refund, audit.Update, "system:booking.refund"); len(got) != 1 || changes(got[0])["status"][1] != `"SUCCEEDED"` {
		t.Errorf("refund paid by the job: %+v", got)
	}
	if got := find(all, audit.Payment, audit.Update, "system:booking.refund"); len(got) != 1 || changes(got[0])["refunded_amount"][0] != "0" {
		t.Errorf("payment refunded by the job: %+v", got)
	}

	// Keys: issued and revoked by the admin; the partner's use is not a change.
	keyRows := b.trailOf(t, audit.Filter{Entity: audit.APIKey, EntityID: key.ID.String()})
	if len(keyRows) != 2 || keyRows[0].Action != audit.Insert || keyRows[1].Action != audit.Update ||
		keyRows[0].Actor != "ADMIN:admin-1" || keyRows[1].Actor != "ADMIN:admin-1" {
		t.Fatalf("api key trail %+v", keyRows)
	}
	if c := changes(keyRows[1]); c["revoked_at"][0] != "null" || c["revoked_at"][1] == "null" || len(c) != 2 {
		t.Errorf("revocation changes %+v, want revoked_at and version", c)
	}
	if _, ok := changes(keyRows[0])["prefix"]; !ok {
		t.Errorf("api key insert lacks its prefix: %+v", keyRows[0])
	}

	// Never personal data, sealed or not, nor the key's secret or its hash.
	var dump string
	must(t, b.pool.QueryRow(ctx, "SELECT string_agg(changes::text, ' ') FROM audit_log").Scan(&dump))
	forbidden := []string{email, phone, givenName, familyName, cancelReason, "Inesita is", secret, strings.TrimPrefix(secret, "sg_"+key.Prefix+"_"),
		"_enc", "_idx", "secret_hash"}
	var sealed [][]byte
	rows, err := b.pool.Query(ctx, `SELECT v FROM (
		SELECT contact_email_enc AS v FROM bookings UNION ALL SELECT contact_email_idx FROM bookings
		UNION ALL SELECT contact_phone_enc FROM bookings UNION ALL SELECT cancel_reason_enc FROM bookings
		UNION ALL SELECT given_name_enc FROM booking_guests
		UNION ALL SELECT family_name_enc FROM booking_guests UNION ALL SELECT secret_hash FROM api_keys) s WHERE v IS NOT NULL`)
	must(t, err)
	for rows.Next() {
		var v []byte
		must(t, rows.Scan(&v))
		sealed = append(sealed, v)
	}
	must(t, rows.Err())
	if len(sealed) != 7 {
		t.Fatalf("found %d sealed values, want 7", len(sealed))
	}
	for _, v := range sealed {
		forbidden = append(forbidden, hex.EncodeToString(v)[:32])
	}
	for _, s := range forbidden {
		if strings.Contains(strings.ToLower(dump), strings.ToLower(s)) {
			t.Errorf("the audit trail contains %q", s)
		}
	}
}

func TestTrailIsAppendOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	b.hotelFixture(t, "Append Only")
	var before int
	must(t, b.pool.QueryRow(ctx, "SELECT count(*) FROM audit_log").Scan(&before))
	for _, stmt := range []string{
		"UPDATE audit_log SET actor = 'someone else'",
		"UPDATE audit_log SET changes = '{}' WHERE id = 1",
		"DELETE FROM audit_log",
		"DELETE FROM audit_log WHERE id = -1",
		"TRUNCATE audit_log",
	} {
		if _, err := b.pool.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want it refused", stmt, err)
		}
	}
	var after int
	var actors string
	must(t, b.pool.QueryRow(ctx, "SELECT count(*), string_agg(DISTINCT actor, ',') FROM audit_log").Scan(&after, &actors))
	if after != before || actors != "ADMIN:admin-1" {
		t.Fatalf("audit log now %d rows by %s, want %d by ADMIN:admin-1", after, actors, before)
	}
}

func TestChangesOutsideTheServicesNameTheDatabaseRole(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	h, _ := b.hotelFixture(t, "Direct")
	_, err := b.pool.Exec(ctx, "UPDATE hotels SET star_rating = 5 WHERE id = $1", h.ID)
	must(t, err)
	// A change that only touches unaudited columns is no entry.
	_, err = b.pool.Exec(ctx, "UPDATE hotels SET updated_at = now() + interval '1 hour' WHERE id = $1", h.ID)
	must(t, err)
	got := b.trailOf(t, audit.Filter{Entity: audit.Hotel, EntityID: h.ID.String()})
	if len(got) != 2 {
		t.Fatalf("hotel trail %+v", got)
	}
	var role string
	must(t, b.pool.QueryRow(ctx, "SELECT session_user").Scan(&role))
	if last := got[1]; last.Actor != "db:"+role || changes(last)["star_rating"] != [2]string{"4", "5"} || len(last.Changes) != 1 {
		t.Fatalf("direct update entry %+v", last)
	}
	// The actor setting is local to its transaction: it does not leak into
	// the next one on the same connection.
	conn, err := b.pool.Acquire(ctx)
	must(t, err)
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	must(t, err)
	_, err = tx.Exec(ctx, "SELECT set_config('staygraph.actor', 'ADMIN:leaky', true)")
	must(t, err)
	must(t, tx.Commit(ctx))
	_, err = conn.Exec(ctx, "UPDATE hotels SET star_rating = 3 WHERE id = $1", h.ID)
	must(t, err)
	got = b.trailOf(t, audit.Filter{Entity: audit.Hotel, EntityID: h.ID.String()})
	if got[len(got)-1].Actor != "db:"+role {
		t.Fatalf("actor of a later transaction = %q", got[len(got)-1].Actor)
	}
}

func TestListIsForAdminsNewestFirstInPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var hotels []catalog.Hotel
	for i := range 5 {
		h, err := b.catalog.CreateHotel(b.admin, catalog.HotelFields{Name: fmt.Sprintf("Page %d", i), TimeZone: "UTC",
			Address: catalog.Address{Line1: "1 St", City: "Town", CountryCode: "GB"}, Currency: "GBP", StarRating: 3})
		must(t, err)
		hotels = append(hotels, h)
	}
	_, _, err := b.keys.Create(b.admin, "Other entity", []string{auth.ScopeBook})
	must(t, err)

	var seen []string
	var before int64
	for {
		page, err := b.trail.List(b.admin, audit.Filter{Entity: audit.Hotel}, before, 2)
		must(t, err)
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if before != 0 && e.ID >= before {
				t.Fatalf("entry %d on a page before %d", e.ID, before)
			}
			var name string
			must(t, json.Unmarshal([]byte(changes(e)["name"][1]), &name))
			seen = append(seen, name)
			before = e.ID
		}
	}
	if strings.Join(seen, ",") != "Page 4,Page 3,Page 2,Page 1,Page 0" {
		t.Fatalf("hotel entries newest first: %v", seen)
	}
	one, err := b.trail.List(b.admin, audit.Filter{Entity: audit.Hotel, EntityID: hotels[2].ID.String()}, 0, 10)
	must(t, err)
	if len(one) != 1 || one[0].EntityID != hotels[2].ID.String() {
		t.Fatalf("one hotel's trail %+v", one)
	}
	every, err := b.trail.List(b.admin, audit.Filter{}, 0, 10)
	must(t, err)
	if len(every) != 6 || every[0].Entity != audit.APIKey {
		t.Fatalf("whole trail %+v", every)
	}

	for _, c := range []struct {
		ctx  context.Context
		code apperr.Code
	}{
		{context.Background(), apperr.Unauthenticated},
		{as(auth.RoleGuest, "cust-1"), apperr.Forbidden},
		{as(auth.RoleStaff, "staff-1", hotels[0].ID), apperr.Forbidden},
		{auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RolePartner, Subject: "apikey:x", Scopes: []string{auth.ScopeReadBookings}}), apperr.Forbidden},
	} {
		if _, err := b.trail.List(c.ctx, audit.Filter{}, 0, 10); !apperr.HasCode(err, c.code) {
			t.Errorf("%s: err = %v, want %s", audit.Actor(c.ctx), err, c.code)
		}
	}
}

func TestActor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []struct {
		ctx  context.Context
		want string
	}{
		{as(auth.RoleStaff, "u-1"), "STAFF:u-1"},
		{audit.WithJob(as(auth.RoleGuest, "g"), "ignored"), "GUEST:g"},
		{audit.WithJob(ctx, "booking.expire_hold"), "system:booking.expire_hold"},
		{ctx, "system:unknown"},
	} {
		if got := audit.Actor(c.ctx); got != c.want {
			t.Errorf("Actor = %q, want %q", got, c.want)
		}
	}
}

// The actor travels inside the BEGIN message; whatever its characters, it is
// recorded as it is and never read as SQL.
func TestActorIsRecordedVerbatim(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h, _ := b.hotelFixture(t, "Verbatim")
	subject := `o'brien'); DROP TABLE audit_log; -- \x27 "ünïcödé" 東京`
	_, err := b.catalog.UpdateHotel(as(auth.RoleStaff, subject, h.ID), h.ID, h.Version, catalog.HotelPatch{StarRating: new(5)})
	must(t, err)
	got := b.trailOf(t, audit.Filter{Entity: audit.Hotel, EntityID: h.ID.String()})
	if last := got[len(got)-1]; last.Actor != "STAFF:"+subject || changes(last)["star_rating"] != [2]string{"4", "5"} {
		t.Fatalf("entry %+v, want actor %q", last, "STAFF:"+subject)
	}
}

// Every table with an audit trigger is an Entity the trail can name.
func TestEveryAuditedTableIsAnEntity(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rows, err := b.pool.Query(t.Context(), `SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
		WHERE t.tgname = 'audit' AND NOT t.tgisinternal ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var entities []string
	for _, e := range audit.Entities {
		entities = append(entities, string(e))
	}
	slices.Sort(entities)
	if !slices.Equal(tables, entities) {
		t.Fatalf("audited tables %v, entities %v", tables, entities)
	}
}
