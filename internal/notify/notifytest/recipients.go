package notifytest

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/staygraph/staygraph/internal/notify"
)

// Recipients is notify.Recipients over a map, standing in for the booking
// core in tests.
type Recipients struct {
	mu       sync.Mutex
	contacts map[uuid.UUID]notify.Contact
}

var _ notify.Recipients = (*Recipients)(nil)

// NewRecipients returns an empty Recipients.
func NewRecipients() *Recipients {
	return &Recipients{contacts: map[uuid.UUID]notify.Contact{}}
}

// Set records (or replaces) the contact of a booking.
func (r *Recipients) Set(bookingID uuid.UUID, c notify.Contact) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.contacts[bookingID] = c
}

// Delete forgets the contact of a booking.
func (r *Recipients) Delete(bookingID uuid.UUID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.contacts, bookingID)
}

// ContactOf implements notify.Recipients; an unknown booking is a permanent
// failure.
func (r *Recipients) ContactOf(_ context.Context, bookingID uuid.UUID) (notify.Contact, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.contacts[bookingID]
	if !ok {
		return notify.Contact{}, notify.Permanent(fmt.Errorf("booking %s not found", bookingID))
	}
	return c, nil
}
