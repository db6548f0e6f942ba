package indexer

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pglogrepl"
)

// txn is a committed transaction's events, as dispatched to consumers.
type txn struct {
	commitLSN  LSN
	endLSN     LSN // end of the commit record: acknowledging it skips the transaction on restart
	commitTime time.Time
	events     []Event
	merge      coalescer // while decoding
}

// The columns the indexer reads, by name (tables are decoded by the names
// their Relation messages give, so added or reordered columns are fine).
const (
	colID         = "id"
	colHotelID    = "hotel_id"
	colRoomTypeID = "room_type_id"
	colRatePlanID = "rate_plan_id"
	colNight      = "night"
	colStartNight = "start_night"
	colEndNight   = "end_night"
	colCheckIn    = "check_in"
	colCheckOut   = "check_out"
)

var wantedColumns = []string{colID, colHotelID, colRoomTypeID, colRatePlanID, colNight, colStartNight, colEndNight, colCheckIn, colCheckOut}

// relation is a published table as its Relation message describes it.
type relation struct {
	table Table
	known bool           // one of Tables; rows of others are skipped
	index map[string]int // wanted column → position in tuples
}

// decoder turns pgoutput messages into committed transactions. Row
// changes are held until their transaction's Commit: nothing of a
// transaction that rolls back is ever sent by pgoutput, and nothing of an
// unfinished one leaves the decoder.
type decoder struct {
	relations map[uint32]*relation
	tx        *txn // the transaction being decoded; nil between transactions
}

func newDecoder() *decoder { return &decoder{relations: map[uint32]*relation{}} }

// inTransaction reports whether a Begin was read without its Commit.
func (d *decoder) inTransaction() bool { return d.tx != nil }

// decode handles one pgoutput message and returns the transaction it
// completed, if it was a Commit.
func (d *decoder) decode(data []byte) (*txn, error) {
	msg, err := pglogrepl.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse pgoutput message: %w", err)
	}
	switch m := msg.(type) {
	case *pglogrepl.RelationMessage:
		d.relation(m)
	case *pglogrepl.BeginMessage:
		d.tx = &txn{commitLSN: m.FinalLSN, commitTime: m.CommitTime}
	case *pglogrepl.CommitMessage:
		t := d.tx
		d.tx = nil
		if t == nil {
			return nil, fmt.Errorf("commit at %s without a begin", m.CommitLSN)
		}
		t.commitLSN, t.endLSN, t.commitTime = m.CommitLSN, m.TransactionEndLSN, m.CommitTime
		t.events, t.merge = t.merge.events, coalescer{}
		for i := range t.events {
			t.events[i].CommitLSN, t.events[i].CommitTime = t.commitLSN, t.commitTime
		}
		return t, nil
	case *pglogrepl.InsertMessage:
		return nil, d.row(m.RelationID, Insert, nil, m.Tuple)
	case *pglogrepl.UpdateMessage:
		return nil, d.row(m.RelationID, Update, m.OldTuple, m.NewTuple)
	case *pglogrepl.DeleteMessage:
		return nil, d.row(m.RelationID, Delete, m.OldTuple, nil)
	case *pglogrepl.TruncateMessage:
		for _, id := range m.RelationIDs {
			if rel := d.relations[id]; rel != nil && rel.known && d.tx != nil {
				d.tx.merge.add(Event{Table: rel.table, Op: Truncate})
			}
		}
	}
	// Type and Origin messages say nothing the indexer needs.
	return nil, nil
}

func (d *decoder) relation(m *pglogrepl.RelationMessage) {
	rel := &relation{table: Table(m.RelationName), index: map[string]int{}}
	// The publication chooses the tables; a table of another name (added
	// to it without teaching the indexer) is skipped.
	rel.known = slices.Contains(Tables, rel.table)
	for i, c := range m.Columns {
		if slices.Contains(wantedColumns, c.Name) {
			rel.index[c.Name] = i
		}
	}
	d.relations[m.RelationID] = rel
}

// row adds the events of one row change: the new row's, and the old row's
// when it names another hotel, room type or nights (a moved maintenance
// block must free its old nights).
func (d *decoder) row(relID uint32, op Op, oldTuple, newTuple *pglogrepl.TupleData) error {
	rel := d.relations[relID]
	if rel == nil {
		return fmt.Errorf("row of relation %d before its relation message", relID)
	}
	if !rel.known {
		return nil
	}
	if d.tx == nil {
		return fmt.Errorf("change to %s outside a transaction", rel.table)
	}
	var events []Event
	for _, tuple := range []*pglogrepl.TupleData{newTuple, oldTuple} {
		if tuple == nil {
			continue
		}
		e, err := rel.event(op, tuple)
		if err != nil {
			return err
		}
		if len(events) == 1 && events[0].Key == e.Key && events[0].Nights == e.Nights {
			continue
		}
		if len(events) == 1 && e.Key.HotelID == uuid.Nil {
			e.Key.HotelID = events[0].Key.HotelID // a key-only old tuple
		}
		events = append(events, e)
	}
	for _, e := range events {
		d.tx.merge.add(e)
	}
	return nil
}

// event reads a row's key columns. Columns missing from the tuple (a
// key-only old tuple, an unchanged TOASTed value) stay zero.
func (rel *relation) event(op Op, tuple *pglogrepl.TupleData) (Event, error) {
	e := Event{Table: rel.table, Op: op}
	id := func(name string) (uuid.UUID, error) {
		v, ok := rel.text(tuple, name)
		if !ok {
			return uuid.Nil, nil
		}
		u, err := uuid.Parse(v)
		if err != nil {
			return uuid.Nil, fmt.Errorf("%s.%s: %w", rel.table, name, err)
		}
		return u, nil
	}
	date := func(name string) (time.Time, error) {
		v, ok := rel.text(tuple, name)
		if !ok {
			return time.Time{}, nil
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s.%s: %w", rel.table, name, err)
		}
		return d, nil
	}
	var err error
	read := func(dst *uuid.UUID, name string) {
		if err == nil {
			*dst, err = id(name)
		}
	}
	readDate := func(dst *time.Time, name string) {
		if err == nil {
			*dst, err = date(name)
		}
	}
	k := &e.Key
	switch rel.table {
	case Hotels:
		read(&k.ID, colID)
		k.HotelID = k.ID
	case RoomTypes:
		read(&k.ID, colID)
		read(&k.HotelID, colHotelID)
		k.RoomTypeID = k.ID
	case Rooms:
		read(&k.ID, colID)
		read(&k.HotelID, colHotelID)
		read(&k.RoomTypeID, colRoomTypeID)
	case RatePlans:
		read(&k.ID, colID)
		read(&k.HotelID, colHotelID)
		read(&k.RoomTypeID, colRoomTypeID)
		k.RatePlanID = k.ID
	case NightlyRates:
		read(&k.RatePlanID, colRatePlanID)
		readDate(&k.Night, colNight)
	case Inventory:
		read(&k.RoomTypeID, colRoomTypeID)
		readDate(&k.Night, colNight)
	case MaintenanceBlocks:
		read(&k.ID, colID)
		read(&k.HotelID, colHotelID)
		read(&k.RoomTypeID, colRoomTypeID)
		var start, end time.Time
		readDate(&start, colStartNight)
		readDate(&end, colEndNight)
		if !start.IsZero() && end.After(start) {
			e.Nights = NightsOf(start, end)
		}
	case Bookings:
		read(&k.ID, colID)
		read(&k.HotelID, colHotelID)
		var in, out time.Time
		readDate(&in, colCheckIn)
		readDate(&out, colCheckOut)
		if !in.IsZero() && out.After(in) {
			e.Nights = NightsOf(in, out)
		}
	}
	if !k.Night.IsZero() {
		e.Nights = Night(k.Night)
	}
	return e, err
}

// text is the text value of a column of the tuple, if it was sent.
func (rel *relation) text(tuple *pglogrepl.TupleData, name string) (string, bool) {
	i, ok := rel.index[name]
	if !ok || i >= len(tuple.Columns) {
		return "", false
	}
	c := tuple.Columns[i]
	if c.DataType != pglogrepl.TupleDataTypeText {
		return "", false // null, unchanged TOAST, or binary (never asked for)
	}
	return string(c.Data), true
}

// coalescer merges a transaction's events that differ only by adjacent or
// overlapping nights (the nights of a rate load, of a stay) and drops
// repeated ones, keeping the order of first appearance, as they are
// decoded: a transaction that rewrites a year of rates holds one event per
// rate plan, not one per row. Events merge only with the same table,
// operation and key but the night, so they share their hotel, resolved or not.
type coalescer struct {
	last   map[mergeKey]int
	events []Event
}

type mergeKey struct {
	table                         Table
	op                            Op
	hotel, id, roomType, ratePlan uuid.UUID
	allNights                     bool
}

func (c *coalescer) add(e Event) {
	if c.last == nil {
		c.last = map[mergeKey]int{}
	}
	k := mergeKey{e.Table, e.Op, e.Key.HotelID, e.Key.ID, e.Key.RoomTypeID, e.Key.RatePlanID, e.Nights.All()}
	if i, ok := c.last[k]; ok && c.events[i].Nights.touches(e.Nights) {
		merged := &c.events[i]
		merged.Nights = merged.Nights.Union(e.Nights)
		if !merged.Key.Night.IsZero() {
			merged.Key.Night = merged.Nights.From
		}
		return
	}
	c.last[k] = len(c.events)
	c.events = append(c.events, e)
}
