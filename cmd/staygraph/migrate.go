package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/staygraph/staygraph/internal/postgres"
)

func runMigrate(ctx context.Context, args []string) error {
	f := newFlags("migrate")
	c := commonFlags(f)
	status := f.Bool("status", false, "print the applied and latest schema versions instead of migrating")
	// Migration 00024 seals the cancel reasons stored in plaintext before
	// 00023, and needs the keys for that when there are any.
	p := addPIIFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	keys, err := p.keyring()
	if err != nil {
		return err
	}
	if *c.databaseURL == "" {
		return errors.New("set --database-url or STAYGRAPH_DATABASE_URL (or DATABASE_URL)")
	}
	log := newLogger(*c.logFormat, *c.logLevel)
	pool, err := postgres.Connect(ctx, *c.databaseURL, postgres.PoolOpts{MaxConns: 2})
	if err != nil {
		return err
	}
	defer pool.Close()
	if !*status {
		if err := postgres.MigrateWith(ctx, pool, log, migrateOpts(keys)); err != nil {
			return err
		}
	}
	current, latest, err := postgres.SchemaVersion(ctx, pool)
	if err != nil {
		return err
	}
	fmt.Printf("schema version %d (latest %d)\n", current, latest)
	return nil
}
