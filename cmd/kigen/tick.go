package main

import (
	"context"
	"fmt"
	"log/slog"

	"kigen"
	"kigen/internal/config"
	"kigen/internal/engine"
)

func runTick(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("tick")
	nowFlag := fs.String("now", "", "act as if it were this date (09:00 Asia/Tokyo) or RFC 3339 time")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := m.setNow(*nowFlag); err != nil {
		return err
	}
	logger := m.logger()
	s, err := m.openMigratedStore(ctx)
	if err != nil {
		return err
	}
	now := m.Config.Clock(logger)
	eng, err := m.newEngine(ctx, s, now, logger, engine.Options{})
	if err != nil {
		return err
	}
	sum, err := eng.Tick(ctx, kigen.DateOf(now()))
	if err != nil {
		return envError(err)
	}
	if *asJSON {
		return m.printJSON(sum)
	}
	fmt.Fprintf(m.Stdout, "tick %s: %d notices for %d residents in %d messages\n", sum.Date, sum.Notices, sum.Residents, sum.Messages)
	fmt.Fprintf(m.Stdout, "  sent: %d email, %d sms; failed %d; retrying later %d; unknown %d\n",
		sum.Sent["email"], sum.Sent["sms"], sum.Failed, sum.Retrying, sum.Unknown)
	return nil
}

// logger returns the command's logger: text on stderr, warnings and up, so
// the CLI's own output stays readable.
func (m *Main) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// setNow applies a --now flag (it overrides KIGEN_NOW).
func (m *Main) setNow(v string) error {
	if v == "" {
		return nil
	}
	t, err := config.ParseNow(v)
	if err != nil {
		return usageErrorf("--now: %v", err)
	}
	m.Config.Now = t
	return nil
}
