package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/riverqueue/river"

	"kigen"
	"kigen/internal/providers"
	"kigen/notify"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/templates"
)

// engine is the scheduler wired to a store: the planner, the River queue
// with its delivery worker, and the senders of each channel.
type engine struct {
	store    store.Store
	queue    *scheduler.Queue
	planner  *scheduler.Planner
	counts   *scheduler.SendCounts
	renderer *templates.Renderer
	now      func() time.Time
}

// newEngine builds the engine on an opened, migrated store.
//
// With a tick worker and a schedule (kigen serve), the queue also runs the
// daily tick as a River periodic job on the elected leader.
func (m *Main) newEngine(ctx context.Context, s store.Store, now func() time.Time, logger *slog.Logger, observe func(ch kigen.Channel, result string), tick *scheduler.TickWorker, sched river.PeriodicSchedule) (*engine, error) {
	renderer, err := m.renderer()
	if err != nil {
		return nil, err
	}
	senders, providers, err := m.senders(logger, now)
	if err != nil {
		return nil, err
	}
	counts := &scheduler.SendCounts{Observe: observe}
	for ch, s := range senders {
		senders[ch] = counts.Sender(ch, s)
	}
	worker := &scheduler.DeliverWorker{
		Store: s, Senders: senders, Providers: providers, Renderer: renderer,
		PublicURL: m.Config.PublicURL, Now: now, Logger: logger,
		Interrupted: func(ch kigen.Channel) { counts.Add(ch, scheduler.OutcomeUnknown) },
	}
	q, err := queueFor(ctx, s, scheduler.QueueConfig{Worker: worker, Tick: tick, TickSchedule: sched, Logger: logger,
		JobTimeout: m.Config.jobTimeout(), RescueStuckJobsAfter: m.Config.RescueAfter,
		Retry: scheduler.Backoff{Delays: m.Config.RetryDelays}, ID: m.Config.InstanceID,
		MaxWorkers: m.Config.Workers})
	if err != nil {
		return nil, err
	}
	worker.Enqueue = q.Enqueue // a permanent failure falls back to the other channel
	// The tick's messages are new: their jobs go in by bulk insert.
	planner := &scheduler.Planner{Store: s, Enqueue: q.EnqueueNew, Logger: logger, Now: now, Concurrency: tickConcurrency(s)}
	if tick != nil {
		tick.Planner = planner // before the queue starts
	}
	return &engine{store: s, queue: q, planner: planner, counts: counts, renderer: renderer, now: now}, nil
}

// renderer builds the message renderer with the help lines of
// KIGEN_HOTLINES_FILE, or the built-in ones.
func (m *Main) renderer() (*templates.Renderer, error) {
	h := templates.DefaultHotlines()
	if path := m.Config.HotlinesFile; path != "" {
		var err error
		if h, err = templates.LoadHotlines(path); err != nil {
			return nil, usageErrorf("KIGEN_HOTLINES_FILE: %v", err)
		}
	}
	r, err := templates.New(h)
	if err != nil {
		return nil, envError(err)
	}
	return r, nil
}

// senders returns each channel's Sender and provider name
// (providers.NewSenders); the outbox closes with Main.
func (m *Main) senders(logger *slog.Logger, now func() time.Time) (map[kigen.Channel]notify.Sender, map[kigen.Channel]string, error) {
	ss, err := providers.NewSenders(m.Config.Config, logger, now)
	var se *providers.SettingsError
	if errors.As(err, &se) {
		return nil, nil, usageErrorf("%v", err)
	} else if err != nil {
		return nil, nil, envError(err)
	}
	m.closers = append(m.closers, ss.Close)
	return ss.Senders, ss.Providers, nil
}

// queueFor returns the River queue on the store's own database, with River's
// migrations applied.
func queueFor(ctx context.Context, s store.Store, cfg scheduler.QueueConfig) (*scheduler.Queue, error) {
	q, err := scheduler.NewQueue(s, cfg)
	if err != nil {
		return nil, envError(err)
	}
	if err := q.Migrate(ctx); err != nil {
		return nil, envError(fmt.Errorf("migrate the job queue: %w", err))
	}
	return q, nil
}

// jobTimeout is how long a delivery job may run: its provider call and the
// database work around it, and less than RescueAfter, so that River never
// takes a live job for a dead one.
func (cfg Config) jobTimeout() time.Duration {
	t := min(cfg.ProviderTimeout+20*time.Second, 30*time.Second)
	return min(t, cfg.ProviderTimeout+(cfg.RescueAfter-cfg.ProviderTimeout)/2)
}

// tickConcurrency is how many batches the tick plans at once. PostgreSQL
// works its connections in parallel, and a batch spends part of its time
// waiting on round trips and its commit: two a core, measured best on 2
// cores (3.0 s for the 4 M tick with 2, 2.9 s with 3, 2.8 s with 4). Two
// connections of the pool are left to River (its listener holds one) and
// /readyz. SQLite has one connection.
func tickConcurrency(s store.Store) int {
	if ps, ok := s.(*postgres.Store); ok {
		return max(1, min(2*runtime.NumCPU(), int(ps.Pool().Config().MaxConns)-2))
	}
	return 1
}
