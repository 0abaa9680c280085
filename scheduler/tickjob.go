package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"kigen"
	"kigen/store"
)

// TickArgs is the tick job: plan one day (Planner.Tick). Date is the day
// ("YYYY-MM-DD"); empty means the worker's today, the date in Asia/Tokyo of
// TickWorker.Now when the job runs (the periodic tick's jobs are undated).
type TickArgs struct {
	Date string `json:"date,omitempty"`
}

// Kind implements river.JobArgs.
func (TickArgs) Kind() string { return "tick" }

// tickWaitingStates are the states of a job that has yet to finish.
var tickWaitingStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// InsertOpts implements river.JobArgsWithInsertOpts. A dated tick is unique
// by its date in every state but cancelled and discarded (River's default):
// one day's tick is enqueued once while its completed job is kept (24 h),
// so two instances catching up at the same start insert one job. An
// undated (periodic) tick is unique only among the ticks yet to finish: a
// scheduled time that comes while an earlier undated tick still waits or
// runs adds none (it would plan the same day), but every scheduled time
// after it finished gets its tick.
func (a TickArgs) InsertOpts() river.InsertOpts {
	if a.Date != "" {
		return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
	}
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: tickWaitingStates}}
}

// TickTimeout is how long a tick job may run before its context is
// cancelled. A tick at national scale plans for minutes; one cut short
// keeps its committed batches and is retried, and the retry plans the rest.
//
// River's RescueStuckJobsAfter is global (the Queue keeps it short, about a
// minute, for deliveries), but River v0.51.2's rescuer leaves alone a
// running job younger than its worker's own Timeout
// (JobRescuer.makeRetryDecision: "not timed out yet due to kind-specific
// timeout value"). So a live tick is never rescued and run a second time
// beside itself; the price is that a tick whose process died is rescued
// only TickTimeout after it started — unless a restarted serve catches it
// up first (Queue.CatchUpTick treats today's unfinished tick as not run).
// A shorter RescueStuckJobsAfter for all jobs or a longer one for the
// deliveries would each be worse.
const TickTimeout = 15 * time.Minute

// tickDelays are the waits between the attempts of a failed tick: short,
// so that a passing failure (the database restarting) delays the day's
// notices by minutes, not by the deliveries' hours.
var tickDelays = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour}

// TickWorker works tick jobs: it runs Planner.Tick on the job's date.
// Ticks are idempotent and safe to run concurrently, so a tick run twice
// (a retry, a catch-up beside the periodic tick) plans nothing twice.
type TickWorker struct {
	river.WorkerDefaults[TickArgs]

	Planner *Planner
	// Now returns the current time (KIGEN_NOW in demos and tests); an
	// undated job plans its date in Asia/Tokyo. Default time.Now.
	Now func() time.Time
	// Observe, if set, is called after each successful tick with its
	// summary and how long it took (for metrics).
	Observe func(TickSummary, time.Duration)
	Logger  *slog.Logger // default slog.Default()
}

var _ river.Worker[TickArgs] = (*TickWorker)(nil)

// Timeout implements river.Worker: TickTimeout, above the queue's
// JobTimeout.
func (w *TickWorker) Timeout(*river.Job[TickArgs]) time.Duration { return TickTimeout }

// NextRetry implements river.Worker: a rescued tick (its process died; it
// started TickTimeout ago or more) runs again at once, a failed one after
// 1, 5, 15 minutes, then hourly.
func (w *TickWorker) NextRetry(job *river.Job[TickArgs]) time.Time {
	now := time.Now()
	if job.AttemptedAt != nil && now.Sub(*job.AttemptedAt) >= TickTimeout {
		return now
	}
	return now.Add(tickDelays[min(len(job.Errors), len(tickDelays)-1)])
}

// Work implements river.Worker: it plans the job's date (or today).
func (w *TickWorker) Work(ctx context.Context, job *river.Job[TickArgs]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	day := kigen.DateOf(now())
	if job.Args.Date != "" {
		d, err := kigen.ParseISODate(job.Args.Date)
		if err != nil {
			return river.JobCancel(fmt.Errorf("tick job %d: %w", job.ID, err))
		}
		day = d
	}
	start := time.Now()
	sum, err := w.Planner.Tick(ctx, day)
	if err != nil {
		return err // Tick's error names the date and batch; River retries
	}
	if w.Observe != nil {
		w.Observe(sum, time.Since(start))
	}
	return nil
}

// NewTickPeriodicJob returns the periodic tick for QueueConfig.PeriodicJobs
// (or use QueueConfig.TickSchedule): an undated TickArgs at every time of
// schedule (a robfig/cron cron.Schedule fits). River runs periodic jobs on
// the elected leader only, so however many instances run, one tick job is
// inserted per scheduled time. opts may be nil; RunOnStart is always off:
// a tick missed while no instance ran is Queue.CatchUpTick's, which runs
// it only when today's scheduled time has passed.
func NewTickPeriodicJob(schedule river.PeriodicSchedule, opts *river.PeriodicJobOpts) *river.PeriodicJob {
	var o river.PeriodicJobOpts
	if opts != nil {
		o = *opts
	}
	o.RunOnStart = false
	return river.NewPeriodicJob(schedule, func() (river.JobArgs, *river.InsertOpts) {
		return TickArgs{}, nil
	}, &o)
}

// PrevScheduled returns the last time of schedule at or before now,
// looking back 8 days (robfig/cron has only Next); zero if none, as for a
// schedule rarer than weekly.
func PrevScheduled(schedule river.PeriodicSchedule, now time.Time) (prev time.Time) {
	for t := schedule.Next(now.Add(-8 * 24 * time.Hour)); !t.IsZero() && !t.After(now); t = schedule.Next(t) {
		prev = t
	}
	return prev
}

// InsertTick inserts a tick job for date (zero: undated, the worker's
// today) and reports whether it did: a dated tick already enqueued, or
// an undated one still waiting or running, is not inserted again (see
// TickArgs.InsertOpts).
func (q *Queue) InsertTick(ctx context.Context, date kigen.Date) (bool, error) {
	var args TickArgs
	if !date.IsZero() {
		args.Date = date.String()
	}
	inserted, err := q.client.Insert(ctx, args)
	if err != nil {
		return false, fmt.Errorf("scheduler: insert tick %s: %w", args.Date, err)
	}
	return inserted, nil
}

// CatchUpTick runs at start: it enqueues today's tick (dated) when today's
// scheduled time has passed and today's tick has not run, so that a missed
// 09:00 is caught up, not skipped. lastTick is store.Store.LastTick's (nil
// if none ever ran), prev the last scheduled time at or before now
// (PrevScheduled; zero if none). Today is now's date in Asia/Tokyo.
//
// It inserts when prev falls today and the last tick planned an earlier
// day, none ever ran, or today's last tick never finished (its process
// died: it resumes now rather than when River's rescuer would take it, see
// TickTimeout). Two instances starting together insert one job. It reports
// whether it inserted.
func (q *Queue) CatchUpTick(ctx context.Context, lastTick *store.Tick, prev, now time.Time) (bool, error) {
	today := kigen.DateOf(now)
	if prev.IsZero() || prev.After(now) || kigen.DateOf(prev) != today {
		return false, nil // today's time has not come (or no schedule)
	}
	if lastTick != nil && !lastTick.Date.Before(today) && !lastTick.FinishedAt.IsZero() {
		return false, nil // today's tick ran
	}
	inserted, err := q.InsertTick(ctx, today)
	if err != nil {
		return false, err
	}
	if inserted {
		q.cfg.Logger.InfoContext(ctx, "tick: catching up today's tick", slog.String("tick_date", today.String()))
	}
	return inserted, nil
}

// errNoTickWorker is returned by a queue asked for a periodic tick without
// a tick worker.
var errNoTickWorker = errors.New("QueueConfig.TickSchedule needs QueueConfig.Tick")
