package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"kigen/internal/engine"
	"kigen/scheduler"
	"kigen/store"
	"kigen/templates"
)

// newEngine builds the engine (package engine) on an opened, migrated
// store; it closes with Main. A refused setting is a usage error.
func (m *Main) newEngine(ctx context.Context, s store.Store, now func() time.Time, logger *slog.Logger, opts engine.Options) (*engine.Engine, error) {
	e, err := engine.New(ctx, m.Config.Config, s, now, logger, opts)
	if err != nil {
		return nil, engineError(err)
	}
	m.closers = append(m.closers, e.Close)
	return e, nil
}

// renderer builds the message renderer (engine.Renderer).
func (m *Main) renderer() (*templates.Renderer, error) {
	r, err := engine.Renderer(m.Config.Config)
	return r, engineError(err)
}

// queueFor returns the River queue on the store's own database, migrated.
func queueFor(ctx context.Context, s store.Store, cfg scheduler.QueueConfig) (*scheduler.Queue, error) {
	q, err := engine.Queue(ctx, s, cfg)
	return q, engineError(err)
}

func engineError(err error) error {
	var se *engine.SettingsError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return usageErrorf("%v", err)
	}
	return envError(err)
}
