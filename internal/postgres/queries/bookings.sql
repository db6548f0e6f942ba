-- name: CreateHold :one
-- A HELD booking with its rooms, its guests and the idempotency key of the
-- request, in one statement. Contact details and names arrive sealed by
-- internal/pii; contact_email_idx is the email's blind index. Rooms and
-- guests are parallel arrays (zipped by unnest), one element per room or guest; a room's child
-- ages and nightly prices are array literals such as '{9,4}'.
WITH booking AS (
    INSERT INTO bookings (id, reference, hotel_id, status, check_in, check_out, check_in_at, currency, room_amount, tax_amount,
                          total_amount, deposit_due, owner, contact_email_enc, contact_email_idx, contact_phone_enc,
                          hold_expires_at, language, time_zone)
    VALUES (@id, @reference, @hotel_id, 'HELD', @check_in, @check_out, @check_in_at, @currency, @room_amount, @tax_amount,
            @total_amount, @deposit_due, @owner, @contact_email_enc, @contact_email_idx, @contact_phone_enc,
            @hold_expires_at, @language, @time_zone)
    RETURNING *
), rooms AS (
    INSERT INTO booking_rooms (booking_id, position, rate_plan_id, room_type_id, adults, child_ages, nightly, amount,
                               tax_amount, cancellation_policy)
    SELECT @id, r.position, r.rate_plan_id, r.room_type_id, r.adults, r.child_ages::smallint[], r.nightly::bigint[],
           r.amount, r.tax_amount, r.policy
    FROM (SELECT unnest(@room_positions::smallint[]) AS position, unnest(@room_rate_plan_ids::uuid[]) AS rate_plan_id,
                 unnest(@room_type_ids::uuid[]) AS room_type_id, unnest(@room_adults::smallint[]) AS adults,
                 unnest(@room_child_ages::text[]) AS child_ages, unnest(@room_nightly::text[]) AS nightly,
                 unnest(@room_amounts::bigint[]) AS amount, unnest(@room_tax_amounts::bigint[]) AS tax_amount,
                 unnest(@room_policies::jsonb[]) AS policy) AS r
), guests AS (
    INSERT INTO booking_guests (booking_id, position, room, given_name_enc, family_name_enc)
    SELECT @id, g.position, g.room, g.given, g.family
    FROM (SELECT unnest(@guest_positions::smallint[]) AS position, unnest(@guest_rooms::smallint[]) AS room,
                 unnest(@guest_given_names::bytea[]) AS given, unnest(@guest_family_names::bytea[]) AS family) AS g
), request AS (
    INSERT INTO idempotency_keys (principal, key, operation, request_hash, booking_id)
    VALUES (@principal, @key, @operation, @request_hash, @id)
)
SELECT * FROM booking;

-- name: GetBooking :one
SELECT * FROM bookings WHERE id = $1;

-- name: GetBookingForUpdate :one
SELECT * FROM bookings WHERE id = $1 FOR UPDATE;

-- name: GetBookingByReference :one
SELECT * FROM bookings WHERE reference = $1;

-- name: ListBookingsByOwner :many
SELECT * FROM bookings
WHERE owner = @owner AND id < coalesce(sqlc.narg(after)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
ORDER BY id DESC
LIMIT @page_size;

-- name: ListBookingsByHotels :many
-- Each hotel's newest page from its own range of bookings_hotel_id_idx, then
-- the newest of those: the work grows with hotels times page size, not with
-- the bookings the hotels have.
SELECT b.* FROM (SELECT DISTINCT unnest(@hotel_ids::uuid[]) AS id) h
CROSS JOIN LATERAL (
    SELECT * FROM bookings
    WHERE hotel_id = h.id AND id < coalesce(sqlc.narg(after)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
    ORDER BY id DESC
    LIMIT @page_size
) b
ORDER BY b.id DESC
LIMIT @page_size;

-- name: ListBookingRooms :many
SELECT br.*, b.currency, b.check_in FROM booking_rooms br JOIN bookings b ON b.id = br.booking_id
WHERE br.booking_id = ANY(@booking_ids::uuid[]) ORDER BY br.booking_id, br.position;

-- name: ListBookingGuests :many
SELECT * FROM booking_guests WHERE booking_id = ANY(@booking_ids::uuid[]) ORDER BY booking_id, position;

-- name: SetPaymentInFlight :one
-- Marks a payment as under way so the hold cannot expire meanwhile; only a
-- live hold at the expected version qualifies.
UPDATE bookings SET payment_in_flight = true, version = version + 1, updated_at = now()
WHERE id = @id AND version = @version AND NOT payment_in_flight
  AND (status = 'HELD' AND hold_expires_at > @now::timestamptz OR status IN ('CONFIRMED', 'CHECKED_IN'))
RETURNING *;

-- name: ClearPaymentInFlight :one
UPDATE bookings SET payment_in_flight = false, version = version + 1, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: ConfirmBooking :one
-- A hold maintenance took the rooms of (relocation_required) has nothing
-- left to sell: it is not confirmed.
UPDATE bookings SET status = 'CONFIRMED', payment_in_flight = false, confirmed_at = now(),
    version = version + 1, updated_at = now()
WHERE id = @id AND status = 'HELD' AND NOT relocation_required
RETURNING *;

-- name: ExpireBooking :one
-- Expires a hold whose time is up, or whose rooms maintenance took (it can
-- no longer be confirmed: it ends at once), unless a payment on it is in
-- flight. What was captured on it is owed back (refund_due), as
-- CapturedAmount sums it.
UPDATE bookings SET status = 'EXPIRED', version = version + 1, updated_at = now(),
    refund_due = (SELECT coalesce(sum(p.captured_amount), 0)::bigint FROM payments p
                  WHERE p.booking_id = bookings.id AND p.status IN ('CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED'))
WHERE bookings.id = @id AND bookings.status = 'HELD' AND NOT bookings.payment_in_flight
  AND (bookings.hold_expires_at <= @now::timestamptz OR bookings.relocation_required)
RETURNING *;

-- name: CancelBooking :one
-- The reason arrives sealed by internal/pii (NULL: none given).
UPDATE bookings SET status = 'CANCELLED', cancelled_at = now(), cancel_reason_enc = @cancel_reason_enc,
    penalty_amount = @penalty_amount, refund_due = @refund_due, payment_in_flight = false,
    version = version + 1, updated_at = now()
WHERE id = @id AND version = @version AND status IN ('HELD', 'CONFIRMED')
RETURNING *;

-- name: FlagRelocation :one
-- Returns the booking's status as it is now (a hold may have been confirmed
-- since it was listed).
UPDATE bookings SET relocation_required = true, relocation_note = @note, version = version + 1, updated_at = now()
WHERE id = @id
RETURNING status;

-- name: ReleaseBookingRooms :many
-- Marks a booking's rooms as no longer holding inventory and returns those
-- that still did, so each unit is handed back exactly once.
UPDATE booking_rooms SET holds_inventory = false
WHERE booking_id = @booking_id AND holds_inventory AND (sqlc.narg(room_type_id)::uuid IS NULL OR room_type_id = sqlc.narg(room_type_id)::uuid)
RETURNING room_type_id;

-- name: ReclaimBookingRooms :many
-- Marks a booking's rooms that no longer hold inventory (maintenance took
-- them: relocation) as holding it again from the night @holds_from (NULL:
-- the booking's check-in), and returns their room types: the caller claims
-- their units in the same transaction.
UPDATE booking_rooms SET holds_inventory = true, holds_from = sqlc.narg(holds_from)::date
WHERE booking_id = @booking_id AND NOT holds_inventory
RETURNING room_type_id;

-- name: BookingsHoldingNights :many
-- Active bookings holding units of a room type on any of the given nights,
-- newest first: the ones to relocate when capacity shrinks (never those
-- checked in: shrinkTx names them).
-- From the hotel's live bookings whose stay ends after the first night
-- (bookings_hotel_live_stay_idx), not from every room the room type sold.
-- Locked, and read as they are once locked: a check-in (or cancellation)
-- that committed meanwhile shows as CHECKED_IN (or leaves the booking out),
-- so guests in the house are never moved out of their room.
SELECT b.id, b.reference, b.status, b.check_in, b.check_out,
       (SELECT count(*) FROM booking_rooms br
        WHERE br.booking_id = b.id AND br.room_type_id = @room_type_id AND br.holds_inventory)::int AS units
FROM bookings b
WHERE b.hotel_id = (SELECT rt.hotel_id FROM room_types rt WHERE rt.id = @room_type_id)
  AND b.status IN ('HELD', 'CONFIRMED', 'CHECKED_IN')
  AND b.check_out > @first_night AND b.check_in <= @last_night
  AND EXISTS (SELECT FROM booking_rooms br
              WHERE br.booking_id = b.id AND br.room_type_id = @room_type_id AND br.holds_inventory)
ORDER BY b.created_at DESC, b.id DESC
FOR UPDATE OF b;

-- name: ListRelocations :many
SELECT * FROM bookings
WHERE hotel_id = ANY(@hotel_ids::uuid[]) AND relocation_required AND status IN ('HELD', 'CONFIRMED', 'CHECKED_IN')
ORDER BY hotel_id, check_in, id;

-- name: ListAllBookings :many
SELECT * FROM bookings
WHERE id < coalesce(sqlc.narg(after)::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
ORDER BY id DESC
LIMIT @page_size;

-- Key rotation (staygraph rotate-keys). A sealed value is due when it does
-- not begin with @header, the envelope header of the primary key; NULL (no
-- personal data) is never due.

-- name: CountBookingsToRotate :one
-- Bookings with personal data sealed with another key, and the cancel
-- reasons servers of the release before 00023 wrote in plaintext during a
-- rolling deploy.
SELECT count(*) FROM bookings
WHERE substr(contact_email_enc, 1, length(@header::bytea)) <> @header::bytea
   OR substr(contact_phone_enc, 1, length(@header::bytea)) <> @header::bytea
   OR substr(cancel_reason_enc, 1, length(@header::bytea)) <> @header::bytea
   OR cancel_reason <> '';

-- name: LockBookingsToRotate :many
-- The next batch of due bookings after @after, locked; rows the API has
-- locked are skipped (a later pass takes them), so rotation never waits on
-- or deadlocks with a booking transaction.
SELECT id, version, contact_email_enc, contact_phone_enc, cancel_reason, cancel_reason_enc FROM bookings
WHERE id > @after::uuid
  AND (substr(contact_email_enc, 1, length(@header::bytea)) <> @header::bytea
    OR substr(contact_phone_enc, 1, length(@header::bytea)) <> @header::bytea
    OR substr(cancel_reason_enc, 1, length(@header::bytea)) <> @header::bytea
    OR cancel_reason <> '')
ORDER BY id
LIMIT @batch_size
FOR UPDATE SKIP LOCKED;

-- name: RotateBookingContact :execrows
-- Re-sealed contact details and cancel reason of a booking (a plaintext
-- reason sealed, and emptied), optimistic on its version. The logical value
-- is unchanged, so the version is not bumped.
UPDATE bookings SET contact_email_enc = @contact_email_enc, contact_phone_enc = @contact_phone_enc,
    cancel_reason_enc = @cancel_reason_enc, cancel_reason = ''
WHERE id = @id AND version = @version;

-- name: CountGuestsToRotate :one
SELECT count(*) FROM booking_guests
WHERE substr(given_name_enc, 1, length(@header::bytea)) <> @header::bytea
   OR substr(family_name_enc, 1, length(@header::bytea)) <> @header::bytea;

-- name: LockGuestsToRotate :many
SELECT booking_id, position, given_name_enc, family_name_enc FROM booking_guests
WHERE (booking_id, position) > (@after_booking::uuid, @after_position::smallint)
  AND (substr(given_name_enc, 1, length(@header::bytea)) <> @header::bytea
    OR substr(family_name_enc, 1, length(@header::bytea)) <> @header::bytea)
ORDER BY booking_id, position
LIMIT @batch_size
FOR UPDATE SKIP LOCKED;

-- name: RotateGuestNames :execrows
-- Re-sealed names of a guest; booking_guests has no version, so the old
-- envelopes are the optimistic check.
UPDATE booking_guests SET given_name_enc = @given_name_enc, family_name_enc = @family_name_enc
WHERE booking_id = @booking_id AND position = @position
  AND given_name_enc IS NOT DISTINCT FROM @old_given_name_enc::bytea
  AND family_name_enc IS NOT DISTINCT FROM @old_family_name_enc::bytea;

-- name: CheckInBooking :one
-- Records that the guests arrived; a booking flagged for relocation has its
-- rooms again (CheckIn claims them back: ReclaimBookingRooms), from the
-- hotel's business date @today when the stay began before it (arrived_on).
UPDATE bookings SET status = 'CHECKED_IN', relocation_required = false, relocation_note = '',
    arrived_on = CASE WHEN relocation_required AND @today::date > check_in THEN @today::date END,
    version = version + 1, updated_at = now()
WHERE id = @id AND version = @version AND status = 'CONFIRMED' AND NOT payment_in_flight
RETURNING *;

-- name: MarkNoShow :one
-- Records that the guests never came; the caller hands the rooms back.
UPDATE bookings SET status = 'NO_SHOW', version = version + 1, updated_at = now()
WHERE id = @id AND version = @version AND status = 'CONFIRMED' AND NOT payment_in_flight
RETURNING *;

-- name: CheckOutBooking :one
-- Records that the guests left on @today, the hotel's local date. The
-- booking keeps the units of the nights they used; leaving before the
-- check-out date records departed_on, and the caller hands the nights
-- from it back: never from before the day they arrived (a zone corrected
-- westwards can put the desk's date there), whose nights they never held.
UPDATE bookings SET status = 'CHECKED_OUT',
    departed_on = CASE WHEN @today::date < check_out THEN greatest(@today::date, coalesce(arrived_on, check_in)) END,
    version = version + 1, updated_at = now()
WHERE id = @id AND version = @version AND status IN ('CONFIRMED', 'CHECKED_IN') AND NOT payment_in_flight
RETURNING *;

-- name: ListArrivals :many
-- A hotel's bookings whose check-in is a night, that arrived or are still
-- to (not holds, cancellations or expired holds), by id from after: one
-- range of bookings_hotel_stay_idx.
SELECT * FROM bookings
WHERE hotel_id = @hotel_id AND check_in = @night::date
  AND status IN ('CONFIRMED', 'CHECKED_IN', 'CHECKED_OUT', 'NO_SHOW')
  AND id > coalesce(sqlc.narg(after)::uuid, '00000000-0000-0000-0000-000000000000')
ORDER BY id
LIMIT @page_size;

-- name: ListInHouse :many
-- A hotel's bookings checked in and not checked out, by id from after: one
-- range of bookings_in_house_idx, not every booking the hotel ever had.
SELECT * FROM bookings
WHERE hotel_id = @hotel_id AND status = 'CHECKED_IN'
  AND id > coalesce(sqlc.narg(after)::uuid, '00000000-0000-0000-0000-000000000000')
ORDER BY id
LIMIT @page_size;
