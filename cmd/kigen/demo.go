package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"kigen"
	"kigen/internal/demo"
	"kigen/internal/engine"
	"kigen/scheduler"
)

// runDemo seeds a municipality and a dozen residents into a fresh embedded
// store and fast-forwards through the days something falls due, printing
// each message as it goes out (package demo).
func runDemo(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("demo")
	days := fs.Int("days", 120, "how many days to fast-forward")
	full := fs.Bool("full", false, "print whole messages, not their first lines")
	keep := fs.Bool("keep", false, "keep the demo's database and outbox (their folder is printed)")
	nowFlag := fs.String("now", "", "start on this date instead of today")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	if err := m.setNow(*nowFlag); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kigen-demo-")
	if err != nil {
		return envError(err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	// The demo never touches the configured database or providers.
	m.Config.DatabaseURL = "sqlite:" + filepath.Join(dir, "kigen.db")
	m.Config.Outbox = filepath.Join(dir, "outbox.jsonl")
	m.Config.SendGridAPIKey, m.Config.TwilioAccountSID, m.Config.TwilioAuthToken = "", "", ""
	if m.Config.PublicURL == DefaultConfig().PublicURL {
		m.Config.PublicURL = "https://kigen.example"
	}

	day := m.Config.Today(time.Now)
	clock := func() time.Time { return time.Date(day.Year, day.Month, day.Day, 9, 0, 0, 0, kigen.Tokyo) }
	d, err := m.openDesk(ctx, m.logger(), false)
	if err != nil {
		return err
	}
	d.Now = clock
	eng, err := m.newEngine(ctx, d.Store, clock, m.logger(), engine.Options{})
	if err != nil {
		return err
	}
	err = demo.Run(ctx, demo.Options{Desk: d, User: m.Getenv("USER"), Start: day, Days: *days, Full: *full,
		Outbox: m.Config.Outbox, Stdout: m.Stdout,
		Tick: func(ctx context.Context, on kigen.Date) (scheduler.TickReport, error) {
			day = on
			return eng.Tick(ctx, on)
		}})
	if err != nil {
		return envError(err)
	}
	if *keep {
		fmt.Fprintf(m.Stdout, "The database and the outbox are in %s\n", dir)
	}
	return nil
}
