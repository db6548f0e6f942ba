package booking

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"

	"github.com/staygraph/staygraph/internal/apperr"
	"github.com/staygraph/staygraph/internal/auth"
	"github.com/staygraph/staygraph/internal/catalog"
	"github.com/staygraph/staygraph/internal/hoteldate"
	"github.com/staygraph/staygraph/internal/money"
	"github.com/staygraph/staygraph/internal/notify"
	"github.com/staygraph/staygraph/internal/postgres"
	"github.com/staygraph/staygraph/internal/postgres/db"
	"github.com/staygraph/staygraph/internal/textfield"
)

// Contact is how the hotel reaches the booker.
type Contact struct {
	Email string
	Phone string
	// Language is the BCP 47 tag guests are written to in; default "en".
	Language string
}

// HoldInput asks to reserve rooms for a stay until payment confirms them.
type HoldInput struct {
	IdempotencyKey string
	HotelID        uuid.UUID
	CheckIn        time.Time
	CheckOut       time.Time
	Rooms          []RoomRequest
	Contact        Contact
	// ExpectedTotal, when set, is the total the caller was quoted; a
	// different current total fails with PRICE_CHANGED.
	ExpectedTotal *int64
}

// Hold reserves inventory for every night of the stay, atomically, and
// returns a HELD booking that expires after Opts.HoldTTL (or when the night
// it checks in on ends, if sooner) unless confirmed.
// Guests, partners with the "book" scope, the hotel's staff and admins may hold.
func (s *Service) Hold(ctx context.Context, in HoldInput) (Booking, error) {
	owner, err := bookerOf(ctx, in.HotelID)
	if err != nil {
		return Booking{}, err
	}
	// Validation trims names; work on copies so the caller's input stays as it was.
	in.Rooms = slices.Clone(in.Rooms)
	for i := range in.Rooms {
		in.Rooms[i].Guests = slices.Clone(in.Rooms[i].Guests)
	}
	if err := validateHold(&in); err != nil {
		return Booking{}, err
	}
	key, err := s.newIdempotency(owner, in.IdempotencyKey, "hold", in)
	if err != nil {
		return Booking{}, err
	}
	// A repeated request gets the first result. Its key is not looked up
	// first: when everything else succeeds, the hold statement's insert of
	// the key finds it; any failure looks it up before it is returned (the
	// first hold may have taken the last room, or the catalog changed since).
	quote, err := s.prepare(ctx, QuoteInput{HotelID: in.HotelID, CheckIn: in.CheckIn, CheckOut: in.CheckOut, Rooms: in.Rooms}, "input")
	if err != nil {
		return s.replayOr(ctx, key, err)
	}
	var booking Booking
	err = s.withReservation(ctx, reservationOf(quote).roomTypes(), func(tx pgx.Tx, q *db.Queries, reserve func(reservation) error) error {
		if err := partiesFitTx(ctx, q, quote); err != nil {
			return err
		}
		// Prices are read in the transaction that reserves, so the booking
		// is charged what the rates say at that moment.
		if err := s.priceTx(ctx, q, &quote); err != nil {
			return err
		}
		if in.ExpectedTotal != nil && *in.ExpectedTotal != quote.Total {
			now := money.New(quote.Total, quote.Currency)
			return &apperr.Error{Code: PriceChanged, Field: []string{"input", "expectedTotal"}, Amount: &now,
				Message: fmt.Sprintf("the total is now %s, not %s; quote again and confirm the new price",
					now, money.New(*in.ExpectedTotal, quote.Currency))}
		}
		if booking, err = s.insertHoldTx(ctx, tx, q, owner, key, in, quote); err != nil {
			return err
		}
		if err := s.noticeTx(ctx, tx, booking.ID, notify.Held); err != nil {
			return err
		}
		// The inventory write comes last, so its row locks are held only until commit.
		return reserve(reservationOf(quote))
	})
	if err != nil {
		if !isKeyRace(err) {
			err = fmt.Errorf("hold booking: %w", soldOutRoom(err, quote.Rooms))
		}
		return s.replayOr(ctx, key, err)
	}
	booking.Zone = quote.CheckInAt.Location()
	return booking, nil
}

// partiesFitTx checks each room's party against its room type's limits as
// they are in the hold's transaction, and keeps them so until it commits
// (a key-share lock, which a change of the limits waits for): the quote read
// them before, and a change committed since would otherwise be outlived by
// the hold.
func partiesFitTx(ctx context.Context, q *db.Queries, quote Quote) error {
	ids := make([]uuid.UUID, len(quote.Rooms))
	for i, r := range quote.Rooms {
		ids[i] = r.RoomType.ID
	}
	rows, err := q.RoomTypeLimitsForKeyShare(ctx, ids)
	if err != nil {
		return fmt.Errorf("read room type limits: %w", err)
	}
	limits := map[uuid.UUID]db.RoomTypeLimitsForKeyShareRow{}
	for _, r := range rows {
		limits[r.ID] = r
	}
	var errs apperr.List
	for i, room := range quote.Rooms {
		l := limits[room.RoomType.ID]
		rt := catalog.RoomType{ID: l.ID, Name: l.Name, MaxAdults: int(l.MaxAdults), MaxChildren: int(l.MaxChildren), MaxOccupancy: int(l.MaxOccupancy)}
		if err := checkParty(rt, room.Party, []string{"input", "rooms", fmt.Sprint(i)}); err != nil {
			errs = append(errs, err)
		}
	}
	return errs.Err()
}

// bookerOf authorises a hold at hotelID and names the booking's owner.
func bookerOf(ctx context.Context, hotelID uuid.UUID) (string, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return "", err
	}
	switch p.Role {
	case auth.RoleGuest, auth.RoleAdmin:
	case auth.RolePartner:
		if err := auth.RequireScope(ctx, auth.ScopeBook); err != nil {
			return "", err
		}
	case auth.RoleStaff:
		if err := auth.RequireHotel(ctx, hotelID); err != nil {
			return "", err
		}
	default:
		return "", apperr.New(apperr.Forbidden, "this principal cannot book")
	}
	return ownerOf(p), nil
}

// ownerOf names a principal as a booking owner; roles keep subjects apart.
func ownerOf(p *auth.Principal) string { return p.Name() }

func validateHold(in *HoldInput) error {
	if err := RoomCount(len(in.Rooms), "input"); err != nil {
		return err
	}
	var errs apperr.List
	fail := func(msg string, field ...string) {
		errs = append(errs, apperr.Invalid(msg, append([]string{"input"}, field...)...))
	}
	if in.ExpectedTotal != nil && *in.ExpectedTotal < 0 {
		fail("a total is 0 or more minor units", "expectedTotal")
	}
	in.Contact.Email = strings.TrimSpace(in.Contact.Email)
	if a, err := mail.ParseAddress(in.Contact.Email); err != nil || a.Address != in.Contact.Email || len(in.Contact.Email) > 254 ||
		strings.LastIndex(in.Contact.Email, "@") > 64 { // a mailbox name has at most 64 characters (RFC 5321)
		fail("give a valid email address such as ana@example.com", "contact", "email")
	}
	in.Contact.Phone = strings.TrimSpace(in.Contact.Phone)
	if in.Contact.Language = strings.TrimSpace(in.Contact.Language); in.Contact.Language == "" {
		in.Contact.Language = "en"
	}
	if len(in.Contact.Language) > 35 || !languagePattern.MatchString(in.Contact.Language) {
		fail("give a language tag such as en, fr or es-MX", "contact", "language")
	}
	// international form (E.164: a + and at most 15 digits), which SMS
	// gateways need: a national number (01 23 ...) reaches no one abroad
	if p := in.Contact.Phone; p != "" && (len(p) > 20 || !strings.HasPrefix(p, "+") || strings.Trim(p[1:], "0123456789 -().") != "" ||
		digits(p) < 6 || digits(p) > 15) {
		fail("give a phone number in international form such as +33 1 23 45 67 89", "contact", "phone")
	}
	for i := range in.Rooms {
		r := &in.Rooms[i]
		f := []string{"rooms", fmt.Sprint(i), "guests"}
		if len(r.Guests) == 0 {
			fail("name at least one guest for each room", f...)
		}
		switch {
		case r.Party.Adults < 1:
			fail("a room needs at least one adult", "rooms", fmt.Sprint(i), "adults")
		case len(r.Guests)-len(r.Party.ChildAges) > r.Party.Adults: // more than adults and children, with no sum that could wrap
			fail("more named guests than the party has", f...)
		}
		for j := range r.Guests {
			g := &r.Guests[j]
			g.GivenName, g.FamilyName = textfield.Trim(g.GivenName), textfield.Trim(g.FamilyName)
			if g.GivenName == "" || g.FamilyName == "" || utf8.RuneCountInString(g.GivenName) > 100 || utf8.RuneCountInString(g.FamilyName) > 100 {
				fail("each guest needs a given and a family name of at most 100 characters", append(f, fmt.Sprint(j))...)
			}
		}
	}
	return errs.Err()
}

func reservationOf(q Quote) reservation {
	types := make([]uuid.UUID, len(q.Rooms))
	for i, room := range q.Rooms {
		types[i] = room.RoomType.ID
	}
	r := newReservation(types, q.CheckIn, q.CheckOut)
	r.read = q.inventory
	return r
}

// insertHoldTx writes the HELD booking, its rooms and guests, and the
// request's idempotency key, in one statement.
func (s *Service) insertHoldTx(ctx context.Context, tx pgx.Tx, q *db.Queries, owner string, key idempotency, in HoldInput, quote Quote) (Booking, error) {
	now := s.opts.Now()
	id := uuid.Must(uuid.NewV7())
	email, emailIndex, phone, err := sealContact(s.opts.PII, id, in.Contact)
	if err != nil {
		return Booking{}, err
	}
	p := db.CreateHoldParams{
		ID: id, Reference: newReference(), HotelID: quote.Hotel.ID,
		CheckIn: quote.CheckIn, CheckOut: quote.CheckOut, CheckInAt: quote.CheckInAt, Currency: quote.Currency,
		RoomAmount: quote.RoomAmount, TaxAmount: quote.TaxAmount, TotalAmount: quote.Total, DepositDue: quote.DepositDue,
		Owner: owner, ContactEmailEnc: email, ContactEmailIdx: emailIndex, ContactPhoneEnc: phone,
		HoldExpiresAt: holdEnds(now, s.opts.HoldTTL, quote), Language: in.Contact.Language,
		TimeZone:  pgtype.Text{String: quote.Hotel.TimeZone, Valid: true},
		Principal: key.principal, Key: key.key, Operation: key.operation, RequestHash: key.hash,
	}
	for i, room := range quote.Rooms {
		nightly := make([]int64, len(room.Nightly))
		for n, price := range room.Nightly {
			nightly[n] = price.Amount
		}
		policy, _ := json.Marshal(policyJSON(room.RatePlan.CancellationPolicy))
		p.RoomPositions = append(p.RoomPositions, int16(i))
		p.RoomRatePlanIds = append(p.RoomRatePlanIds, room.RatePlan.ID)
		p.RoomTypeIds = append(p.RoomTypeIds, room.RoomType.ID)
		p.RoomAdults = append(p.RoomAdults, int16(room.Party.Adults))
		p.RoomChildAges = append(p.RoomChildAges, arrayLiteral(room.Party.ChildAges))
		p.RoomNightly = append(p.RoomNightly, arrayLiteral(nightly))
		p.RoomAmounts = append(p.RoomAmounts, room.Amount)
		p.RoomTaxAmounts = append(p.RoomTaxAmounts, room.TaxAmount)
		p.RoomPolicies = append(p.RoomPolicies, policy)
		for _, g := range in.Rooms[i].Guests {
			position := int16(len(p.GuestPositions))
			given, family, err := sealGuest(s.opts.PII, id, position, g)
			if err != nil {
				return Booking{}, err
			}
			p.GuestPositions = append(p.GuestPositions, position)
			p.GuestRooms = append(p.GuestRooms, int16(i))
			p.GuestGivenNames = append(p.GuestGivenNames, given)
			p.GuestFamilyNames = append(p.GuestFamilyNames, family)
		}
	}
	row, err := q.CreateHold(ctx, p)
	if postgres.Constraint(err) == "bookings_reference_key" {
		return Booking{}, errConflict // one in a billion: try again with another reference
	}
	if err != nil {
		return Booking{}, fmt.Errorf("insert booking: %w", err)
	}
	if s.jobs != nil {
		if _, err := s.jobs.InsertTx(ctx, tx, ExpireHoldArgs{BookingID: row.ID}, &river.InsertOpts{ScheduledAt: row.HoldExpiresAt}); err != nil {
			return Booking{}, fmt.Errorf("schedule hold expiry: %w", err)
		}
	}
	held := bookingFromRow(db.Booking(row))
	held.ContactEmail, held.ContactPhone = in.Contact.Email, in.Contact.Phone
	return held, nil
}

// arrayLiteral writes numbers as a PostgreSQL array literal such as {9,4}.
func arrayLiteral[N int | int64](ns []N) string {
	b := []byte{'{'}
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return string(append(b, '}'))
}

var languagePattern = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// referenceAlphabet avoids letters and digits people confuse (0/O, 1/I/L, U/V).
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"

// newReference returns a short booking reference such as "SG-7K3M9Q2".
func newReference() string {
	out := make([]byte, 0, 7)
	buf := make([]byte, 16)
	for len(out) < cap(out) {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			// Reject the top of the byte range so every letter is equally likely.
			if int(b) < 256-256%len(referenceAlphabet) && len(out) < cap(out) {
				out = append(out, referenceAlphabet[int(b)%len(referenceAlphabet)])
			}
		}
	}
	return "SG-" + string(out)
}

// policySnapshot is how a room's cancellation terms are kept with the booking.
type policySnapshot struct {
	Refundable bool                    `json:"refundable"`
	Penalties  []catalog.PenaltyWindow `json:"penalties"`
}

func policyJSON(p catalog.CancellationPolicy) policySnapshot {
	return policySnapshot{Refundable: p.Refundable, Penalties: p.Penalties}
}

func (p policySnapshot) policy() catalog.CancellationPolicy {
	return catalog.CancellationPolicy{Refundable: p.Refundable, Penalties: p.Penalties}
}

// digits counts the decimal digits of s.
func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// holdEnds is when a hold made at now lapses: after ttl, or when the night
// it checks in on ends (hoteldate.Ends) if that is sooner, as a hold of the
// night in progress made at 05:50 cannot be confirmed once the night is
// over at 06:00.
func holdEnds(now time.Time, ttl time.Duration, q Quote) time.Time {
	ends := now.Add(ttl)
	if night := hoteldate.Ends(q.CheckIn, q.CheckInAt.Location()); night.Before(ends) {
		return night
	}
	return ends
}
