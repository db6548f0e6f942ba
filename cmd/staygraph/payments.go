package main

import (
	"fmt"
	"net/url"

	"github.com/staygraph/staygraph/internal/payment"
	"github.com/staygraph/staygraph/internal/payment/sandbox"
	"github.com/staygraph/staygraph/internal/payment/stripe"
)

// paymentFlags configure the payment providers.
type paymentFlags struct {
	stripeKey *string
	stripeURL *string
	sandbox   *bool
}

func addPaymentFlags(f *flags) paymentFlags {
	// The sandbox confirms bookings without moving money: 'dev' offers it,
	// 'serve' only when asked.
	sandboxByDefault := f.Name() == "staygraph dev"
	return paymentFlags{
		stripeKey: f.String("stripe-secret-key", "", "Stripe secret key; registers the stripe provider"),
		stripeURL: f.String("stripe-api-url", "", "Stripe API URL (empty: Stripe; e.g. a stripe-mock server)"),
		sandbox: f.Bool("sandbox-payments", sandboxByDefault,
			"register the sandbox provider (test tokens, no money moves: never in production)"),
	}
}

// check refuses a Stripe API URL that is not one.
func (p paymentFlags) check() error {
	if *p.stripeURL == "" {
		return nil
	}
	u, err := url.Parse(*p.stripeURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--stripe-api-url must be an http(s) URL such as http://127.0.0.1:12111, not %q", *p.stripeURL)
	}
	return nil
}

// payments builds the registry of payment providers. Adding a method is
// one more Register line here and its subpackage.
func payments(p paymentFlags) *payment.Registry {
	registry := payment.NewRegistry()
	if *p.sandbox {
		registry.Register(sandbox.New())
	}
	if *p.stripeKey != "" {
		registry.Register(stripe.New(*p.stripeKey, stripe.Opts{BackendURL: *p.stripeURL}))
	}
	return registry
}
