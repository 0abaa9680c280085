// Package engine wires the scheduler to a store as kigen's commands run it:
// the renderer, each channel's sender, the River queue with its delivery
// worker, and the tick's planner. kigen serve, tick and demo and the
// benchmarks build it here, so that they run the same engine.
package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/riverqueue/river"

	"kigen"
	"kigen/desk"
	"kigen/internal/config"
	"kigen/internal/providers"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/sqlite"
	"kigen/templates"
)

// SettingsError is a setting refused while the engine is built (a hotlines
// file, a provider's keys): the operator's to fix, a usage error for the
// command line.
type SettingsError struct{ Err error }

func (e *SettingsError) Error() string { return e.Err.Error() }
func (e *SettingsError) Unwrap() error { return e.Err }

// Options are what a command adds to the configuration.
type Options struct {
	// Tick and Schedule, for kigen serve: the queue also runs the daily tick
	// as a River periodic job on the elected leader.
	Tick     *scheduler.TickWorker
	Schedule river.PeriodicSchedule
	// Observe sees every send's outcome (the metrics); may be nil.
	Observe func(ch kigen.Channel, result string)
	// SelfSent sees every self-service send a provider took (the
	// metrics); may be nil.
	SelfSent func(ch kigen.Channel)
	// MaxWorkers and FetchPollInterval tune the queue (the benchmarks);
	// zero: the configuration's workers and River's poll.
	MaxWorkers        int
	FetchPollInterval time.Duration
}

// Engine is the scheduler wired to a store.
type Engine struct {
	Store    store.Store
	Queue    *scheduler.Queue
	Planner  *scheduler.Planner
	Counts   *scheduler.SendCounts
	Renderer *templates.Renderer
	Now      func() time.Time

	close func() error
}

// New builds the engine on an opened, migrated store, with River's
// migrations applied. Close releases its senders (the outbox file).
func New(ctx context.Context, cfg config.Config, s store.Store, now func() time.Time, logger *slog.Logger, opts Options) (_ *Engine, err error) {
	renderer, err := Renderer(cfg)
	if err != nil {
		return nil, err
	}
	ss, err := providers.NewSenders(cfg, logger, now)
	var se *providers.SettingsError
	if errors.As(err, &se) {
		return nil, &SettingsError{err}
	} else if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = ss.Close()
		}
	}()
	counts := &scheduler.SendCounts{Observe: opts.Observe}
	self := SelfSendWorker(cfg, s, ss.Senders, now, logger, opts.SelfSent) // before the reminders' counts wrap them
	for ch, sender := range ss.Senders {
		ss.Senders[ch] = counts.Sender(ch, sender)
	}
	worker := &scheduler.DeliverWorker{
		Store: s, Senders: ss.Senders, Providers: ss.Providers, Renderer: renderer,
		PublicURL: cfg.PublicURL, Now: now, Logger: logger,
		Interrupted: func(ch kigen.Channel) { counts.Add(ch, scheduler.OutcomeUnknown) },
	}
	if cfg.LinkSecret != "" {
		worker.LinkKey = []byte(cfg.LinkSecret) // else the database's
	}
	// Background imports (desk.StartImport) run on the same queue.
	workers := river.NewWorkers()
	river.AddWorker(workers, &desk.ImportWorker{Desk: &desk.Desk{Store: s, Now: now, Logger: logger}})
	q, err := Queue(ctx, s, scheduler.QueueConfig{Worker: worker, Workers: workers, SelfSend: self, Tick: opts.Tick, TickSchedule: opts.Schedule,
		Logger: logger, JobTimeout: JobTimeout(cfg), RescueStuckJobsAfter: cfg.RescueAfter,
		Retry: scheduler.Backoff{Delays: cfg.RetryDelays}, ID: cfg.InstanceID,
		MaxWorkers: cmp.Or(opts.MaxWorkers, cfg.Workers), FetchPollInterval: opts.FetchPollInterval})
	if err != nil {
		return nil, err
	}
	worker.Enqueue = q.Enqueue // a permanent failure falls back to the other channel
	// The tick's messages are new: their jobs go in by bulk insert.
	planner := &scheduler.Planner{Store: s, Enqueue: q.EnqueueNew, Logger: logger, Concurrency: TickConcurrency(s)}
	if opts.Tick != nil {
		opts.Tick.Planner = planner // before the queue starts
	}
	return &Engine{Store: s, Queue: q, Planner: planner, Counts: counts, Renderer: renderer, Now: now, close: ss.Close}, nil
}

// Close releases the engine's senders.
func (e *Engine) Close() error { return e.close() }

// Tick runs the day's tick in the foreground (scheduler.RunTick).
func (e *Engine) Tick(ctx context.Context, today kigen.Date) (scheduler.TickReport, error) {
	return scheduler.RunTick(ctx, e.Planner, e.Queue, e.Counts, today)
}

// Renderer builds the message renderer with the help lines of
// KIGEN_HOTLINES_FILE, or the built-in ones.
func Renderer(cfg config.Config) (*templates.Renderer, error) {
	h := templates.DefaultHotlines()
	if path := cfg.HotlinesFile; path != "" {
		var err error
		if h, err = templates.LoadHotlines(path); err != nil {
			return nil, &SettingsError{fmt.Errorf("KIGEN_HOTLINES_FILE: %w", err)}
		}
	}
	r, err := templates.New(h)
	if err != nil {
		return nil, err
	}
	r.SetHolidays(cfg.Holidays) // KIGEN_HOLIDAYS_FILE: the date to go by reads them
	return r, nil
}

// Queue returns the River queue on the store's own database, with River's
// migrations applied.
func Queue(ctx context.Context, s store.Store, cfg scheduler.QueueConfig) (*scheduler.Queue, error) {
	q, err := scheduler.NewQueue(s, cfg)
	if err != nil {
		return nil, err
	}
	if err := q.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate the job queue: %w", err)
	}
	return q, nil
}

// JobTimeout is how long a delivery job may run: its provider call and the
// database work around it, and less than RescueAfter, so that River never
// takes a live job for a dead one.
func JobTimeout(cfg config.Config) time.Duration {
	t := min(cfg.ProviderTimeout+20*time.Second, 30*time.Second)
	return min(t, cfg.ProviderTimeout+(cfg.RescueAfter-cfg.ProviderTimeout)/2)
}

// TickConcurrency is how many batches the tick plans at once. PostgreSQL
// works its connections in parallel, and a batch spends part of its time
// waiting on round trips and its commit: two a core, measured best on 2
// cores (3.0 s for the 4 M tick with 2, 2.9 s with 3, 2.8 s with 4). Two
// connections of the pool are left to River (its listener holds one) and
// /readyz. SQLite has one connection.
func TickConcurrency(s store.Store) int {
	if ps, ok := s.(*postgres.Store); ok {
		return max(1, min(2*runtime.NumCPU(), int(ps.Pool().Config().MaxConns)-2))
	}
	return 1
}

// OpenStore opens the store a DATABASE_URL names (postgres://… or
// sqlite:PATH). A URL of neither form is a SettingsError.
func OpenStore(ctx context.Context, databaseURL string) (store.Store, error) {
	backend, target, err := config.ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, &SettingsError{fmt.Errorf("DATABASE_URL: %w", err)}
	}
	var s store.Store
	if backend == "postgres" {
		s, err = postgres.Open(ctx, target)
	} else {
		s, err = sqlite.Open(ctx, target)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", backend, err)
	}
	return s, nil
}
