package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"kigen"
	"kigen/notify/sendgrid"
	"kigen/notify/twilio"
	"kigen/scheduler"
	"kigen/store"
	"kigen/web"
)

// runServe runs Kigen: the daily tick at KIGEN_SCHEDULE, the delivery
// workers and the HTTP server (health, readiness, metrics, webhooks), until
// SIGINT or SIGTERM.
func runServe(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
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
	now := m.clock(logger)
	reg := prometheus.NewRegistry()
	metrics := web.NewMetrics(reg)
	eng, err := m.newEngine(ctx, s, now, logger, func(ch kigen.Channel, result string) {
		provider := m.Config.EmailProvider()
		if ch == kigen.SMS {
			provider = m.Config.SMSProvider()
		}
		metrics.ObserveMessage(string(ch), provider, serveResult(result))
	})
	if err != nil {
		return err
	}
	if t, err := s.LastTick(ctx); err == nil {
		metrics.SetLastTick(t.StartedAt)
	}
	metrics.SetJobStats(eng.queue.Stats)
	sched, err := cron.ParseStandard(m.Config.Schedule)
	if err != nil {
		return usageErrorf("KIGEN_SCHEDULE: %v", err)
	}

	ready := &web.Readiness{
		Ping:     s.Ping,
		LastTick: s.LastTick,
		Prev:     prevTick(sched),
		Now:      now,
	}
	if pc, ok := s.(pendingCounter); ok {
		ready.MigrationsPending = pc.MigrationsPending
	}
	hooks, err := m.webhooks(&scheduler.Sink{Store: s, Logger: logger, Now: now}, logger)
	if err != nil {
		return err
	}
	h := web.NewHandler(web.Deps{Ready: ready, Registry: reg, Logger: logger, Webhooks: hooks})

	if err := eng.queue.Start(ctx); err != nil {
		return envError(err)
	}
	go eng.schedule(ctx, sched, metrics, logger)
	logger.Info("kigen serving", "addr", *addr, "schedule", m.Config.Schedule,
		"email", m.Config.EmailProvider(), "sms", m.Config.SMSProvider())
	serveErr := web.Serve(ctx, *addr, h, logger)
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := eng.queue.Stop(stopCtx); err != nil {
		logger.Error("stop workers", "err", err)
	}
	if serveErr != nil && !errors.Is(serveErr, context.Canceled) {
		return envError(serveErr)
	}
	return nil
}

// schedule runs the tick at every scheduled time, and once at start when
// today's scheduled tick has not run yet (a missed 09:00 is caught up, not
// skipped). Ticks are idempotent and safe to run concurrently, so two
// instances on one database never send a notice twice.
func (e *engine) schedule(ctx context.Context, sched cron.Schedule, metrics *web.Metrics, logger *slog.Logger) {
	run := func() {
		now := e.now()
		start := time.Now()
		sum, err := e.planner.Tick(ctx, kigen.DateOf(now))
		if err != nil {
			if ctx.Err() == nil {
				logger.Error("tick failed", "err", err)
			}
			return
		}
		metrics.ObserveTick(time.Since(start), start, sum.ByStage)
	}
	if last, err := e.store.LastTick(ctx); errors.Is(err, store.ErrNotFound) || err == nil && last.Date.Before(kigen.DateOf(e.now())) {
		if prev := prevTick(sched)(e.now()); !prev.IsZero() && kigen.DateOf(prev) == kigen.DateOf(e.now()) {
			run()
		}
	}
	for {
		next := sched.Next(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
			run()
		}
	}
}

// prevTick returns the last scheduled time at or before now (robfig/cron
// has only Next: walk forward from 8 days back); zero for schedules rarer
// than weekly.
func prevTick(s cron.Schedule) func(time.Time) time.Time {
	return func(now time.Time) (prev time.Time) {
		for t := s.Next(now.Add(-8 * 24 * time.Hour)); !t.IsZero() && !t.After(now); t = s.Next(t) {
			prev = t
		}
		return prev
	}
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

// webhooks returns the provider webhook handlers of the configured
// providers.
func (m *Main) webhooks(sink *scheduler.Sink, logger *slog.Logger) (map[string]http.Handler, error) {
	cfg := m.Config
	hooks := map[string]http.Handler{}
	if cfg.SendGridWebhookKey != "" {
		h, err := sendgrid.NewEventHandler(cfg.SendGridWebhookKey, sink, &sendgrid.EventHandlerOpts{Logger: logger})
		if err != nil {
			return nil, usageErrorf("SENDGRID_WEBHOOK_VERIFICATION_KEY: %v", err)
		}
		hooks[sendgrid.EventPath] = h
	}
	if cfg.SMSProvider() == "twilio" {
		st, err := twilio.NewStatusHandler(cfg.TwilioAuthToken, cfg.PublicURL, sink, &twilio.HandlerOpts{Logger: logger})
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		in, err := twilio.NewInboundHandler(cfg.TwilioAuthToken, cfg.PublicURL, sink, &twilio.HandlerOpts{Logger: logger})
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		hooks[twilio.StatusPath], hooks[twilio.InboundPath] = st, in
	}
	return hooks, nil
}

// serveLogger logs JSON when stderr is not a terminal (a service), text
// otherwise.
func (m *Main) serveLogger() *slog.Logger {
	if isTerminal(m.Stderr) {
		return slog.New(slog.NewTextHandler(m.Stderr, nil))
	}
	return slog.New(slog.NewJSONHandler(m.Stderr, nil))
}
