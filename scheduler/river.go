package scheduler

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
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
// (DOMAIN.md §11.18: temporary failures are retried for up to 24 hours,
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
	if (cfg.Worker != nil || cfg.Tick != nil) && cfg.Workers == nil {
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
// It hides River's driver-specific transaction type behind store.Tx.
type Queue struct {
	client client
	cfg    QueueConfig
	// count runs a query returning one integer; states one returning
	// (state, count) rows. Both read River's job table, named by table.
	count  func(ctx context.Context, query string) (int, error)
	states func(ctx context.Context, query string) (map[string]int, error)
	table  string // River's job table, schema-qualified if need be
	soon   string // the SQL for 200 ms from now, in River's time format
	argID  string // the SQL for a job's message_id argument, as text

	mu      sync.Mutex
	running bool // started by Start (WorkUntilIdle leaves it running)
}

// client is what Queue needs of a river.Client[TTx], whatever TTx.
type client interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	insertManyTx(ctx context.Context, tx any, params []river.InsertManyParams) error
	// insertManyFastTx inserts jobs that cannot be duplicates, in bulk
	// (COPY on PostgreSQL).
	insertManyFastTx(ctx context.Context, tx any, params []river.InsertManyParams) error
	// insert inserts one job outside any transaction and reports whether
	// it did (false: a unique duplicate was there).
	insert(ctx context.Context, args river.JobArgs) (bool, error)
	migrate(ctx context.Context) error
}

// riverClient adapts a river.Client[TTx] to client.
type riverClient[TTx any] struct {
	*river.Client[TTx]
	driver    riverdriver.Driver[TTx]
	migration *rivermigrate.Config
}

func (c riverClient[TTx]) insertManyTx(ctx context.Context, tx any, params []river.InsertManyParams) error {
	t, err := c.tx(tx)
	if err == nil {
		_, err = c.InsertManyTx(ctx, t, params)
	}
	return err
}

func (c riverClient[TTx]) insertManyFastTx(ctx context.Context, tx any, params []river.InsertManyParams) error {
	t, err := c.tx(tx)
	if err == nil {
		_, err = c.InsertManyFastTx(ctx, t, params)
	}
	return err
}

// tx is the store's transaction as this client's driver type.
func (c riverClient[TTx]) tx(tx any) (TTx, error) {
	t, ok := tx.(TTx)
	if !ok {
		return t, fmt.Errorf("scheduler: enqueue: the store's transaction is a %T, not this queue's %T", tx, *new(TTx))
	}
	return t, nil
}

func (c riverClient[TTx]) insert(ctx context.Context, args river.JobArgs) (bool, error) {
	res, err := c.Insert(ctx, args, nil)
	if err != nil {
		return false, err
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

func (c riverClient[TTx]) migrate(ctx context.Context) error {
	m, err := rivermigrate.New(c.driver, c.migration)
	if err != nil {
		return err
	}
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

// NewPostgresQueue returns a Queue on the PostgreSQL pool of the store
// (postgres.Store.Pool). It does not migrate (Migrate) nor start (Start).
func NewPostgresQueue(pool *pgxpool.Pool, cfg QueueConfig) (*Queue, error) {
	cfg = cfg.withDefaults()
	driver := riverpgxv5.New(pool)
	rc, err := cfg.river()
	if err != nil {
		return nil, fmt.Errorf("scheduler: new queue: %w", err)
	}
	c, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("scheduler: new queue: %w", err)
	}
	table := "river_job"
	if cfg.Schema != "" {
		table = pgx.Identifier{cfg.Schema, "river_job"}.Sanitize()
	}
	return &Queue{
		client: riverClient[pgx.Tx]{Client: c, driver: driver,
			migration: &rivermigrate.Config{Logger: cfg.Logger, Schema: cfg.Schema}},
		cfg:   cfg,
		table: table,
		soon:  "now() + interval '200 milliseconds'",
		argID: "args->>'message_id'",
		count: func(ctx context.Context, query string) (n int, err error) {
			err = pool.QueryRow(ctx, query).Scan(&n)
			return n, err
		},
		states: func(ctx context.Context, query string) (map[string]int, error) {
			rows, _ := pool.Query(ctx, query)
			out := map[string]int{}
			var (
				state string
				n     int
			)
			_, err := pgx.ForEachRow(rows, []any{&state, &n}, func() error {
				out[state] = n
				return nil
			})
			return out, err
		},
	}, nil
}

// NewSQLiteQueue returns a Queue on the store's SQLite database
// (sqlite.Store.DB: one connection, WAL, immediate transactions — see
// DEPENDENCIES.md). It does not migrate (Migrate) nor start (Start).
func NewSQLiteQueue(db *sql.DB, cfg QueueConfig) (*Queue, error) {
	cfg = cfg.withDefaults()
	cfg.Schema = ""
	driver := riversqlite.New(db)
	rc, err := cfg.river()
	if err != nil {
		return nil, fmt.Errorf("scheduler: new queue: %w", err)
	}
	c, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("scheduler: new queue: %w", err)
	}
	return &Queue{
		client: riverClient[*sql.Tx]{Client: c, driver: driver,
			migration: &rivermigrate.Config{Logger: cfg.Logger}},
		cfg:   cfg,
		table: "river_job",
		soon:  "datetime('now', '+0.2 seconds', 'subsec')", // River keeps SQLite times as UTC text
		argID: "CAST(json_extract(args, '$.message_id') AS TEXT)",
		count: func(ctx context.Context, query string) (n int, err error) {
			err = db.QueryRowContext(ctx, query).Scan(&n)
			return n, err
		},
		states: func(ctx context.Context, query string) (map[string]int, error) {
			rows, err := db.QueryContext(ctx, query)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			out := map[string]int{}
			for rows.Next() {
				var (
					state string
					n     int
				)
				if err := rows.Scan(&state, &n); err != nil {
					return nil, err
				}
				out[state] = n
			}
			return out, rows.Err()
		},
	}, nil
}

// Migrate applies River's migrations (its tables live beside the store's).
// It is idempotent.
func (q *Queue) Migrate(ctx context.Context) error {
	if err := q.client.migrate(ctx); err != nil {
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
	if err := q.client.insertManyTx(ctx, tx.Driver(), params); err != nil {
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
	if err := q.client.insertManyFastTx(ctx, tx.Driver(), params); err != nil {
		return fmt.Errorf("scheduler: enqueue %d deliver jobs: %w", len(params), err)
	}
	return nil
}

// EnqueueResend inserts, in tx, a job that sends the message again: for a
// send settled by hand after it was recorded unknown. resend must differ
// from earlier resends of the message (a counter, or the time).
func (q *Queue) EnqueueResend(ctx context.Context, tx store.Tx, messageID, resend int64) error {
	params := []river.InsertManyParams{{Args: DeliverArgs{MessageID: messageID, Resend: resend}}}
	if err := q.client.insertManyTx(ctx, tx.Driver(), params); err != nil {
		return fmt.Errorf("scheduler: enqueue resend of message %d: %w", messageID, err)
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

// idlePoll is how often WorkUntilIdle counts the jobs left.
const idlePoll = 50 * time.Millisecond

// WorkUntilIdle works jobs until none can run now: none available or
// running, and none scheduled or waiting for a retry at a time already
// past. A job snoozed or waiting for a retry later stays for a later tick
// (or kigen serve). Jobs left by an earlier tick or a crashed process are
// worked too: a job left running by a dead process is rescued after
// RescueStuckJobsAfter, so WorkUntilIdle then waits up to about that long
// plus 30 s.
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
	query := `SELECT count(*) FROM ` + q.table + ` WHERE state = 'running'
		OR (state IN ('available', 'scheduled', 'retryable') AND scheduled_at <= ` + q.soon + `)`
	t := time.NewTicker(idlePoll)
	defer t.Stop()
	for {
		n, err := q.count(ctx, query)
		if err != nil {
			return fmt.Errorf("scheduler: count runnable jobs: %w", err)
		}
		if n == 0 {
			return nil
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
	query := `SELECT ` + q.argID + `, count(*) FROM ` + q.table + ` AS d
		WHERE d.kind = 'deliver' AND d.state = 'discarded' AND NOT EXISTS (
			SELECT 1 FROM ` + q.table + ` AS j WHERE j.kind = 'deliver' AND j.state IN ('available', 'pending', 'retryable', 'running', 'scheduled', 'completed')
			AND ` + strings.ReplaceAll(q.argID, "args", "j.args") + ` = ` + strings.ReplaceAll(q.argID, "args", "d.args") + `)
		GROUP BY 1`
	got, err := q.states(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("scheduler: deliver jobs given up: %w", err)
	}
	ids := make([]int64, 0, len(got))
	for arg := range got {
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("scheduler: deliver job with message_id %q", arg)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// JobStates are River's job states, in their lifecycle order.
var JobStates = []string{"pending", "scheduled", "available", "running", "retryable", "completed", "cancelled", "discarded"}

// Stats returns how many jobs are in each state (every state in JobStates,
// zero if none): for /metrics.
func (q *Queue) Stats(ctx context.Context) (map[string]int, error) {
	got, err := q.states(ctx, `SELECT state, count(*) FROM `+q.table+` GROUP BY state`)
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
