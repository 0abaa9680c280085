package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"kigen"
	"kigen/notify"
	"kigen/notify/outbox"
	"kigen/notify/sendgrid"
	"kigen/notify/twilio"
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
	counts   *sendCounts
	renderer *templates.Renderer
	now      func() time.Time
}

// clock returns the clock Kigen runs on: the real one, or the fixed
// instant of --now / KIGEN_NOW (logged loudly: time travel is for demos
// and tests).
func (m *Main) clock(logger *slog.Logger) func() time.Time {
	if m.Config.Now.IsZero() {
		return time.Now
	}
	logger.Warn("time travel: Kigen acts as if it were this time", "now", m.Config.Now.Format(time.RFC3339))
	at := m.Config.Now
	return func() time.Time { return at }
}

// newEngine builds the engine on an opened, migrated store.
//
// With a tick worker and a schedule (kigen serve), the queue also runs the
// daily tick as a River periodic job on the elected leader.
func (m *Main) newEngine(ctx context.Context, s store.Store, now func() time.Time, logger *slog.Logger, observe func(ch kigen.Channel, result string), tick *scheduler.TickWorker, sched river.PeriodicSchedule) (*engine, error) {
	hotlines := templates.DefaultHotlines()
	if m.Config.HotlinesFile != "" {
		h, err := templates.LoadHotlines(m.Config.HotlinesFile)
		if err != nil {
			return nil, usageErrorf("KIGEN_HOTLINES_FILE: %v", err)
		}
		hotlines = h
	}
	renderer, err := templates.New(hotlines)
	if err != nil {
		return nil, envError(err)
	}
	senders, providers, err := m.senders(logger, now)
	if err != nil {
		return nil, err
	}
	counts := &sendCounts{observe: observe}
	for ch, s := range senders {
		senders[ch] = &countingSender{Sender: s, channel: ch, counts: counts}
	}
	worker := &scheduler.DeliverWorker{
		Store: s, Senders: senders, Providers: providers, Renderer: renderer,
		PublicURL: m.Config.PublicURL, Now: now, Logger: logger,
		Interrupted: func(ch kigen.Channel) { counts.add(ch, "unknown") },
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

// senders returns each channel's Sender: the provider when its keys are
// configured, else the outbox (safe by default, never a silent drop).
func (m *Main) senders(logger *slog.Logger, now func() time.Time) (map[kigen.Channel]notify.Sender, map[kigen.Channel]string, error) {
	cfg := m.Config
	senders := map[kigen.Channel]notify.Sender{}
	providers := map[kigen.Channel]string{}
	var box *outbox.Sender
	useOutbox := func(ch kigen.Channel) error {
		if box == nil {
			var err error
			if box, err = outbox.Open(cfg.Outbox, &outbox.Opts{Logger: logger, Now: now}); err != nil {
				return envError(fmt.Errorf("KIGEN_OUTBOX: %w", err))
			}
			m.closers = append(m.closers, box.Close)
		}
		senders[ch], providers[ch] = box, "outbox"
		return nil
	}
	if cfg.EmailProvider() == "sendgrid" {
		sg, err := sendgrid.New(sendgrid.Config{APIKey: cfg.SendGridAPIKey, From: cfg.EmailFrom, BaseURL: cfg.SendGridBaseURL, Timeout: cfg.ProviderTimeout, Logger: logger})
		if err != nil {
			return nil, nil, usageErrorf("%v", err)
		}
		senders[kigen.Email], providers[kigen.Email] = scheduler.NewRateLimitedSender(sg, cfg.RateEmail, burst(cfg.RateEmail)), "sendgrid"
	} else if err := useOutbox(kigen.Email); err != nil {
		return nil, nil, err
	}
	if cfg.SMSProvider() == "twilio" {
		tw, err := twilio.New(twilio.Config{AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken,
			MessagingServiceSID: cfg.TwilioMessagingServiceSID, From: cfg.TwilioFrom, PublicURL: cfg.PublicURL,
			BaseURL: cfg.TwilioBaseURL, Timeout: cfg.ProviderTimeout, Logger: logger})
		if err != nil {
			return nil, nil, usageErrorf("%v", err)
		}
		senders[kigen.SMS], providers[kigen.SMS] = scheduler.NewRateLimitedSender(tw, cfg.RateSMS, burst(cfg.RateSMS)), "twilio"
	} else if err := useOutbox(kigen.SMS); err != nil {
		return nil, nil, err
	}
	return senders, providers, nil
}

// sendCounts counts send results per channel for the tick summary and the
// metrics.
type sendCounts struct {
	mu      sync.Mutex
	n       map[kigen.Channel]map[string]int
	observe func(ch kigen.Channel, result string)
}

func (c *sendCounts) add(ch kigen.Channel, result string) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[kigen.Channel]map[string]int{}
	}
	if c.n[ch] == nil {
		c.n[ch] = map[string]int{}
	}
	c.n[ch][result]++
	c.mu.Unlock()
	if c.observe != nil {
		c.observe(ch, result)
	}
}

func (c *sendCounts) get(ch kigen.Channel, result string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[ch][result]
}

// countingSender classifies each send's outcome. It passes a message's
// record on to the Sender it counts (notify.RecordSender: the outbox needs
// it).
type countingSender struct {
	notify.Sender
	channel kigen.Channel
	counts  *sendCounts
}

func (s *countingSender) Send(ctx context.Context, msg notify.Message) (notify.Receipt, error) {
	return s.count(s.Sender.Send(ctx, msg))
}

func (s *countingSender) SendRecord(ctx context.Context, msg notify.Message, rec notify.Record) (notify.Receipt, error) {
	return s.count(notify.SendWithRecord(ctx, s.Sender, msg, rec))
}

func (s *countingSender) count(r notify.Receipt, err error) (notify.Receipt, error) {
	switch {
	case err == nil:
		s.counts.add(s.channel, "sent")
	case notify.MaybeSent(err):
		s.counts.add(s.channel, "unknown")
	case notify.IsPermanent(err):
		s.counts.add(s.channel, "failed")
	default:
		s.counts.add(s.channel, "retrying")
	}
	return r, err
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

// burst lets a limiter absorb a second's worth of messages at once.
func burst(perSecond float64) int { return max(1, int(perSecond)) }
