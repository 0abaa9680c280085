package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"kigen"
	"kigen/internal/engine"
	"kigen/internal/providers"
	"kigen/scheduler"
	"kigen/web"
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
	now := m.Config.Clock(logger)
	sched, err := cron.ParseStandard(m.Config.Schedule)
	if err != nil {
		return usageErrorf("KIGEN_SCHEDULE: %v", err)
	}
	reg := prometheus.NewRegistry()
	metrics := web.NewMetrics(reg)
	tick := &scheduler.TickWorker{Now: now, Logger: logger,
		Observe: func(sum scheduler.TickSummary, d time.Duration) {
			metrics.ObserveTick(d, time.Now().Add(-d), sum.ByStage)
		}}
	eng, err := m.newEngine(ctx, s, now, logger, engine.Options{Tick: tick, Schedule: sched,
		Observe: func(ch kigen.Channel, result string) {
			metrics.ObserveMessage(string(ch), m.Config.Provider(ch), serveResult(result))
		}})
	if err != nil {
		return err
	}
	if t, err := s.LastTick(ctx); err == nil {
		metrics.SetLastTick(t.StartedAt)
	}
	metrics.SetJobStats(eng.Queue.Stats)

	ready := &web.Readiness{Ping: s.Ping, LastTick: s.LastTick, MigrationsPending: s.MigrationsPending, Now: now,
		Prev: func(t time.Time) time.Time { return scheduler.PrevScheduled(sched, t) }}
	hooks, err := providers.Webhooks(m.Config.Config, &scheduler.Sink{Store: s, Logger: logger, Now: now, Enqueue: eng.Queue.Enqueue}, logger)
	if err != nil {
		return usageErrorf("%v", err)
	}
	h := web.NewHandler(web.Deps{Ready: ready, Registry: reg, Logger: logger, Webhooks: hooks,
		Pages: &web.Pages{Store: s, Renderer: eng.Renderer, PublicURL: m.Config.PublicURL, Now: now}})

	if err := eng.Queue.Start(ctx); err != nil {
		return envError(err)
	}
	if err := eng.Queue.CatchUpAtStart(ctx, s.LastTick, sched, now()); err != nil {
		logger.Error("catch up tick", "err", err)
	}
	// A tick whose process died is resumed here (another instance's, or
	// this one's before a restart).
	watch := &scheduler.TickWatch{Planner: eng.Planner, LastTick: s.LastTick, Schedule: sched,
		StaleAfter: m.Config.TickStaleAfter, Now: now, Logger: logger, Observe: tick.Observe}
	go watch.Run(ctx)
	logger.Info("kigen serving", "addr", *addr, "schedule", m.Config.Schedule,
		"email", m.Config.EmailProvider(), "sms", m.Config.SMSProvider())
	serveErr := web.Serve(ctx, *addr, h, logger)
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := eng.Queue.Stop(stopCtx); err != nil {
		logger.Error("stop workers", "err", err)
	}
	if serveErr != nil && !errors.Is(serveErr, context.Canceled) {
		return envError(serveErr)
	}
	return nil
}

func serveResult(r string) string {
	switch r {
	case "sent":
		return web.ResultSent
	case "failed":
		return web.ResultFailed
	case "unknown":
		return web.ResultUnknown
	}
	return web.ResultSnoozed
}

// serveLogger logs JSON when stderr is not a terminal (a service), text
// otherwise.
func (m *Main) serveLogger() *slog.Logger {
	if isTerminal(m.Stderr) {
		return slog.New(slog.NewTextHandler(m.Stderr, nil))
	}
	return slog.New(slog.NewJSONHandler(m.Stderr, nil))
}
