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
	nowFlag := fs.String("now", "", "act as if it were this date (any form --on takes: 2026/12/10, 令和8年12月10日 …; 09:00 Asia/Tokyo) or RFC 3339 time")
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
	if sum.TimeTravel {
		fmt.Fprintf(m.Stderr, "kigen: TIME TRAVEL: tick %s planned while today in Tokyo is %s; recorded as time-travelled\n", sum.Date, sum.Today)
	}
	if *asJSON {
		err = m.printJSON(sum)
	} else {
		err = sum.WriteSummary(m.Stdout)
	}
	if err == nil && sum.Blocked != "" {
		err = envError(fmt.Errorf("nothing could be delivered: %s; fix it, then run kigen tick again", sum.Blocked))
	}
	return err
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
