package main

import (
	"context"
	"fmt"

	"kigen/internal/engine"
	"kigen/scheduler"
	"kigen/store"
)

// openStore opens the store DATABASE_URL names and registers its Close.
func (m *Main) openStore(ctx context.Context) (store.Store, error) {
	s, err := engine.OpenStore(ctx, m.Config.DatabaseURL)
	if err != nil {
		return nil, engineError(err)
	}
	m.closers = append(m.closers, s.Close)
	return s, nil
}

// openMigratedStore opens the store and applies pending migrations, so that
// every command works on a fresh embedded database without a separate
// `kigen migrate`.
func (m *Main) openMigratedStore(ctx context.Context) (store.Store, error) {
	s, err := m.openStore(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		return nil, envError(fmt.Errorf("migrate: %w", err))
	}
	return s, nil
}

func runMigrate(ctx context.Context, m *Main, args []string) error {
	if len(args) > 0 {
		return usageErrorf("migrate takes no arguments")
	}
	s, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	before, err := s.MigrationsPending(ctx)
	if err != nil {
		return envError(fmt.Errorf("read migrations: %w", err))
	}
	if err := s.Migrate(ctx); err != nil {
		return envError(fmt.Errorf("migrate: %w", err))
	}
	if _, err := queueFor(ctx, s, scheduler.QueueConfig{Logger: m.logger()}); err != nil {
		return err
	}
	switch {
	case before == 0:
		fmt.Fprintln(m.Stdout, "migrations: up to date")
	default:
		fmt.Fprintf(m.Stdout, "migrations: applied %d\n", before)
	}
	return nil
}

func runConfig(ctx context.Context, m *Main, args []string) error {
	m.Config.Print(m.Stdout)
	return nil
}

func runVersion(ctx context.Context, m *Main, args []string) error {
	fmt.Fprintln(m.Stdout, "kigen", version())
	return nil
}
