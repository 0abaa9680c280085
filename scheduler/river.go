package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"kigen/store"
)

// DeliverArgs is the deliver job: send one message. It carries the message
// ID only, never personal data. A message has at most one deliver job at a
// time, and none again while its completed job is kept (River's uniqueness
// by args): enqueuing a message twice sends it once.
type DeliverArgs struct {
	MessageID int64 `json:"message_id"`
	// Resend is set by a staff decision to send a message again (kigen
	// delivery resend): a new value makes a new unique job, where River
	// would otherwise skip the message's finished job as a duplicate.
	Resend int64 `json:"resend,omitempty"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "deliver" }

// InsertOpts implements river.JobArgsWithInsertOpts: unique by message.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DefaultDelays are the waits between the attempts of a deliver job that
// failed for a reason that may pass (a provider's 5xx, a timeout): 10
// retries over 23 h 21 min. After the last attempt the message is failed
// (docs/domain.md §11.18: temporary failures are retried for up to 24 hours,
// then treated as permanent) and River discards the job.
var DefaultDelays = []time.Duration{
	time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 2 * time.Hour,
	4 * time.Hour, 4 * time.Hour, 4 * time.Hour, 4 * time.Hour, 4 * time.Hour,
}

// Backoff is Kigen's retry policy (a river.ClientRetryPolicy): the n-th
// failure of a job waits Delays[n-1] (the last delay repeats), and a job
// gets len(Delays)+1 attempts in all. A snooze (a provider's Retry-After,
// SMS quiet hours) is not an attempt.
//
// A job that River's rescuer finds still running after RescueAfter (its
// process died) is retried at once: the deliver job it runs again finds
// its delivery `sending` and records `unknown` without sending, or finds
// nothing sent and sends — an interrupted tick finishes within minutes, not
// hours.
type Backoff struct {
	Delays      []time.Duration // nil: DefaultDelays
	RescueAfter time.Duration   // set by the Queue from QueueConfig.RescueStuckJobsAfter
}

var _ river.ClientRetryPolicy = Backoff{}

func (b Backoff) delays() []time.Duration {
	if len(b.Delays) == 0 {
		return DefaultDelays
	}
	return b.Delays
}

// MaxAttempts returns how many times a job is tried before River discards
// it.
func (b Backoff) MaxAttempts() int { return len(b.delays()) + 1 }

// Total returns the time from the first attempt to the last, snoozes and
// run time aside.
func (b Backoff) Total() time.Duration {
	var total time.Duration
	for _, d := range b.delays() {
		total += d
	}
	return total
}

// NextRetry implements river.ClientRetryPolicy.
func (b Backoff) NextRetry(job *rivertype.JobRow) time.Time {
	now := time.Now()
	// River's executor asks right after an attempt returned (within the job
	// timeout, shorter than RescueAfter); its rescuer asks about a job that
	// has been running for RescueAfter at least.
	if b.RescueAfter > 0 && job.AttemptedAt != nil && now.Sub(*job.AttemptedAt) >= b.RescueAfter {
		return now
	}
	ds := b.delays()
	return now.Add(ds[min(len(job.Errors), len(ds)-1)])
}

// QueueConfig configures a Queue. The zero value is an insert-only queue
// with the defaults below.
type QueueConfig struct {
	// Worker is the deliver worker. It is added to Workers (a new bundle
	// if Workers is nil).
	Worker *DeliverWorker
	// Workers are other job workers (river.AddWorker), or the deliver
	// worker if Worker is nil. With none of Worker, Tick and Workers, the
	// queue only inserts: Start and WorkUntilIdle fail.
	Workers *river.Workers
	// MaxWorkers is how many jobs run at once in this process; default 10.
	MaxWorkers int
	// Logger receives River's logs and the queue's; default slog.Default().
	Logger *slog.Logger
	// JobTimeout cancels a job's context after this long; default 30 s,
	// well above the longest send (the providers' HTTP timeouts are 10 s).
	// It is lowered to RescueStuckJobsAfter if above it.
	JobTimeout time.Duration
	// RescueStuckJobsAfter is how long a job may stay running before River
	// takes it for a job whose process died and runs it again; default 1
	// minute. River's rescuer looks every 30 s, so the work a crash
	// interrupted is taken up within about 1.5 minutes of the crash.
	RescueStuckJobsAfter time.Duration
	// Retry is the retry policy; the zero value is DefaultDelays.
	Retry Backoff
	// FetchPollInterval is how often an idle worker looks for new jobs;
	// default 200 ms. On PostgreSQL an insert also wakes it at once
	// (LISTEN/NOTIFY); SQLite has only the poll.
	FetchPollInterval time.Duration
	// FetchCooldown is the least time between two fetches while jobs flow;
	// default 10 ms. River's own 100 ms would hold a process to
	// MaxWorkers × 10 jobs a second, whatever the jobs cost.
	FetchCooldown time.Duration
	// Tick is the tick worker (tick jobs: Queue.InsertTick,
	// Queue.CatchUpTick, TickSchedule). It is added to Workers (a new
	// bundle if Workers is nil).
	Tick *TickWorker
	// TickSchedule, if set, is when the elected leader enqueues the daily
	// tick (NewTickPeriodicJob; a robfig/cron cron.Schedule fits). It needs
	// Tick.
	TickSchedule river.PeriodicSchedule
	// SelfSend is the worker of self-service sends (SelfSendArgs). It is
	// added to Workers (a new bundle if Workers is nil), with the hourly
	// clean-up of self-service rows (SelfForgetWorker) on the leader.
	SelfSend *SelfSendWorker
	// PeriodicJobs are other jobs run by the elected leader.
	PeriodicJobs []*river.PeriodicJob
	// Schema is the PostgreSQL schema of River's tables; empty: the
	// connection's search_path. Ignored on SQLite.
	Schema string
	// TestOnly skips River's random start-up delays (for tests).
	TestOnly bool
	// ID names this process among the instances sharing the database
	// (River's client ID, seen in river_job.attempted_by and
	// river_leader); empty: River's default, the host name and start time.
	ID string
}

// withDefaults returns cfg with every default applied.
func (cfg QueueConfig) withDefaults() QueueConfig {
	cfg.MaxWorkers = cmp.Or(cfg.MaxWorkers, 10)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.RescueStuckJobsAfter = cmp.Or(cfg.RescueStuckJobsAfter, time.Minute)
	cfg.JobTimeout = min(cmp.Or(cfg.JobTimeout, 30*time.Second), cfg.RescueStuckJobsAfter)
	cfg.Retry.RescueAfter = cfg.RescueStuckJobsAfter
	cfg.FetchPollInterval = cmp.Or(cfg.FetchPollInterval, 200*time.Millisecond)
	cfg.FetchCooldown = min(cmp.Or(cfg.FetchCooldown, 10*time.Millisecond), cfg.FetchPollInterval)
	return cfg
}

// river returns the River configuration of cfg (with defaults applied).
func (cfg QueueConfig) river() (*river.Config, error) {
	if (cfg.Worker != nil || cfg.Tick != nil || cfg.SelfSend != nil) && cfg.Workers == nil {
		cfg.Workers = river.NewWorkers()
	}
	if cfg.Worker != nil {
		if err := river.AddWorkerSafely(cfg.Workers, cfg.Worker); err != nil {
			return nil, err
		}
	}
	if cfg.Tick != nil {
		if err := river.AddWorkerSafely(cfg.Workers, cfg.Tick); err != nil {
			return nil, err
		}
	}
	if cfg.SelfSend != nil {
		if err := river.AddWorkerSafely(cfg.Workers, cfg.SelfSend); err != nil {
			return nil, err
		}
		forget := &SelfForgetWorker{Store: cfg.SelfSend.Store, Now: cfg.SelfSend.Now, Logger: cfg.SelfSend.Logger}
		if err := river.AddWorkerSafely(cfg.Workers, forget); err != nil {
			return nil, err
		}
		cfg.PeriodicJobs = append(slices.Clip(cfg.PeriodicJobs), newSelfForgetPeriodicJob())
	}
	if cfg.TickSchedule != nil {
		if cfg.Tick == nil {
			return nil, errNoTickWorker
		}
		cfg.PeriodicJobs = append(slices.Clip(cfg.PeriodicJobs), NewTickPeriodicJob(cfg.TickSchedule, nil))
	}
	rc := &river.Config{
		FetchCooldown:        cfg.FetchCooldown,
		FetchPollInterval:    cfg.FetchPollInterval,
		ID:                   cfg.ID,
		JobTimeout:           cfg.JobTimeout,
		Logger:               cfg.Logger,
		MaxAttempts:          cfg.Retry.MaxAttempts(),
		PeriodicJobs:         cfg.PeriodicJobs,
		RescueStuckJobsAfter: cfg.RescueStuckJobsAfter,
		RetryPolicy:          cfg.Retry,
		Schema:               cfg.Schema,
		TestOnly:             cfg.TestOnly,
		Workers:              cfg.Workers,
	}
	if cfg.Workers != nil {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}}
	}
	return rc, nil
}

// Queue is Kigen's durable job queue: River on the store's own database, so
// that jobs are inserted in the transaction that records what they deliver.
// The store's River client (store.RiverClient) hides River's
// driver-specific transaction type behind store.Tx.
type Queue struct {
	client store.RiverClient
	cfg    QueueConfig

	mu      sync.Mutex
	running bool // started by Start (WorkUntilIdle leaves it running)
}

// NewQueue returns a Queue on the database of s, which must be a
// store.RiverOpener (both backends are). It does not migrate (Migrate) nor
// start (Start).
func NewQueue(s store.Store, cfg QueueConfig) (*Queue, error) {
	ro, ok := s.(store.RiverOpener)
	if !ok {
		return nil, fmt.Errorf("scheduler: new queue: store %T has no River client", s)
	}
	cfg = cfg.withDefaults()
	rc, err := cfg.river()
	if err != nil {
		return nil, fmt.Errorf("scheduler: new queue: %w", err)
	}
	c, err := ro.NewRiverClient(rc)
	if err != nil {
		return nil, fmt.Errorf("scheduler: new queue: %w", err)
	}
	return &Queue{client: c, cfg: cfg}, nil
}

// Migrate applies River's migrations (its tables live beside the store's).
// It is idempotent.
func (q *Queue) Migrate(ctx context.Context) error {
	if err := q.client.Migrate(ctx); err != nil {
		return fmt.Errorf("scheduler: river migrations: %w", err)
	}
	return nil
}

// Enqueue inserts a deliver job for each message in the store's
// transaction tx: the jobs commit or roll back with it. An ID given twice
// gets one job; a message that already has a job (waiting, running, or
// completed and not yet pruned) gets none.
func (q *Queue) Enqueue(ctx context.Context, tx store.Tx, messageIDs []int64) error {
	if len(messageIDs) == 0 {
		return nil
	}
	// Two identical unique jobs in one batch are an error on both drivers.
	seen := make(map[int64]bool, len(messageIDs))
	params := make([]river.InsertManyParams, 0, len(messageIDs))
	for _, id := range messageIDs {
		if !seen[id] {
			seen[id] = true
			params = append(params, river.InsertManyParams{Args: DeliverArgs{MessageID: id}})
		}
	}
	if err := q.client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("scheduler: enqueue %d deliver jobs: %w", len(params), err)
	}
	return nil
}

// EnqueueNew inserts the deliver jobs of messages created in tx, which
// cannot have a job yet, in bulk (River's InsertManyFastTx: COPY on
// PostgreSQL): what the tick uses. Use Enqueue for messages that may
// already have a job: here a duplicate fails the batch on PostgreSQL and
// is skipped on SQLite (never a second job either way).
func (q *Queue) EnqueueNew(ctx context.Context, tx store.Tx, messageIDs []int64) error {
	if len(messageIDs) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(messageIDs))
	for i, id := range messageIDs {
		params[i] = river.InsertManyParams{Args: DeliverArgs{MessageID: id}}
	}
	if err := q.client.InsertManyFastTx(ctx, tx, params); err != nil {
		return fmt.Errorf("scheduler: enqueue %d deliver jobs: %w", len(params), err)
	}
	return nil
}

// EnqueueResend inserts, in tx, a job that sends the message again: for a
// send settled by hand after it was recorded unknown. resend must differ
// from earlier resends of the message (a counter, or the time).
func (q *Queue) EnqueueResend(ctx context.Context, tx store.Tx, messageID, resend int64) error {
	params := []river.InsertManyParams{{Args: DeliverArgs{MessageID: messageID, Resend: resend}}}
	if err := q.client.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("scheduler: enqueue resend of message %d: %w", messageID, err)
	}
	return nil
}

// InsertTx inserts one job of any kind in the store's transaction tx: it
// commits or rolls back with tx (a background import's job, with the
// import it runs).
func (q *Queue) InsertTx(ctx context.Context, tx store.Tx, args river.JobArgs) error {
	if err := q.client.InsertManyTx(ctx, tx, []river.InsertManyParams{{Args: args}}); err != nil {
		return fmt.Errorf("scheduler: insert a %s job: %w", args.Kind(), err)
	}
	return nil
}

// Start starts working jobs (and, on the elected leader, the periodic jobs,
// the rescue of stuck jobs and the clean-up) until Stop. Cancelling ctx
// stops it too, as Stop would.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("scheduler: start queue: %w", err)
	}
	q.running = true
	return nil
}

// Stop stops the queue gracefully: no new job is taken, and running jobs
// may finish until ctx is done. Then their contexts are cancelled: a send
// in flight is recorded as what it became (failed, or unknown if it may
// have left) and River makes the job available again for the next
// process.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running = false
	return q.stop(ctx)
}

func (q *Queue) stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}
	q.cfg.Logger.WarnContext(ctx, "queue: jobs still running at shutdown; cancelling them")
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := q.client.StopAndCancel(hard); err != nil {
		return fmt.Errorf("scheduler: stop queue: %w", err)
	}
	return nil
}

// idlePoll is how often WorkUntilIdle counts the jobs left, and idleAhead
// how far ahead of the database's clock it counts a job as able to run now.
// idleCountFor is how long the count may keep failing (the database
// refusing connections a while, on a loaded server) before WorkUntilIdle
// gives up.
const (
	idlePoll     = 50 * time.Millisecond
	idleAhead    = 200 * time.Millisecond
	idleCountFor = 30 * time.Second
)

// WorkUntilIdle works jobs until none can run now: none available or
// running, and none scheduled or waiting for a retry at a time already
// past. A job snoozed or waiting for a retry later stays for a later tick
// (or kigen serve). Jobs left by an earlier tick or a crashed process are
// worked too: a job left running by a dead process is rescued after
// RescueStuckJobsAfter, so WorkUntilIdle then waits up to about that long
// plus 30 s.
//
// A count that fails (the database refusing a connection on a loaded
// server) is tried again at the next poll, for up to 30 s (idleCountFor):
// the work goes on rather than end with jobs left that could run.
//
// It starts the queue if Start has not, and stops it again before it
// returns.
func (q *Queue) WorkUntilIdle(ctx context.Context) (err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.running {
		if err := q.client.Start(ctx); err != nil {
			return fmt.Errorf("scheduler: start queue: %w", err)
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), q.cfg.JobTimeout+5*time.Second)
			defer cancel()
			err = errors.Join(err, q.stop(stopCtx))
		}()
	}
	// Running, or able to run now. "Now" reaches 200 ms ahead: a job
	// rescued or retried at once is scheduled at the instant it was
	// written, which the database's clock may not have reached at the
	// next poll (River writes microseconds; SQLite's clock has
	// milliseconds), and an idle check must not end before it ran.
	t := time.NewTicker(idlePoll)
	defer t.Stop()
	var failing time.Time // since when the count fails
	for {
		n, err := q.client.CountRunnableJobs(ctx, idleAhead)
		switch {
		case err != nil && failing.IsZero():
			failing = time.Now()
			q.cfg.Logger.WarnContext(ctx, "queue: cannot count the jobs left; trying again", slog.String("err", err.Error()))
		case err != nil && time.Since(failing) > idleCountFor:
			return fmt.Errorf("scheduler: count runnable jobs: %w", err)
		case err == nil && n == 0:
			return nil
		case err == nil:
			failing = time.Time{}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// GivenUp returns the messages whose deliver job River discarded (its
// attempts ran out, or it was rescued from dead processes that often) and
// that have no other deliver job waiting, running or completed: nothing
// will send them unless someone decides to (kigen followup lists those
// still planned). Discarded jobs are pruned after River's retention (7
// days).
func (q *Queue) GivenUp(ctx context.Context) ([]int64, error) {
	ids, err := q.client.ListDiscardedJobArgs(ctx, DeliverArgs{}.Kind(), "message_id")
	if err != nil {
		return nil, fmt.Errorf("scheduler: deliver jobs given up: %w", err)
	}
	return ids, nil
}

// JobStates are River's job states, in their lifecycle order.
var JobStates = []string{"pending", "scheduled", "available", "running", "retryable", "completed", "cancelled", "discarded"}

// Stats returns how many jobs are in each state (every state in JobStates,
// zero if none): for /metrics.
func (q *Queue) Stats(ctx context.Context) (map[string]int, error) {
	got, err := q.client.CountJobsByState(ctx)
	if err != nil {
		return nil, fmt.Errorf("scheduler: job stats: %w", err)
	}
	out := make(map[string]int, len(JobStates))
	for _, s := range JobStates {
		out[s] = 0
	}
	for s, n := range got {
		out[s] = n
	}
	return out, nil
}
