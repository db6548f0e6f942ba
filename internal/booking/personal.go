package booking

import (
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// Personal data (contact email and phone, guest names, the free text of a
// cancellation, the note of a refund settled outside staygraph) is stored sealed by internal/pii and opened only for callers
// allowed to see the booking. Each value's purpose names its column and row,
// so a sealed value copied into another column or another booking does not
// open.
const (
	purposeContactEmail = "bookings.contact_email"
	purposeContactPhone = "bookings.contact_phone"
	purposeCancelReason = "bookings.cancel_reason"
	purposeGivenName    = "booking_guests.given_name"
	purposeFamilyName   = "booking_guests.family_name"
	purposeSettleNote   = "refunds.settlement_note"
)

func bookingPurpose(column string, id uuid.UUID) string { return column + "/" + id.String() }

func guestPurpose(column string, bookingID uuid.UUID, position int16) string {
	return fmt.Sprintf("%s/%s/%d", column, bookingID, position)
}

// ephemeralKeys is the keyring of services built without one: random keys
// shared by every such service of this process (tests, benchmarks), gone
// when it exits.
var ephemeralKeys = sync.OnceValue(pii.NewEphemeral)

// sealedContact is a booking's personal data as stored: its contact
// details and its cancel reason.
type sealedContact struct {
	email, phone, cancelReason []byte
}

// sealContact seals a new booking's contact details and indexes its email.
// No phone is stored as NULL.
func sealContact(keys *pii.Keyring, id uuid.UUID, c Contact) (email, index, phone []byte, err error) {
	if email, err = keys.Encrypt(c.Email, bookingPurpose(purposeContactEmail, id)); err != nil {
		return nil, nil, nil, fmt.Errorf("seal contact email: %w", err)
	}
	if c.Phone != "" {
		if phone, err = keys.Encrypt(c.Phone, bookingPurpose(purposeContactPhone, id)); err != nil {
			return nil, nil, nil, fmt.Errorf("seal contact phone: %w", err)
		}
	}
	return email, keys.BlindIndex(c.Email), phone, nil
}

// sealCancelReason seals a cancellation's reason; no reason is stored as
// NULL.
func sealCancelReason(keys *pii.Keyring, id uuid.UUID, reason string) ([]byte, error) {
	if reason == "" {
		return nil, nil
	}
	sealed, err := keys.Encrypt(reason, bookingPurpose(purposeCancelReason, id))
	if err != nil {
		return nil, fmt.Errorf("seal cancel reason: %w", err)
	}
	return sealed, nil
}

// CancelReasonSealer seals cancel reasons as the service stores them, for
// the migration that seals those stored in plaintext before
// (postgres.MigrateOpts).
func CancelReasonSealer(keys *pii.Keyring) func(bookingID uuid.UUID, reason string) ([]byte, error) {
	return func(id uuid.UUID, reason string) ([]byte, error) { return sealCancelReason(keys, id, reason) }
}

// sealSettlementNote seals the note of a refund settled outside staygraph;
// no note is stored as NULL.
func sealSettlementNote(keys *pii.Keyring, refundID uuid.UUID, note string) ([]byte, error) {
	if note == "" {
		return nil, nil
	}
	sealed, err := keys.Encrypt(note, bookingPurpose(purposeSettleNote, refundID))
	if err != nil {
		return nil, fmt.Errorf("seal settlement note: %w", err)
	}
	return sealed, nil
}

// SettlementNoteSealer seals settlement notes as the service stores them,
// for the migration that seals those stored in plaintext before
// (postgres.MigrateOpts).
func SettlementNoteSealer(keys *pii.Keyring) func(refundID uuid.UUID, note string) ([]byte, error) {
	return func(id uuid.UUID, note string) ([]byte, error) { return sealSettlementNote(keys, id, note) }
}

// open decrypts a stored value; NULL (nothing stored) opens as "".
func open(keys *pii.Keyring, sealed []byte, purpose string) (string, error) {
	if sealed == nil {
		return "", nil
	}
	return keys.Decrypt(sealed, purpose)
}

// reveal fills in b's contact details and cancel reason from their sealed form. Call it once
// the caller is known to be allowed to see b.
func (s *Service) reveal(b Booking) (Booking, error) {
	var err error
	if b.ContactEmail, err = open(s.opts.PII, b.sealed.email, bookingPurpose(purposeContactEmail, b.ID)); err != nil {
		return Booking{}, fmt.Errorf("open contact email of booking %s: %w", b.ID, err)
	}
	if b.ContactPhone, err = open(s.opts.PII, b.sealed.phone, bookingPurpose(purposeContactPhone, b.ID)); err != nil {
		return Booking{}, fmt.Errorf("open contact phone of booking %s: %w", b.ID, err)
	}
	if b.CancelReason, err = open(s.opts.PII, b.sealed.cancelReason, bookingPurpose(purposeCancelReason, b.ID)); err != nil {
		return Booking{}, fmt.Errorf("open cancel reason of booking %s: %w", b.ID, err)
	}
	return b, nil
}

// revealed is reveal for a method's (booking, error) result.
func (s *Service) revealed(b Booking, err error) (Booking, error) {
	if err != nil {
		return b, err
	}
	return s.reveal(b)
}

// guestFromRow opens a stored guest.
func (s *Service) guestFromRow(r db.BookingGuest) (Guest, error) {
	g := Guest{Position: int(r.Position)}
	var err error
	if g.GivenName, err = open(s.opts.PII, r.GivenNameEnc, guestPurpose(purposeGivenName, r.BookingID, r.Position)); err != nil {
		return Guest{}, fmt.Errorf("open given name of a guest of booking %s: %w", r.BookingID, err)
	}
	if g.FamilyName, err = open(s.opts.PII, r.FamilyNameEnc, guestPurpose(purposeFamilyName, r.BookingID, r.Position)); err != nil {
		return Guest{}, fmt.Errorf("open family name of a guest of booking %s: %w", r.BookingID, err)
	}
	if r.Room.Valid {
		room := int(r.Room.Int16)
		g.Room = &room
	}
	return g, nil
}

// sealGuest seals a new guest's names.
func sealGuest(keys *pii.Keyring, bookingID uuid.UUID, position int16, g GuestName) (given, family []byte, err error) {
	if given, err = keys.Encrypt(g.GivenName, guestPurpose(purposeGivenName, bookingID, position)); err != nil {
		return nil, nil, fmt.Errorf("seal given name: %w", err)
	}
	if family, err = keys.Encrypt(g.FamilyName, guestPurpose(purposeFamilyName, bookingID, position)); err != nil {
		return nil, nil, fmt.Errorf("seal family name: %w", err)
	}
	return given, family, nil
}
