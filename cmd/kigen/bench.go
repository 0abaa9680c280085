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
// each on a temporary database it drops at the end (internal/bench, which
// parses the measure's flags).
func runBench(ctx context.Context, m *Main, args []string) error {
	env := bench.Env{Stdout: m.Stdout, Stderr: m.Stderr, Logger: m.logger(), Today: m.Config.Today(time.Now),
		Getenv: m.Getenv, Serve: serveCommand}
	env.Engine = m.benchEngine(env.Logger)
	err := bench.Run(ctx, env, args)
	var (
		ee *exitError
		ue *bench.UsageError
	)
	switch {
	case errors.As(err, &ue):
		return usageErrorf("%v", ue)
	case err != nil && !errors.Is(err, flag.ErrHelp) && !errors.As(err, &ee):
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
