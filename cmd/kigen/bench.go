package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"kigen/internal/bench"
	"kigen/internal/engine"
	"kigen/scheduler"
	"kigen/store"
)

// runBench measures Kigen on this machine and prints figures: an import
// (bench import), the daily tick (bench tick) or delivery (bench deliver),
// each on a temporary database it drops at the end (internal/bench).
func runBench(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return usageErrorf("bench: say what to measure: import, tick or deliver")
	}
	name := args[0]
	fs := flag.NewFlagSet("bench "+name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	pgURL := fs.String("postgres", "", "use a temporary schema of this PostgreSQL database instead of a temporary SQLite file")
	var run func() error
	env := bench.Env{Stdout: m.Stdout, Stderr: m.Stderr, Logger: m.logger(), Today: m.Config.Today(time.Now),
		Getenv: m.Getenv, Serve: serveCommand}
	env.Engine = m.benchEngine(env.Logger)
	switch name {
	case "import":
		rows := fs.Int("rows", 100_000, "rows to generate and import")
		run = func() error { return bench.Import(ctx, env, bench.ImportOptions{Rows: *rows, PostgresURL: *pgURL}) }
	case "tick":
		n := fs.Int("residents", 100_000, "residents to seed (about 2.5 cards each)")
		munis := fs.Int("municipalities", 0, "municipalities to spread them over, sizes falling like 1/rank (default 1,741 as in Japan, or --residents if fewer)")
		serve := fs.Bool("serve", false, "also run `kigen serve` on the seeded database and report its peak RSS during the tick")
		run = func() error {
			if *munis == 0 && *n > 0 {
				*munis = min(1741, *n)
			}
			if *n < 1 || *munis < 1 || *munis > *n {
				return usageErrorf("bench tick: need --residents ≥ 1 and 1 ≤ --municipalities ≤ --residents")
			}
			return bench.Tick(ctx, env, bench.TickOptions{Residents: *n, Municipalities: *munis, PostgresURL: *pgURL, Serve: *serve})
		}
	case "deliver":
		n := fs.Int("messages", 5_000, "messages to plan and deliver (each way)")
		run = func() error {
			if *n < 1 {
				return usageErrorf("bench deliver: need --messages ≥ 1")
			}
			return bench.Deliver(ctx, env, bench.DeliverOptions{Messages: *n, PostgresURL: *pgURL})
		}
	default:
		return usageErrorf("bench: unknown measure %q (import, tick or deliver)", name)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return usageErrorf("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("bench %s: unexpected argument %q", name, fs.Arg(0))
	}
	err := run()
	var ee *exitError
	if err != nil && !errors.As(err, &ee) {
		return envError(err)
	}
	return err
}

// serveCommand returns the command that runs `kigen serve` with env as its
// whole environment: this very executable. Tests replace it.
var serveCommand = func(env []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "serve")
	cmd.Env = env
	return cmd, nil
}

// benchEngine builds, for the benchmarks, the engine kigen serve runs
// (package engine), sending to the outbox or to the providers' loopback
// fakes, never to a real provider, with the rate limits off and the
// queue tuned as asked.
func (m *Main) benchEngine(logger *slog.Logger) bench.EngineFunc {
	return func(ctx context.Context, s store.Store, now func() time.Time, to bench.Senders, tune bench.QueueTuning) (*scheduler.Planner, *scheduler.Queue, error) {
		cfg := m.Config.Config
		cfg.SendGridAPIKey, cfg.TwilioAccountSID, cfg.TwilioAuthToken = "", "", ""
		cfg.Outbox, cfg.RateEmail, cfg.RateSMS = to.Outbox, 0, 0
		if sg := to.SendGrid; sg != nil {
			cfg.SendGridAPIKey, cfg.SendGridBaseURL, cfg.EmailFrom = sg.APIKey, sg.URL, "Kigen <noreply@example.jp>"
		}
		if tw := to.Twilio; tw != nil {
			cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioBaseURL = tw.AccountSID, tw.AuthToken, tw.URL
			cfg.TwilioMessagingServiceSID, cfg.TwilioFrom = "MG00000000000000000000000000000000", ""
		}
		e, err := engine.New(ctx, cfg, s, now, logger, engine.Options{MaxWorkers: tune.MaxWorkers, FetchPollInterval: tune.FetchPollInterval})
		if err != nil {
			return nil, nil, engineError(err)
		}
		m.closers = append(m.closers, e.Close)
		return e.Planner, e.Queue, nil
	}
}
