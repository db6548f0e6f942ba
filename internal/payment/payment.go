// Package payment defines how staygraph takes money: the Provider interface
// every payment method implements, and the Registry the booking core looks
// providers up in. Providers live in subpackages (sandbox, ...); adding a
// method is a new subpackage plus one Register call.
package payment

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/staygraph/staygraph/internal/money"
)

// Status is the outcome of a charge as the provider reports it.
type Status string

// Charge outcomes.
const (
	// Captured: the money was taken (possibly less than asked, see Captured).
	Captured Status = "CAPTURED"
	// Declined: the provider refused; nothing was taken.
	Declined Status = "DECLINED"
	// Unknown: no answer (timeout, lost connection). Never guess: reconcile
	// later by asking the provider with the same idempotency key.
	Unknown Status = "UNKNOWN"
)

// ChargeRequest asks a provider to take money.
type ChargeRequest struct {
	// IdempotencyKey is sent to the provider so a retried call never charges twice.
	IdempotencyKey string
	Amount         money.Money
	// Token is the provider's token for the payment method; never card data.
	Token       string
	Description string
}

// ChargeResult is what the provider answered.
type ChargeResult struct {
	Status Status
	// ProviderRef is the provider's id for the charge.
	ProviderRef string
	// Captured is the amount actually taken, in minor units. Less than asked
	// only when the method held less (a gift card), and then in the step
	// cards settle (money.CashStep), so that another method can pay the rest.
	Captured int64
	// FailureCode and FailureMessage explain a decline.
	FailureCode    string
	FailureMessage string
}

// NotFound is the FailureCode of a Declined answer of Lookup when the
// provider has no charge under the key: the charge never reached it, or,
// shortly after the call, the provider has not recorded it yet (callers
// wait a while before taking it as final).
const NotFound = "not_found"

// RefundRequest gives money back on an earlier charge.
type RefundRequest struct {
	// IdempotencyKey is sent to the provider so a retried refund never pays twice.
	IdempotencyKey string
	// ChargeRef is the provider's id of the charge being refunded.
	ChargeRef string
	Amount    money.Money
}

// RefundResult is what the provider answered to a refund.
type RefundResult struct {
	ProviderRef string
	// Succeeded is false when the provider refused; an error means unknown.
	Succeeded      bool
	FailureMessage string
}

// Provider is a payment method.
type Provider interface {
	// Name is the identifier clients pass as payment.provider.
	Name() string
	// Charge takes money. An error means the outcome is unknown.
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
	// Lookup asks what became of the charge made with an idempotency key,
	// to reconcile an unknown outcome. Unknown while the provider cannot tell.
	Lookup(ctx context.Context, idempotencyKey string) (ChargeResult, error)
	// Refund gives money back on a captured charge.
	Refund(ctx context.Context, req RefundRequest) (RefundResult, error)
}

// ErrUnknownProvider is returned for a provider name nobody registered.
var ErrUnknownProvider = errors.New("unknown payment provider")

// Registry holds the providers by name. It is safe for concurrent use.
type Registry struct {
	mu        sync.RWMutex
	providers map[string]Provider
}

// NewRegistry returns a registry holding providers.
func NewRegistry(providers ...Provider) *Registry {
	r := &Registry{providers: map[string]Provider{}}
	for _, p := range providers {
		r.Register(p)
	}
	return r
}

// Register adds or replaces a provider under its name.
func (r *Registry) Register(p Provider) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.providers[p.Name()] = p
}

// Get returns the provider registered under name.
func (r *Registry) Get(name string) (Provider, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.providers[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownProvider, name)
	}
	return p, nil
}

// Names lists the registered providers, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.providers))
	for n := range r.providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
