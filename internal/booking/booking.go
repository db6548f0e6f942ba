// Package booking owns reservations: quotes, holds, confirmation with
// payment, cancellation with refunds due, hold expiry, maintenance blocks and
// the per-night inventory they reserve. Inventory rows carry a version
// column; reservations update them optimistically and a database CHECK makes
// overselling impossible even if this code were wrong.
//
// "Today" at a hotel is its business date (hoteldate.BusinessDate): its day
// runs from 06:00 to 06:00 local time, as a night audit rolls the date. A
// stay may start on it, so the night in progress sells until 06:00, as
// search offers it; the front desk records arrivals and no-shows against
// it, and maintenance changes inventory from it on. Only a departure is
// dated by the calendar (CheckOut): guests who leave at 04:00 slept the
// night before.
package booking

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/pii"
	"github.com/staygraph/staygraph/internal/postgres/db"
)

// Business outcomes of the booking core, returned as *apperr.Error codes.
const (
	SoldOut              apperr.Code = "SOLD_OUT"
	PriceChanged         apperr.Code = "PRICE_CHANGED"
	PaymentDeclined      apperr.Code = "PAYMENT_DECLINED"
	PaymentPending       apperr.Code = "PAYMENT_PENDING"
	PaymentPartial       apperr.Code = "PAYMENT_PARTIAL"
	HoldExpired          apperr.Code = "HOLD_EXPIRED"
	IdempotencyKeyReused apperr.Code = "IDEMPOTENCY_KEY_REUSED"
	InvalidState         apperr.Code = "INVALID_STATE"
	NotBookable          apperr.Code = "NOT_BOOKABLE"
	MaintenanceConflict  apperr.Code = "MAINTENANCE_CONFLICT"
)

// Status is where a booking is in its lifecycle.
type Status string

// Booking statuses.
const (
	StatusHeld       Status = "HELD"
	StatusConfirmed  Status = "CONFIRMED"
	StatusCheckedIn  Status = "CHECKED_IN"
	StatusCheckedOut Status = "CHECKED_OUT"
	StatusCancelled  Status = "CANCELLED"
	StatusExpired    Status = "EXPIRED"
	StatusNoShow     Status = "NO_SHOW"
)

// Catalog is what the booking core reads from the catalog.
type Catalog interface {
	Hotel(ctx context.Context, id uuid.UUID) (catalog.Hotel, error)
	Hotels(ctx context.Context, ids []uuid.UUID) ([]catalog.Hotel, error)
	RatePlansAt(ctx context.Context, hotelID uuid.UUID, ratePlanIDs []uuid.UUID) (catalog.Hotel, map[uuid.UUID]catalog.Bookable, error)
}

// Opts configures the booking service.
type Opts struct {
	// HoldTTL is how long a hold keeps its inventory unconfirmed. Default 15m.
	HoldTTL time.Duration
	// OptimisticAttempts is how many times a reservation is tried without
	// locks before the last attempt takes row locks in a fixed order.
	// Default 3.
	OptimisticAttempts int
	// ContendedFor is how long a room type whose reservation conflicted
	// stays contended. Reservations on a contended room type, or on one that
	// another reservation in this process is working on, take the row locks
	// on their first attempt: they queue instead of losing optimistic races.
	// Default 2s; negative turns contention detection off (every reservation
	// starts optimistic).
	ContendedFor time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// ChargeTimeout bounds one call to a payment provider: a charge
	// without an answer by then is UNKNOWN, and reconciled a minute after
	// it. Default 30s.
	ChargeTimeout time.Duration
	// PII seals contact details and guest names before they are stored and
	// opens them for callers allowed to see them. nil: random keys that live
	// only as long as this process (shared by its services) — for tests and
	// benchmarks; 'staygraph serve' and 'dev' always give a persistent keyring.
	PII *pii.Keyring
}

// Service runs the booking core.
type Service struct {
	pool     *pgxpool.Pool
	q        *db.Queries
	catalog  Catalog
	payments *payment.Registry
	jobs     *river.Client[pgx.Tx]
	notifier *notify.Service
	opts     Opts
	hot      contention
}

// NewService returns the booking core. jobs enqueues background work (hold
// expiry) in the booking's own transaction; it may be an insert-only client.
func NewService(pool *pgxpool.Pool, cat Catalog, payments *payment.Registry, jobs *river.Client[pgx.Tx], opts Opts) *Service {
	if opts.HoldTTL == 0 {
		opts.HoldTTL = 15 * time.Minute
	}
	if opts.OptimisticAttempts == 0 {
		opts.OptimisticAttempts = 3
	}
	if opts.ContendedFor == 0 {
		opts.ContendedFor = 2 * time.Second
	}
	if opts.ChargeTimeout <= 0 {
		opts.ChargeTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PII == nil {
		opts.PII = ephemeralKeys()
	}
	return &Service{pool: pool, q: db.New(pool), catalog: cat, payments: payments, jobs: jobs, opts: opts}
}

// Booking is a reservation of one or more rooms for one stay at one hotel.
// ContactEmail and ContactPhone are stored sealed (internal/pii) and filled
// in only for callers allowed to see the booking.
type Booking struct {
	ID        uuid.UUID
	Reference string
	HotelID   uuid.UUID
	Status    Status
	Version   int64
	CheckIn   time.Time // hotel-local date
	CheckOut  time.Time // hotel-local date
	// DepartedOn is the hotel-local date guests who left before CheckOut
	// checked out; nil otherwise. The nights from it went back on sale.
	DepartedOn *time.Time
	// CheckInAt is the stay's check-in instant, fixed when it was held:
	// cancellation deadlines count back from it, on the clock of SoldZone.
	CheckInAt time.Time
	// SoldZone is the hotel's IANA time zone when the stay was held; ""
	// for bookings held before it was kept (their hotel's zone counts).
	SoldZone      string
	Currency      string
	RoomAmount    int64
	TaxAmount     int64
	Total         int64
	DepositDue    int64
	Owner         string
	ContactEmail  string
	ContactPhone  string
	Language      string
	HoldExpiresAt time.Time
	// PaymentInFlight pins a hold while a charge on it is under way.
	PaymentInFlight bool
	ConfirmedAt     *time.Time
	CancelledAt     *time.Time
	// CancelReason is the guest's or staff's free text, personal data:
	// stored sealed, opened by Service.reveal like the contact.
	CancelReason  string
	PenaltyAmount int64
	RefundDue     int64
	// RelocationRequired is set when maintenance took this booking's room
	// away; staff must move the guests.
	RelocationRequired bool
	RelocationNote     string
	CreatedAt          time.Time
	// Zone is the hotel's time zone when the call that returned the booking
	// had read the hotel (a hold does); nil otherwise.
	Zone *time.Location
	// sealed is the personal data as stored, until Service.reveal opens it.
	sealed sealedContact
}

// Nights is the number of nights of the stay.
func (b Booking) Nights() int { return nightsBetween(b.CheckIn, b.CheckOut) }

// BookedRoom is one unit in a booking.
type BookedRoom struct {
	Position int
	// Currency and CheckIn repeat the booking's, to price Nightly.
	Currency   string
	CheckIn    time.Time
	RatePlanID uuid.UUID
	RoomTypeID uuid.UUID
	Adults     int
	ChildAges  []int
	Nightly    []int64
	Amount     int64
	TaxAmount  int64
	Policy     catalog.CancellationPolicy
	// HoldsInventory is false once the unit was handed back.
	HoldsInventory bool
}

// Guest is a named guest of a booking.
type Guest struct {
	Position   int
	Room       *int // position of the room the guest stays in
	GivenName  string
	FamilyName string
}

func bookingFromRow(r db.Booking) Booking {
	var departed *time.Time
	if r.DepartedOn.Valid {
		departed = &r.DepartedOn.Time
	}
	return Booking{
		DepartedOn: departed,
		ID:         r.ID, Reference: r.Reference, HotelID: r.HotelID, Status: Status(r.Status), Version: r.Version,
		CheckIn: r.CheckIn, CheckOut: r.CheckOut, CheckInAt: r.CheckInAt, Currency: r.Currency, RoomAmount: r.RoomAmount,
		TaxAmount: r.TaxAmount, Total: r.TotalAmount, DepositDue: r.DepositDue, Owner: r.Owner, Language: r.Language,
		sealed: sealedContact{email: r.ContactEmailEnc, phone: r.ContactPhoneEnc, cancelReason: r.CancelReasonEnc}, HoldExpiresAt: r.HoldExpiresAt, PaymentInFlight: r.PaymentInFlight,
		ConfirmedAt: r.ConfirmedAt, CancelledAt: r.CancelledAt,
		PenaltyAmount: r.PenaltyAmount, RefundDue: r.RefundDue,
		RelocationRequired: r.RelocationRequired, RelocationNote: r.RelocationNote, CreatedAt: r.CreatedAt,
		SoldZone: r.TimeZone.String,
	}
}

// soldZone is the zone whose clock b's cancellation terms count on, the
// one it was sold in; nil for a booking sold before that was kept (its
// hotel's zone counts).
func (b Booking) soldZone() *time.Location {
	if b.SoldZone == "" {
		return nil
	}
	loc, err := hoteldate.Zone(b.SoldZone)
	if err != nil {
		return nil
	}
	return loc
}
