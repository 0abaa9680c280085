package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"kigen"
	"kigen/desk"
	"kigen/internal/config"
	"kigen/internal/logthrottle"
	"kigen/internal/providers"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/sqlite"
	"kigen/web"
	"kigen/web/api"
	"kigen/web/calendar"
	"kigen/web/console"
	"kigen/web/ops"
	"kigen/web/resident"
)

// Surfaces are the staff console (/console/), the JSON API (/api/v1/),
// the operators' page (/ops/, under the console's login) and the
// residents' own pages (/, /r/{code}/, /me/{token}: web/resident) and
// calendar feeds (/cal/{token}.ics), all on one service layer (desk) over
// s and the job queue q, and River UI on the store's job queue
// (/ops/river/, operators only). A surface with a
// Start(context.Context) error method (River UI's) is started by Serve,
// with the job queue.
func Surfaces(cfg config.Config, s store.Store, q desk.Queue, now func() time.Time, logger *slog.Logger) []web.Surface {
	d := &desk.Desk{Store: s, Queue: q, Now: now, Logger: logger, LocalGov: cfg.LocalGov, Self: SelfConfig(cfg, q)}
	if jobs, ok := q.(desk.JobInserter); ok { // the engine's queue: large imports run in the background
		d.Jobs = jobs
	}
	cons := console.New(console.Deps{Desk: d, Accounts: console.DeskAccounts(d), PublicURL: cfg.PublicURL, Logger: logger})
	apiv1 := api.New(api.Deps{Desk: d, Logger: logger,
		Authenticate: func(ctx context.Context, bearer string) (api.Token, error) {
			a, err := d.AuthenticateToken(ctx, bearer)
			return api.Token{Actor: a, Write: !a.ReadOnly}, err
		}})
	var shown strings.Builder
	cfg.Print(&shown) // secrets redacted, as `kigen config` prints them
	opsPage := ops.New(ops.Deps{Desk: d, Guard: cons.Guard, Config: shown.String(), Logger: logger,
		RateLimits: []ops.RateLimit{{Channel: kigen.Email, PerSecond: cfg.RateEmail}, {Channel: kigen.SMS, PerSecond: cfg.RateSMS}}})
	feed := calendar.New(calendar.Deps{Desk: d, PublicURL: cfg.PublicURL, Now: now, Logger: logger})
	self := resident.New(resident.Deps{Service: d, PublicURL: cfg.PublicURL, Now: now, Logger: logger})
	surfaces := []web.Surface{cons, apiv1, opsPage, feed, self}
	if ro, ok := s.(store.RiverUIOpener); ok { // River UI at /ops/river/, operators only
		ui, err := ro.NewRiverUI(ops.RiverPrefix, logger)
		if err != nil {
			panic(fmt.Sprintf("engine: River UI: %v", err)) // its embedded application is broken: a build bug
		}
		surfaces = append(surfaces, ops.NewRiver(ops.RiverDeps{UI: ui, Guard: cons.Guard, Desk: d, Logger: logger}))
	}
	return surfaces
}

// LogRepeatsEvery is how often `kigen serve` logs a WARN or ERROR record
// that repeats identically (logthrottle): the first at once, then one line
// an interval with how many were held back.
const LogRepeatsEvery = 30 * time.Second

// Serve runs Kigen on an opened, migrated store until ctx ends: the daily
// tick at KIGEN_SCHEDULE on the elected leader (a tick missed while down
// is caught up, one whose process died is resumed), the delivery workers,
// and the HTTP server on addr (health, readiness, metrics, webhooks,
// resident pages). It then stops taking jobs and lets running sends finish
// (up to 30 s). A refused setting is a SettingsError; a setting that is
// probably a mistake (config.Warnings) is logged at start.
func Serve(ctx context.Context, cfg config.Config, s store.Store, addr string, logger *slog.Logger) error {
	// While the database is down, River and the workers report the same
	// failure several times a second: once per interval is enough
	// (kigen_database_up says the rest).
	throttle := logthrottle.New(logger.Handler(), LogRepeatsEvery)
	defer throttle.Flush()
	logger = slog.New(throttle)
	for _, w := range cfg.Warnings() {
		logger.Warn("configuration", slog.String("setting", w.Setting), slog.String("warning", w.Text))
	}
	now := cfg.Clock(logger)
	sched, err := cron.ParseStandard(cfg.Schedule)
	if err != nil {
		return &SettingsError{fmt.Errorf("KIGEN_SCHEDULE: %w", err)}
	}
	reg := prometheus.NewRegistry()
	metrics := web.NewMetrics(reg)
	tick := &scheduler.TickWorker{Now: now, Logger: logger,
		Observe: func(sum scheduler.TickSummary, d time.Duration) {
			metrics.ObserveTick(d, time.Now().Add(-d), sum.ByStage)
		}}
	signups := NewSignupMetrics(reg, cfg)
	eng, err := New(ctx, cfg, s, now, logger, Options{Tick: tick, Schedule: sched, SelfSent: signups.Sent,
		Observe: func(ch kigen.Channel, result string) {
			metrics.ObserveMessage(string(ch), cfg.Provider(ch), serveResult(result))
		}})
	if err != nil {
		return err
	}
	defer eng.Close()
	if t, err := s.LastTick(ctx); err == nil {
		metrics.SetLastTick(t.StartedAt)
	}
	metrics.SetJobStats(eng.Queue.Stats)
	metrics.SetDatabasePing(s.Ping)
	ops := NewOpsMetrics(reg, cfg, s, func() kigen.Date { return cfg.Today(now) })

	ready := &web.Readiness{Ping: s.Ping, LastTick: s.LastTick, MigrationsPending: s.MigrationsPending, Now: now,
		Prev: func(t time.Time) time.Time { return scheduler.PrevScheduled(sched, t) }}
	hooks, err := providers.Webhooks(cfg, &scheduler.Sink{Store: s, Logger: logger, Now: now, Enqueue: eng.Queue.Enqueue}, logger,
		metrics.ObserveIgnoredReport)
	if err != nil {
		return &SettingsError{err}
	}
	hooks = ops.CountReports(hooks)
	if cfg.AdminAddr != "" && cfg.AdminAddr == addr {
		return &SettingsError{fmt.Errorf("KIGEN_ADMIN_ADDR: %q is the listen address too: give the metrics listener its own port", addr)}
	}
	surfaces := Surfaces(cfg, s, eng.Queue, now, logger)
	// A surface's background work (River UI's counts) reads the queue's
	// tables: it runs and stops with the queue, so that it leaves a SQLite
	// file alone while another command writes to it (runQueue).
	var stopSurfaces context.CancelFunc = func() {}
	startSurfaces := func() error {
		sctx, cancel := context.WithCancel(ctx)
		for _, sf := range surfaces {
			if st, ok := sf.(interface{ Start(context.Context) error }); ok {
				if err := st.Start(sctx); err != nil {
					cancel()
					return fmt.Errorf("start %T: %w", sf, err)
				}
			}
		}
		stopSurfaces = cancel
		return nil
	}
	public := web.Deps{Ready: ready, Registry: reg, Logger: logger, Webhooks: hooks, TrustedProxies: cfg.TrustedProxies,
		Pages:    &web.Pages{Store: s, Renderer: eng.Renderer, PublicURL: cfg.PublicURL, Now: now},
		Surfaces: surfaces}
	var admin http.Handler
	if cfg.AdminAddr != "" { // /metrics moves to the admin listener
		admin = AdminHandler(reg, logger)
		public.Registry = nil
	}
	h := web.NewHandler(public)

	start := func(context.Context) error { // on serve's ctx, whatever the hand-over's
		if err := eng.Queue.Start(ctx); err != nil {
			return err
		}
		if err := startSurfaces(); err != nil {
			return err
		}
		if err := eng.Queue.CatchUpAtStart(ctx, s.LastTick, sched, now()); err != nil {
			logger.Error("catch up tick", "err", err)
		}
		return nil
	}
	// The hand-over ends with the HTTP server, whatever ended it.
	handoverCtx, endHandover := context.WithCancel(ctx)
	defer endHandover()
	queueDone, err := runQueue(handoverCtx, s, start, func(ctx context.Context) error {
		stopSurfaces()
		ctx, cancel := context.WithTimeout(ctx, JobTimeout(cfg)+10*time.Second) // running jobs end within their timeout
		defer cancel()
		return eng.Queue.Stop(ctx)
	}, logger)
	if err != nil {
		return err
	}
	// A tick whose process died is resumed here (another instance's, or
	// this one's before a restart).
	watch := &scheduler.TickWatch{Planner: eng.Planner, LastTick: s.LastTick, Schedule: sched,
		StaleAfter: cfg.TickStaleAfter, Now: now, Logger: logger, Observe: tick.Observe}
	go watch.Run(ctx)
	logger.Info("kigen serving", "addr", addr, "admin_addr", cfg.AdminAddr, "schedule", cfg.Schedule,
		"email", cfg.EmailProvider(), "sms", cfg.SMSProvider())
	serveErr := serveHTTP(ctx, addr, h, cfg.AdminAddr, admin, logger)
	endHandover()
	<-queueDone
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := eng.Queue.Stop(stopCtx); err != nil {
		logger.Error("stop workers", "err", err)
	}
	if serveErr != nil && !errors.Is(serveErr, context.Canceled) {
		return serveErr
	}
	return nil
}

// AdminHandler serves the admin listener of KIGEN_ADMIN_ADDR: GET /metrics
// (reg, as the public listener serves it without one) and nothing else.
func AdminHandler(reg *prometheus.Registry, logger *slog.Logger) http.Handler {
	full := web.NewHandler(web.Deps{Registry: reg, Logger: logger.With(slog.String("listener", "admin"))})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", full)
	return mux
}

// serveHTTP serves h on addr and, if adminAddr is set, admin on adminAddr,
// until ctx ends or one of them fails (which stops the other). It returns
// the first failure.
func serveHTTP(ctx context.Context, addr string, h http.Handler, adminAddr string, admin http.Handler, logger *slog.Logger) error {
	if adminAddr == "" {
		return web.Serve(ctx, addr, h, logger)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- web.Serve(ctx, adminAddr, admin, logger.With(slog.String("listener", "admin"))) }()
	go func() { errc <- web.Serve(ctx, addr, h, logger) }()
	first := <-errc
	cancel()
	if err := <-errc; first == nil {
		first = err
	}
	return first
}

// serveResult is the metrics' name of a send's outcome.
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

// runQueue starts the job queue with start. On a SQLite file it hands the
// database's writer over to a kigen command that writes for long
// (sqlite.Handover): the queue stops (stop) while the command writes, and
// starts again after. done is closed once nothing will start the queue
// again (ctx has ended).
func runQueue(ctx context.Context, s store.Store, start, stop func(context.Context) error, logger *slog.Logger) (done <-chan struct{}, err error) {
	ss, ok := s.(*sqlite.Store)
	if !ok {
		ch := make(chan struct{})
		close(ch)
		return ch, start(ctx)
	}
	h, err := ss.Handover()
	if err != nil {
		logger.Warn("no hand-over of the SQLite writer", slog.String("reason", err.Error()))
		ch := make(chan struct{})
		close(ch)
		return ch, start(ctx)
	}
	first := true // Serve returns the first start's error; the others are logged here
	return h.Serve(ctx, func(ctx context.Context) error {
		if first {
			first = false
			return start(ctx)
		}
		err := start(ctx)
		if err != nil {
			logger.Error("job queue: start again after a command's write", slog.String("err", err.Error()))
		} else {
			logger.Info("job queue: started again; the command that wrote to the SQLite database is done")
		}
		return err
	}, func(ctx context.Context) error {
		logger.Info("job queue: stopping while another kigen command writes to the SQLite database (its running jobs finish first)")
		err := stop(ctx)
		if err != nil {
			logger.Error("job queue: stop for a command's write", slog.String("err", err.Error()))
		}
		return err
	})
}
