package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/staygraph/staygraph/internal/booking"
	"github.com/staygraph/staygraph/internal/postgres"
)

// runRotateKeys re-seals stored personal data under the primary --pii-keys
// key. The procedure: put a new key first in every API server's --pii-keys,
// keeping the old ones after it, and restart them; run rotate-keys with the
// same keys; then the old keys may be removed.
func runRotateKeys(ctx context.Context, args []string) error {
	return rotateKeys(ctx, args, os.Stdout)
}

func rotateKeys(ctx context.Context, args []string, out io.Writer) error {
	f := newFlags("rotate-keys")
	c := commonFlags(f)
	p := addPIIFlags(f)
	batch := f.Int("batch-size", 500, "rows re-sealed per transaction")
	if err := f.parse(args); err != nil {
		return err
	}
	if *c.databaseURL == "" {
		return errors.New("set --database-url or STAYGRAPH_DATABASE_URL (or DATABASE_URL)")
	}
	if *batch < 1 {
		return errors.New("--batch-size must be at least 1")
	}
	if err := p.require(); err != nil {
		return err
	}
	keys, err := p.keyring()
	if err != nil {
		return err
	}
	pool, err := postgres.Connect(ctx, *c.databaseURL, postgres.PoolOpts{MaxConns: 2})
	if err != nil {
		return err
	}
	defer pool.Close()
	current, latest, err := postgres.SchemaVersion(ctx, pool)
	if err != nil {
		return err
	}
	if current < latest {
		return fmt.Errorf("the database schema is at version %d, this binary's is %d: run 'staygraph migrate' first", current, latest)
	}

	fmt.Fprintf(out, "re-sealing personal data with key %s (keys: %v)\n", keys.Primary(), keys.KeyIDs())
	res, err := booking.RotateKeys(ctx, pool, keys, booking.RotateOpts{BatchSize: *batch, Progress: func(p booking.RotateProgress) {
		fmt.Fprintf(out, "  %s: %d of %d rows re-sealed\n", p.Table, p.Done, p.Due)
	}})
	if err != nil {
		return fmt.Errorf("rotate keys: %w (rows done so far are kept; run again to continue)", err)
	}
	switch {
	case res.Remaining > 0:
		return fmt.Errorf("%d rows are still sealed with other keys than %s: they were busy, or API servers still seal new data "+
			"with an older key; give every server --pii-keys with %s first, then run rotate-keys again", res.Remaining, res.Primary, res.Primary)
	case res.Bookings+res.Guests+res.Refunds == 0:
		fmt.Fprintf(out, "nothing to do: all personal data is sealed with %s\n", res.Primary)
	default:
		fmt.Fprintf(out, "done: %d bookings, %d guests and %d refunds re-sealed; all personal data is sealed with %s, so other keys may now be removed from --pii-keys\n",
			res.Bookings, res.Guests, res.Refunds, res.Primary)
	}
	return nil
}
