package indexer

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

// pgoutput builds pgoutput (protocol 1) messages, as the server sends them.
type pgoutput struct{ buf []byte }

func (p *pgoutput) byte(b byte) *pgoutput  { p.buf = append(p.buf, b); return p }
func (p *pgoutput) u16(v uint16) *pgoutput { p.buf = binary.BigEndian.AppendUint16(p.buf, v); return p }
func (p *pgoutput) u32(v uint32) *pgoutput { p.buf = binary.BigEndian.AppendUint32(p.buf, v); return p }
func (p *pgoutput) u64(v uint64) *pgoutput { p.buf = binary.BigEndian.AppendUint64(p.buf, v); return p }
func (p *pgoutput) str(s string) *pgoutput { p.buf = append(append(p.buf, s...), 0); return p }
func (p *pgoutput) time(t time.Time) *pgoutput {
	return p.u64(uint64(t.Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).Microseconds()))
}

func relationMsg(id uint32, namespace, name string, cols ...string) []byte {
	p := (&pgoutput{}).byte('R').u32(id).str(namespace).str(name).byte('d').u16(uint16(len(cols)))
	for _, c := range cols {
		p.byte(0).str(c).u32(25).u32(0xFFFFFFFF)
	}
	return p.buf
}

// tuple appends TupleData: nil values are NULL, "\x00u" an unchanged TOAST value.
func (p *pgoutput) tuple(values ...*string) *pgoutput {
	p.u16(uint16(len(values)))
	for _, v := range values {
		switch {
		case v == nil:
			p.byte('n')
		case *v == "\x00u":
			p.byte('u')
		default:
			p.byte('t').u32(uint32(len(*v)))
			p.buf = append(p.buf, *v...)
		}
	}
	return p
}

func s(v string) *string { return &v }

func beginMsg(final LSN, at time.Time) []byte {
	return (&pgoutput{}).byte('B').u64(uint64(final)).time(at).u32(7).buf
}

func commitMsg(lsn, end LSN, at time.Time) []byte {
	return (&pgoutput{}).byte('C').byte(0).u64(uint64(lsn)).u64(uint64(end)).time(at).buf
}

func insertMsg(rel uint32, values ...*string) []byte {
	return (&pgoutput{}).byte('I').u32(rel).byte('N').tuple(values...).buf
}

func updateMsg(rel uint32, old []*string, values ...*string) []byte {
	p := (&pgoutput{}).byte('U').u32(rel)
	if old != nil {
		p.byte('O').tuple(old...)
	}
	return p.byte('N').tuple(values...).buf
}

func deleteMsg(rel uint32, kind byte, values ...*string) []byte {
	return (&pgoutput{}).byte('D').u32(rel).byte(kind).tuple(values...).buf
}

func mustDecode(t *testing.T, d *decoder, msgs ...[]byte) []*txn {
	t.Helper()
	var out []*txn
	for _, m := range msgs {
		tx, err := d.decode(m)
		if err != nil {
			t.Fatal(err)
		}
		if tx != nil {
			out = append(out, tx)
		}
	}
	return out
}

func TestDecoderEmitsEventsOnlyAtCommit(t *testing.T) {
	t.Parallel()
	d := newDecoder()
	hotel, roomType, block := uuid.New(), uuid.New(), uuid.New()
	at := time.Date(2027, 6, 10, 11, 0, 0, 0, time.UTC)
	got := mustDecode(t, d,
		relationMsg(1, "public", "inventory", "room_type_id", "night", "capacity", "reserved", "version"),
		relationMsg(2, "public", "maintenance_blocks", "id", "hotel_id", "room_id", "room_type_id", "start_night", "end_night", "reason"),
		relationMsg(3, "public", "audit_log", "id"), // not published by staygraph: ignored
		beginMsg(0x300, at),
		insertMsg(1, s(roomType.String()), s("2027-06-20"), s("2"), s("1"), s("1")),
		insertMsg(3, s("1")),
	)
	if len(got) != 0 || !d.inTransaction() {
		t.Fatalf("events before the commit: %v", got)
	}
	// A maintenance block moved from 06-20..06-22 to 06-25..06-26: both ranges change.
	blockRow := func(start, end string) []*string {
		return []*string{s(block.String()), s(hotel.String()), s(uuid.NewString()), s(roomType.String()), s(start), s(end), s("\x00u")}
	}
	got = mustDecode(t, d,
		updateMsg(2, blockRow("2027-06-20", "2027-06-22"), blockRow("2027-06-25", "2027-06-26")...),
		commitMsg(0x300, 0x340, at),
	)
	if len(got) != 1 || d.inTransaction() {
		t.Fatalf("%d transactions at the commit", len(got))
	}
	tx := got[0]
	if tx.commitLSN != 0x300 || tx.endLSN != 0x340 || !tx.commitTime.Equal(at) {
		t.Errorf("transaction %+v", tx)
	}
	want := []Event{
		{Table: Inventory, Op: Insert, Key: Key{RoomTypeID: roomType, Night: day("2027-06-20")}, Nights: Night(day("2027-06-20"))},
		{Table: MaintenanceBlocks, Op: Update, Key: Key{HotelID: hotel, ID: block, RoomTypeID: roomType}, Nights: NightsOf(day("2027-06-25"), day("2027-06-26"))},
		{Table: MaintenanceBlocks, Op: Update, Key: Key{HotelID: hotel, ID: block, RoomTypeID: roomType}, Nights: NightsOf(day("2027-06-20"), day("2027-06-22"))},
	}
	for i := range want {
		want[i].CommitLSN, want[i].CommitTime = 0x300, at
	}
	if !slices.EqualFunc(tx.events, want, eventEqual) {
		t.Errorf("events\n got %+v\nwant %+v", tx.events, want)
	}
}

func eventEqual(a, b Event) bool {
	return a.Table == b.Table && a.Op == b.Op && a.Key == b.Key && a.Nights == b.Nights && a.CommitLSN == b.CommitLSN && a.CommitTime.Equal(b.CommitTime)
}

func TestDecoderReadsKeysOfDeletesAndTruncates(t *testing.T) {
	t.Parallel()
	d := newDecoder()
	hotel, roomType, booking := uuid.New(), uuid.New(), uuid.New()
	at := time.Date(2027, 6, 10, 11, 0, 0, 0, time.UTC)
	got := mustDecode(t, d,
		relationMsg(1, "public", "room_types", "id", "hotel_id", "name"),
		relationMsg(2, "public", "bookings", "id", "reference", "hotel_id", "status", "check_in", "check_out"),
		relationMsg(3, "public", "inventory", "room_type_id", "night", "capacity"),
		beginMsg(0x500, at),
		// REPLICA IDENTITY FULL: the old row names the hotel.
		deleteMsg(1, 'O', s(roomType.String()), s(hotel.String()), s("Double")),
		// Default identity: the key only.
		deleteMsg(2, 'K', s(booking.String()), nil, nil, nil, nil, nil),
		(&pgoutput{}).byte('T').u32(1).byte(0).u32(3).buf,
		commitMsg(0x500, 0x540, at),
	)
	if len(got) != 1 {
		t.Fatalf("%d transactions", len(got))
	}
	ev := got[0].events
	if len(ev) != 3 {
		t.Fatalf("events %+v", ev)
	}
	if ev[0].Table != RoomTypes || ev[0].Op != Delete || ev[0].Key != (Key{HotelID: hotel, ID: roomType, RoomTypeID: roomType}) {
		t.Errorf("room type delete %+v", ev[0])
	}
	if ev[1].Table != Bookings || ev[1].Key != (Key{ID: booking}) || !ev[1].Nights.All() {
		t.Errorf("booking delete %+v", ev[1])
	}
	if ev[2].Table != Inventory || ev[2].Op != Truncate || ev[2].Key != (Key{}) {
		t.Errorf("truncate %+v", ev[2])
	}
}

func TestCoalesceMergesConsecutiveNights(t *testing.T) {
	t.Parallel()
	plan, other := uuid.New(), uuid.New()
	rate := func(id uuid.UUID, night string) Event {
		return Event{Table: NightlyRates, Op: Update, Key: Key{RatePlanID: id, Night: day(night)}, Nights: Night(day(night))}
	}
	got := coalesce([]Event{rate(plan, "2027-06-01"), rate(plan, "2027-06-02"), rate(other, "2027-06-01"),
		rate(plan, "2027-06-03"), rate(plan, "2027-06-02"), rate(plan, "2027-06-10")})
	want := []Event{
		{Table: NightlyRates, Op: Update, Key: Key{RatePlanID: plan, Night: day("2027-06-01")}, Nights: NightsOf(day("2027-06-01"), day("2027-06-04"))},
		rate(other, "2027-06-01"),
		rate(plan, "2027-06-10"),
	}
	if !slices.EqualFunc(got, want, eventEqual) {
		t.Errorf("coalesced\n got %+v\nwant %+v", got, want)
	}
}

func TestChangesPerTransactionHotelAndKind(t *testing.T) {
	t.Parallel()
	hotel, rt1, rt2 := uuid.New(), uuid.New(), uuid.New()
	ev := func(lsn LSN, table Table, rt uuid.UUID, nights Nights) Event {
		return Event{Table: table, Op: Update, Key: Key{HotelID: hotel, RoomTypeID: rt}, Nights: nights, CommitLSN: lsn}
	}
	got := Changes([]Event{
		ev(1, Inventory, rt2, Night(day("2027-06-21"))),
		ev(1, Inventory, rt1, Night(day("2027-06-20"))),
		ev(1, Bookings, uuid.Nil, Nights{}),
		ev(1, NightlyRates, rt1, Night(day("2027-07-01"))),
		ev(2, Rooms, rt1, Nights{}),
		{Table: Inventory, Op: Update, Key: Key{RoomTypeID: rt1}, CommitLSN: 2}, // hotel unknown
		{Table: Hotels, Op: Update, Key: Key{HotelID: hotel, ID: hotel}, CommitLSN: 3},
		// Setting rates bumps its plan's version: the rates' nights.
		ev(4, RatePlans, rt2, Nights{}),
		ev(4, NightlyRates, rt2, Night(day("2027-01-10"))),
		ev(4, NightlyRates, rt2, Night(day("2027-01-12"))),
		// A plan's update alone may concern any night.
		ev(5, RatePlans, rt2, Nights{}),
	})
	if len(got) != 6 {
		t.Fatalf("changes %+v", got)
	}
	ids := []uuid.UUID{rt1, rt2}
	SortIDs(ids)
	if got[0].Kind != AvailabilityChange || got[0].CommitLSN != 1 || !slices.Equal(got[0].RoomTypeIDs, ids) ||
		got[0].Nights != NightsOf(day("2027-06-20"), day("2027-06-22")) || !slices.Equal(got[0].Tables, []Table{Inventory}) {
		t.Errorf("availability of the first transaction: %+v", got[0])
	}
	if got[1].Kind != RateChange || got[1].Nights != Night(day("2027-07-01")) || !slices.Equal(got[1].RoomTypeIDs, []uuid.UUID{rt1}) {
		t.Errorf("rates of the first transaction: %+v", got[1])
	}
	if got[2].Kind != AvailabilityChange || got[2].CommitLSN != 2 || !got[2].Nights.All() {
		t.Errorf("a room out of service changes every night: %+v", got[2])
	}
	// A hotel's update may be its tax rate or its time zone: every rate.
	if got[3].Kind != RateChange || got[3].CommitLSN != 3 || !got[3].Nights.All() || len(got[3].RoomTypeIDs) != 0 {
		t.Errorf("a hotel's update changes every rate: %+v", got[3])
	}
	if got[4].Kind != RateChange || got[4].Nights != NightsOf(day("2027-01-10"), day("2027-01-13")) || !slices.Equal(got[4].Tables, []Table{RatePlans, NightlyRates}) {
		t.Errorf("rates set with their plan's version: %+v", got[4])
	}
	if got[5].Kind != RateChange || !got[5].Nights.All() {
		t.Errorf("a rate plan's update alone changes every night: %+v", got[5])
	}
}

func TestNights(t *testing.T) {
	t.Parallel()
	june := NightsOf(day("2027-06-10"), day("2027-06-12"))
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{"2027-06-01", "2027-06-10", false}, {"2027-06-01", "2027-06-11", true}, {"2027-06-11", "", true},
		{"2027-06-12", "", false}, {"", "2027-06-11", true}, {"", "", true},
	} {
		var from, to time.Time
		if c.from != "" {
			from = day(c.from)
		}
		if c.to != "" {
			to = day(c.to)
		}
		if got := june.Overlaps(from, to); got != c.want {
			t.Errorf("%s overlaps [%s, %s): %v", june, c.from, c.to, got)
		}
	}
	if !june.Union(Nights{}).All() || !(Nights{}).Overlaps(day("2027-01-01"), day("2027-01-02")) {
		t.Error("every night absorbs and overlaps everything")
	}
	if got := june.Union(Night(day("2027-06-20"))); got != NightsOf(day("2027-06-10"), day("2027-06-21")) {
		t.Errorf("union %s", got)
	}
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// coalesce is events merged by a coalescer.
func coalesce(events []Event) []Event {
	var c coalescer
	for _, e := range events {
		c.add(e)
	}
	return c.events
}
