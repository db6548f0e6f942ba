package main

import (
	"context"
	"errors"

	"github.com/staygraph/staygraph/internal/postgres"
)

func runSeed(ctx context.Context, args []string) error {
	f := newFlags("seed")
	c := commonFlags(f)
	hotels := f.Int("hotels", 60, "hotels in the demo catalog")
	if err := f.parse(args); err != nil {
		return err
	}
	if *c.databaseURL == "" {
		return errors.New("set --database-url or STAYGRAPH_DATABASE_URL (or DATABASE_URL)")
	}
	log := newLogger(*c.logFormat, *c.logLevel)
	pool, err := postgres.Connect(ctx, *c.databaseURL, postgres.PoolOpts{MaxConns: 4})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool, log); err != nil {
		return err
	}
	return loadDemo(ctx, log, pool, *hotels)
}
