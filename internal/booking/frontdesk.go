package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// The front desk records where a confirmed stay stands: the guests arrived
// (CheckIn), left (CheckOut) or never came (MarkNoShow). Staff of the hotel
// and admins only, on the hotel's calendar; a booking with a payment under
// way waits for it to settle.
//
// "Today" at the desk is the hotel's business date, as for a hold: the day
// runs from 06:00 to 06:00 local time. Guests who booked the night in
// progress at 01:30 check in at 01:30 (their check-in date is still today);
// guests booked from tonight do not check in before 06:00 (last night's
// guests may still be in the room); a no-show is recorded from 06:00 the
// morning after check-in, once the night can no longer be sold nor reached.
// A departure is dated by the calendar (see CheckOut).

// deskMove is one front-desk change of a booking's status.
type deskMove struct {
	done string   // what it records, for messages: "checked in"
	from []Status // the statuses it applies to
	// notYet says why the move cannot be recorded on the hotel's business
	// date today, "" when it can.
	notYet func(b Booking, today time.Time) string
	// forRelocated is why a booking flagged for relocation (maintenance
	// took its room: its guests have none) cannot be moved so; "" when it
	// can (check-in claims a room back).
	forRelocated string
	// apply records it; today is the hotel's business date now, on its
	// calendar date.
	apply func(ctx context.Context, q *db.Queries, b Booking, today, on time.Time) (db.Booking, error)
}

// CheckIn records that the guests of a confirmed booking arrived: it becomes
// CHECKED_IN, while the hotel's business date is from its check-in date
// until the day before its check-out date (from 06:00 on the check-in date
// until 06:00 on the check-out date, local time).
func (s *Service) CheckIn(ctx context.Context, id uuid.UUID) (Booking, error) {
	return s.frontDesk(ctx, id, deskMove{done: "checked in", from: []Status{StatusConfirmed},
		notYet: func(b Booking, today time.Time) string {
			switch {
			case today.Before(b.CheckIn):
				return notBegun(b, today)
			case !today.Before(b.CheckOut):
				return fmt.Sprintf("the stay is over: check-out was %s", b.CheckOut.Format(time.DateOnly))
			}
			return ""
		},
		apply: func(ctx context.Context, q *db.Queries, b Booking, today, _ time.Time) (db.Booking, error) {
			// the booking's row first, then its inventory, as Cancel
			row, err := q.CheckInBooking(ctx, db.CheckInBookingParams{ID: b.ID, Version: b.Version, Today: today})
			if err != nil {
				return row, err
			}
			from := b.CheckIn
			if row.ArrivedOn.Valid {
				from = row.ArrivedOn.Time
			}
			return row, reclaimRoomsTx(ctx, q, b, from)
		}})
}

// reclaimRoomsTx gives the rooms maintenance took from a booking (flagged
// for relocation: they hold no units) their units back for its stay from
// the night from on (its check-in, or today when its guests arrive on a
// later day of the stay: arrived_on), before its guests check in: the room
// type has rooms free again once the works ended early. When it has none
// free on a night the check-in is SOLD_OUT, and the guests must be moved
// first: a room that is not theirs would be sold twice.
func reclaimRoomsTx(ctx context.Context, q *db.Queries, b Booking, from time.Time) error {
	// a room claimed back on a later day of the stay holds units from then
	// on; the booking's other rooms kept theirs from check-in
	types, err := q.ReclaimBookingRooms(ctx, db.ReclaimBookingRoomsParams{BookingID: b.ID,
		HoldsFrom: pgtype.Date{Time: from, Valid: from.After(b.CheckIn)}})
	if err != nil || len(types) == 0 {
		return err
	}
	err = reserveTx(ctx, q, newReservation(types, from, b.CheckOut), true)
	if e, ok := errors.AsType[*apperr.Error](err); ok && e.Code == SoldOut {
		moved := *e
		moved.Message = fmt.Sprintf("the booking is flagged for relocation and its room type has no room free for the nights left (%s): move the guests first", e.Message)
		return &moved
	}
	return err
}

// CheckOut records that the guests of a confirmed (or checked-in) booking
// have left: the booking becomes CHECKED_OUT, from its check-in date at the
// hotel on (its business date, as CheckIn). It keeps the units of the nights
// the guests used, so the inventory still counts them; guests who leave
// before the check-out date give the nights from the hotel's calendar date
// back to sale (DepartedOn), and the hotel keeps what was paid. The calendar
// date, not the business date: guests who leave at 04:00 slept the night
// before (leaving at 04:00 on the check-out date is on time, not a day
// early), and guests who leave in the evening give that night back.
func (s *Service) CheckOut(ctx context.Context, id uuid.UUID) (Booking, error) {
	return s.frontDesk(ctx, id, deskMove{done: "checked out", from: []Status{StatusConfirmed, StatusCheckedIn},
		forRelocated: "its guests never had a room to leave",
		notYet: func(b Booking, today time.Time) string {
			if today.Before(b.CheckIn) {
				return notBegun(b, today)
			}
			return ""
		},
		apply: func(ctx context.Context, q *db.Queries, b Booking, _, on time.Time) (db.Booking, error) {
			// on is never before the check-in date: the business date is
			// not (notYet), and the calendar date is that or the day after;
			// CheckOutBooking dates a departure from the arrival on.
			row, err := q.CheckOutBooking(ctx, db.CheckOutBookingParams{ID: b.ID, Version: b.Version, Today: on})
			if err != nil || !row.DepartedOn.Valid {
				return row, err
			}
			rooms, err := q.ListBookingRooms(ctx, []uuid.UUID{b.ID})
			if err != nil {
				return row, fmt.Errorf("load booked rooms: %w", err)
			}
			var types []uuid.UUID
			for _, room := range rooms {
				if room.HoldsInventory {
					types = append(types, room.RoomTypeID)
				}
			}
			return row, releaseTx(ctx, q, newReservation(types, row.DepartedOn.Time, b.CheckOut))
		}})
}

// MarkNoShow records that the guests of a confirmed booking never came: it
// becomes NO_SHOW, from the day after its check-in date at the hotel, its
// business date (from 06:00 local time the morning after check-in: until
// then the guests may still arrive for their first night). Its rooms go back
// on sale for the nights left, and the hotel keeps what was paid.
func (s *Service) MarkNoShow(ctx context.Context, id uuid.UUID) (Booking, error) {
	return s.frontDesk(ctx, id, deskMove{done: "marked a no-show", from: []Status{StatusConfirmed},
		forRelocated: "the hotel had no room for its guests, who are owed their money back",
		notYet: func(b Booking, today time.Time) string {
			if !today.After(b.CheckIn) {
				return fmt.Sprintf("guests may still arrive: a no-show is recorded from the day after check-in (%s), today at the hotel is %s",
					b.CheckIn.Format(time.DateOnly), today.Format(time.DateOnly))
			}
			return ""
		},
		apply: func(ctx context.Context, q *db.Queries, b Booking, _, _ time.Time) (db.Booking, error) {
			row, err := q.MarkNoShow(ctx, db.MarkNoShowParams{ID: b.ID, Version: b.Version})
			if err != nil {
				return row, err
			}
			return row, releaseBookingTx(ctx, q, b, nil)
		}})
}

func notBegun(b Booking, today time.Time) string {
	return fmt.Sprintf("the stay has not begun: check-in is %s, today at the hotel is %s",
		b.CheckIn.Format(time.DateOnly), today.Format(time.DateOnly))
}

func (s *Service) frontDesk(ctx context.Context, id uuid.UUID, m deskMove) (Booking, error) {
	b, p, err := s.load(ctx, id, true)
	if err != nil {
		return Booking{}, err
	}
	if !p.IsAdmin() && !p.CanManageHotel(b.HotelID) {
		return Booking{}, apperr.New(apperr.Forbidden, "only the hotel's staff can record that guests "+m.done)
	}
	switch {
	case !slices.Contains(m.from, b.Status):
		return Booking{}, apperr.New(InvalidState, fmt.Sprintf("the booking is %s: it cannot be %s", b.Status, m.done))
	case b.PaymentInFlight:
		return Booking{}, apperr.New(PaymentPending, "a payment on this booking is under way; try again when it has settled")
	case b.RelocationRequired && m.forRelocated != "":
		return Booking{}, apperr.New(InvalidState, fmt.Sprintf(
			"the booking is flagged for relocation: %s; check the guests in once a room is free, or cancel the booking (free of charge)", m.forRelocated))
	}
	loc, err := s.hotelLocation(ctx, b.HotelID)
	if err != nil {
		return Booking{}, err
	}
	now := s.opts.Now()
	today := hoteldate.BusinessDate(now, loc)
	if why := m.notYet(b, today); why != "" {
		return Booking{}, apperr.New(InvalidState, why)
	}
	var out Booking
	err = s.inTx(ctx, func(_ pgx.Tx, q *db.Queries) error {
		row, err := m.apply(ctx, q, b, today, hoteldate.Date(now.In(loc)))
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(InvalidState, "the booking changed meanwhile; reload it")
		}
		if err != nil {
			return fmt.Errorf("record that guests %s: %w", m.done, err)
		}
		out = bookingFromRow(row)
		return nil
	})
	return s.revealed(out, err)
}
