package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/staygraph/staygraph/internal/demo"
	"github.com/staygraph/staygraph/internal/postgres"
)

func runSeed(ctx context.Context, args []string) error {
	f := newFlags("seed")
	c := commonFlags(f)
	hotels := f.Int("hotels", demo.DefaultHotels, "hotels in the demo catalog")
	seed := f.Int("seed", demo.DefaultSeed, "picks the demo world: the same seed gives the same catalog and past stays")
	past := f.Int("past-bookings", 0, "past stays to book at each demo hotel that has no booking yet (0: none); "+
		"needs the PII keys the API server uses")
	pastDays := f.Int("past-days", demo.DefaultPastDays, "how many days before today past stays begin")
	progress := f.Bool("progress", term.IsTerminal(int(os.Stderr.Fd())), "show a progress bar on stderr (default: when stderr is a terminal)")
	keys := addPIIFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if *c.databaseURL == "" {
		return errors.New("set --database-url or STAYGRAPH_DATABASE_URL (or DATABASE_URL)")
	}
	if *hotels < 1 || *seed < 1 || *past < 0 || *pastDays < 2 {
		return errors.New("--hotels and --seed must be at least 1, --past-bookings at least 0, --past-days at least 2")
	}
	if *past > 0 {
		// Past bookings hold personal data; sealed with throwaway keys, the
		// server could never open it.
		if err := keys.require(); err != nil {
			return err
		}
	}
	keyring, err := keys.keyring()
	if err != nil {
		return err
	}
	log := newLogger(*c.logFormat, *c.logLevel)
	pool, err := postgres.Connect(ctx, *c.databaseURL, postgres.PoolOpts{MaxConns: 4})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := postgres.MigrateWith(ctx, pool, log, migrateOpts(keyring)); err != nil {
		return err
	}
	bar := seedProgress{visible: *progress}
	sum, err := demo.Load(ctx, pool, demo.Opts{Hotels: *hotels, Seed: uint64(*seed), PastBookings: *past, PastDays: *pastDays,
		PII: keyring, Logger: log, Progress: bar.update})
	bar.finish()
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("demo world ready in %s: %d hotels created (%d were there)", sum.Elapsed.Round(time.Millisecond), sum.Hotels, sum.Existing)
	if sum.Completed > 0 {
		msg += fmt.Sprintf(", %d half-loaded hotels completed", sum.Completed)
	}
	if *past > 0 {
		msg += fmt.Sprintf("; past stays at %d hotels: %d checked out, %d cancelled, %d expired holds, %d not booked (sold out); %d hotels already had bookings",
			sum.Past.Hotels, sum.Past.CheckedOut, sum.Past.Cancelled, sum.Past.Expired, sum.Past.SoldOut, sum.Past.HadBookings)
		if sum.Past.NotDemo > 0 {
			msg += fmt.Sprintf("; %d hotels are not the demo hotels of seed %d and got none", sum.Past.NotDemo, *seed)
		}
	}
	log.Info(msg)
	return nil
}

// seedProgress draws one progress bar per stage of the demo load on stderr,
// with the library 'staygraph reindex' uses.
type seedProgress struct {
	visible bool
	stage   demo.Stage
	bar     *progressbar.ProgressBar
}

// update implements demo.Opts.Progress.
func (p *seedProgress) update(stage demo.Stage, done, total int) {
	if p.bar == nil || stage != p.stage {
		p.finish()
		p.stage = stage
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetVisibility(p.visible),
			progressbar.OptionSetDescription(string(stage)),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("hotels"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	_ = p.bar.Set(done)
}

func (p *seedProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
