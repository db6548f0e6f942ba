package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// RotateOpts configures RotateKeys.
type RotateOpts struct {
	// BatchSize is how many rows one transaction re-seals. Default 500.
	BatchSize int
	// Passes is how many times the tables are swept for rows a pass skipped
	// because the API had them locked. Default 3.
	Passes int
	// Progress, when set, is called after every batch.
	Progress func(RotateProgress)
}

// RotateProgress reports how far a rotation got in one table.
type RotateProgress struct {
	Table string // "bookings", "booking_guests" or "refunds"
	Done  int    // rows re-sealed so far in this table
	Due   int    // rows that were due when the table's pass began (an estimate; the API may add more)
}

// RotateResult sums up a rotation.
type RotateResult struct {
	Primary   string // the key every value is now sealed with
	Bookings  int    // booking rows re-sealed
	Guests    int    // guest rows re-sealed
	Refunds   int    // refund rows (settlement notes) re-sealed
	Remaining int    // rows still due at the end (busy rows, or written by API servers whose primary key is still an older one)
}

// RotateKeys re-seals every stored personal value that is not sealed under
// keys' primary key, so older keys can then be removed from the keyring.
// keys must still hold every key some stored value was sealed with.
//
// It works in batches, one short transaction each, and is safe while the
// API serves: it locks only rows no one else holds (others are taken on a
// later pass), writes a booking only if its version is unchanged, and never
// changes a value, only its sealing. Running it again does nothing.
func RotateKeys(ctx context.Context, pool *pgxpool.Pool, keys *pii.Keyring, opts RotateOpts) (RotateResult, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.Passes <= 0 {
		opts.Passes = 3
	}
	r := rotation{pool: pool, keys: keys, header: keys.PrimaryHeader(), opts: opts}
	res := RotateResult{Primary: keys.Primary()}
	for pass := 0; pass < opts.Passes; pass++ {
		if pass > 0 {
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(time.Duration(pass) * 200 * time.Millisecond):
			}
		}
		n, err := r.bookings(ctx)
		res.Bookings += n
		if err != nil {
			return res, err
		}
		n, err = r.guests(ctx)
		res.Guests += n
		if err != nil {
			return res, err
		}
		n, err = r.refunds(ctx)
		res.Refunds += n
		if err != nil {
			return res, err
		}
		if res.Remaining, err = r.due(ctx); err != nil || res.Remaining == 0 {
			return res, err
		}
	}
	return res, nil
}

type rotation struct {
	pool   *pgxpool.Pool
	keys   *pii.Keyring
	header []byte
	opts   RotateOpts
}

func (r rotation) due(ctx context.Context) (int, error) {
	q := db.New(r.pool)
	b, err := q.CountBookingsToRotate(ctx, r.header)
	if err != nil {
		return 0, fmt.Errorf("count bookings to rotate: %w", err)
	}
	g, err := q.CountGuestsToRotate(ctx, r.header)
	if err != nil {
		return 0, fmt.Errorf("count guests to rotate: %w", err)
	}
	n, err := q.CountRefundNotesToRotate(ctx, r.header)
	if err != nil {
		return 0, fmt.Errorf("count settlement notes to rotate: %w", err)
	}
	return int(b + g + n), nil
}

// sweep runs batch, one transaction each, until a batch sees fewer rows
// than the batch size, reporting progress in table of due rows; batch
// locks the next rows after the last it saw (it keeps its own place) and
// returns how many it saw and how many it re-sealed.
func (r rotation) sweep(ctx context.Context, table string, due int64, batch func(q *db.Queries) (seen, done int, err error)) (int, error) {
	if due == 0 {
		return 0, nil
	}
	done := 0
	for {
		var n, seen int
		err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
			var err error
			seen, n, err = batch(db.New(tx))
			return err
		})
		if err != nil {
			return done, fmt.Errorf("rotate %s: %w", table, err)
		}
		done += n
		if seen > 0 && r.opts.Progress != nil {
			r.opts.Progress(RotateProgress{Table: table, Done: done, Due: int(due)})
		}
		if seen < r.opts.BatchSize {
			return done, nil
		}
	}
}

// bookings sweeps the bookings table once, in key order. A cancel reason a
// server of the release before 00023 wrote in plaintext during a rolling
// deploy is sealed, and its plaintext emptied.
func (r rotation) bookings(ctx context.Context) (int, error) {
	due, err := db.New(r.pool).CountBookingsToRotate(ctx, r.header)
	if err != nil {
		return 0, err
	}
	after := uuid.Nil
	return r.sweep(ctx, "bookings", due, func(q *db.Queries) (int, int, error) {
		rows, err := q.LockBookingsToRotate(ctx, db.LockBookingsToRotateParams{After: after, Header: r.header, BatchSize: int32(r.opts.BatchSize)})
		if err != nil {
			return 0, 0, fmt.Errorf("lock bookings to rotate: %w", err)
		}
		n := 0
		for _, row := range rows {
			after = row.ID
			email, err := r.reseal(row.ContactEmailEnc, bookingPurpose(purposeContactEmail, row.ID))
			if err != nil {
				return 0, 0, fmt.Errorf("booking %s contact email: %w", row.ID, err)
			}
			phone, err := r.reseal(row.ContactPhoneEnc, bookingPurpose(purposeContactPhone, row.ID))
			if err != nil {
				return 0, 0, fmt.Errorf("booking %s contact phone: %w", row.ID, err)
			}
			var reason []byte
			if row.CancelReasonEnc == nil && row.CancelReason != "" {
				// a server of the release before 00023, during a rolling deploy
				reason, err = sealCancelReason(r.keys, row.ID, row.CancelReason)
			} else {
				reason, err = r.reseal(row.CancelReasonEnc, bookingPurpose(purposeCancelReason, row.ID))
			}
			if err != nil {
				return 0, 0, fmt.Errorf("booking %s cancel reason: %w", row.ID, err)
			}
			updated, err := q.RotateBookingContact(ctx, db.RotateBookingContactParams{
				ID: row.ID, Version: row.Version, ContactEmailEnc: email, ContactPhoneEnc: phone, CancelReasonEnc: reason})
			if err != nil {
				return 0, 0, fmt.Errorf("re-seal booking %s: %w", row.ID, err)
			}
			n += int(updated)
		}
		return len(rows), n, nil
	})
}

// guests sweeps the booking_guests table once, in key order.
func (r rotation) guests(ctx context.Context) (int, error) {
	due, err := db.New(r.pool).CountGuestsToRotate(ctx, r.header)
	if err != nil {
		return 0, err
	}
	afterBooking, afterPosition := uuid.Nil, int16(-1)
	return r.sweep(ctx, "booking_guests", due, func(q *db.Queries) (int, int, error) {
		rows, err := q.LockGuestsToRotate(ctx, db.LockGuestsToRotateParams{AfterBooking: afterBooking, AfterPosition: afterPosition,
			Header: r.header, BatchSize: int32(r.opts.BatchSize)})
		if err != nil {
			return 0, 0, fmt.Errorf("lock guests to rotate: %w", err)
		}
		n := 0
		for _, row := range rows {
			afterBooking, afterPosition = row.BookingID, row.Position
			given, err := r.reseal(row.GivenNameEnc, guestPurpose(purposeGivenName, row.BookingID, row.Position))
			if err != nil {
				return 0, 0, fmt.Errorf("guest %d of booking %s given name: %w", row.Position, row.BookingID, err)
			}
			family, err := r.reseal(row.FamilyNameEnc, guestPurpose(purposeFamilyName, row.BookingID, row.Position))
			if err != nil {
				return 0, 0, fmt.Errorf("guest %d of booking %s family name: %w", row.Position, row.BookingID, err)
			}
			updated, err := q.RotateGuestNames(ctx, db.RotateGuestNamesParams{BookingID: row.BookingID, Position: row.Position,
				GivenNameEnc: given, FamilyNameEnc: family, OldGivenNameEnc: row.GivenNameEnc, OldFamilyNameEnc: row.FamilyNameEnc})
			if err != nil {
				return 0, 0, fmt.Errorf("re-seal guest %d of booking %s: %w", row.Position, row.BookingID, err)
			}
			n += int(updated)
		}
		return len(rows), n, nil
	})
}

// refunds sweeps the settlement notes of refunds once, in key order. A note
// a server of the release before 00038 wrote in plaintext during a rolling
// deploy is sealed, and its plaintext emptied.
func (r rotation) refunds(ctx context.Context) (int, error) {
	due, err := db.New(r.pool).CountRefundNotesToRotate(ctx, r.header)
	if err != nil {
		return 0, err
	}
	after := uuid.Nil
	return r.sweep(ctx, "refunds", due, func(q *db.Queries) (int, int, error) {
		rows, err := q.LockRefundNotesToRotate(ctx, db.LockRefundNotesToRotateParams{After: after, Header: r.header, BatchSize: int32(r.opts.BatchSize)})
		if err != nil {
			return 0, 0, fmt.Errorf("lock settlement notes to rotate: %w", err)
		}
		n := 0
		for _, row := range rows {
			after = row.ID
			var note []byte
			if row.SettlementNoteEnc == nil {
				note, err = sealSettlementNote(r.keys, row.ID, row.SettlementNote)
			} else {
				note, err = r.reseal(row.SettlementNoteEnc, bookingPurpose(purposeSettleNote, row.ID))
			}
			if err != nil {
				return 0, 0, fmt.Errorf("refund %s settlement note: %w", row.ID, err)
			}
			updated, err := q.RotateRefundNote(ctx, db.RotateRefundNoteParams{ID: row.ID, NoteEnc: note,
				OldNoteEnc: row.SettlementNoteEnc, OldNote: row.SettlementNote})
			if err != nil {
				return 0, 0, fmt.Errorf("re-seal refund %s: %w", row.ID, err)
			}
			n += int(updated)
		}
		return len(rows), n, nil
	})
}

// reseal opens a stored value and seals it again under the primary key.
// NULL stays NULL and a value already under the primary key stays as it is.
func (r rotation) reseal(sealed []byte, purpose string) ([]byte, error) {
	if sealed == nil || r.keys.Current(sealed) {
		return sealed, nil
	}
	plain, err := r.keys.Decrypt(sealed, purpose)
	if errors.Is(err, pii.ErrUnknownKey) {
		return nil, fmt.Errorf("%w; keep every old key in --pii-keys until rotation has finished", err)
	}
	if err != nil {
		return nil, err
	}
	return r.keys.Encrypt(plain, purpose)
}

// keySampleSQL reads the key ids of the oldest and newest sealed values of
// bookings (contacts and cancel reasons), their guests and refunds'
// settlement notes (ids are
// time-ordered UUIDv7s: the primary keys' indexes answer it at once,
// whatever the tables' size).
const keySampleSQL = `
(SELECT contact_email_enc FROM bookings WHERE contact_email_enc IS NOT NULL ORDER BY id LIMIT 50)
UNION ALL (SELECT contact_email_enc FROM bookings WHERE contact_email_enc IS NOT NULL ORDER BY id DESC LIMIT 50)
UNION ALL (SELECT cancel_reason_enc FROM bookings WHERE cancel_reason_enc IS NOT NULL ORDER BY id LIMIT 50)
UNION ALL (SELECT cancel_reason_enc FROM bookings WHERE cancel_reason_enc IS NOT NULL ORDER BY id DESC LIMIT 50)
UNION ALL (SELECT given_name_enc FROM booking_guests WHERE given_name_enc IS NOT NULL ORDER BY booking_id, position LIMIT 50)
UNION ALL (SELECT given_name_enc FROM booking_guests WHERE given_name_enc IS NOT NULL ORDER BY booking_id DESC, position DESC LIMIT 50)
UNION ALL (SELECT settlement_note_enc FROM refunds WHERE settlement_note_enc IS NOT NULL ORDER BY id LIMIT 50)
UNION ALL (SELECT settlement_note_enc FROM refunds WHERE settlement_note_enc IS NOT NULL ORDER BY id DESC LIMIT 50)`

// CheckKeys looks at a sample of the stored personal data — the oldest and
// newest bookings, guests and refund settlement notes, where a key dropped before RotateKeys ran
// would show — and reports an error naming a key it was sealed with that
// keys lacks. A server started without it would answer INTERNAL on every
// read of that data; better not to start. It is a sample, not a proof: only
// RotateKeys reads every row.
func CheckKeys(ctx context.Context, pool *pgxpool.Pool, keys *pii.Keyring) error {
	rows, err := pool.Query(ctx, keySampleSQL)
	if err != nil {
		return fmt.Errorf("sample sealed personal data: %w", err)
	}
	envelopes, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return fmt.Errorf("sample sealed personal data: %w", err)
	}
	have := keys.KeyIDs()
	for _, e := range envelopes {
		id, err := pii.KeyID(e)
		if err != nil {
			return fmt.Errorf("sample sealed personal data: %w", err)
		}
		if !slices.Contains(have, id) {
			return fmt.Errorf("personal data sealed with key %q is stored, and the keys given (%v) lack it: keep every key until rotate-keys has re-sealed the data", id, have)
		}
	}
	return nil
}
