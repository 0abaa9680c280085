package main

import (
	"context"
	"log/slog"

	"kigen/internal/engine"
)

// runServe runs Kigen: the daily tick at KIGEN_SCHEDULE, the delivery
// workers and the HTTP server (health, readiness, metrics, webhooks), until
// SIGINT or SIGTERM.
func runServe(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("serve")
	addr := fs.String("addr", m.Config.Addr, "listen address")
	nowFlag := fs.String("now", "", "act as if it were this date (09:00 Asia/Tokyo) or RFC 3339 time")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	if err := m.setNow(*nowFlag); err != nil {
		return err
	}
	logger := m.serveLogger()
	s, err := m.openMigratedStore(ctx)
	if err != nil {
		return err
	}
	return engineError(engine.Serve(ctx, m.Config.Config, s, *addr, logger))
}

// serveLogger logs JSON when stderr is not a terminal (a service), text
// otherwise.
func (m *Main) serveLogger() *slog.Logger {
	if isTerminal(m.Stderr) {
		return slog.New(slog.NewTextHandler(m.Stderr, nil))
	}
	return slog.New(slog.NewJSONHandler(m.Stderr, nil))
}
