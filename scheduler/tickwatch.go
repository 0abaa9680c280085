package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"kigen"
	"kigen/store"
)

// DefaultTickStaleAfter is how long a tick may stay unfinished before a
// TickWatch takes it for the tick of a dead process and runs it again.
// A national tick plans in seconds; ten minutes leaves a wide margin.
const DefaultTickStaleAfter = 10 * time.Minute

// TickWatch resumes a tick whose process died, on a surviving instance.
//
// River runs the daily tick as one job on one instance. When that process
// dies mid-tick, its job stays "running" until River's rescuer takes it,
// TickTimeout after it started (see TickTimeout for why that cannot be
// shorter), and a restart's CatchUpTick resumes it only when the dead
// instance comes back. A TickWatch on every instance closes that gap: when
// today's scheduled time has passed and the last tick (store.LastTick) has
// stayed unfinished for StaleAfter — measured on this process's own clock
// from when it first saw that tick, so a frozen KIGEN_NOW or another
// machine's clock cannot fool it — and this process is not running a tick
// itself, it runs Planner.Tick for today. Ticks are idempotent and safe
// to run concurrently, so a tick that was only slow, or two instances
// resuming at once, plan nothing twice.
type TickWatch struct {
	Planner  *Planner
	LastTick func(ctx context.Context) (*store.Tick, error)
	Schedule river.PeriodicSchedule // the daily tick's schedule
	// StaleAfter: default DefaultTickStaleAfter.
	StaleAfter time.Duration
	// Now is Kigen's clock (KIGEN_NOW), which decides today; default
	// time.Now. Staleness is always measured on the real clock.
	Now func() time.Time
	// Observe, if set, is called after each resumed tick that succeeded.
	Observe func(TickSummary, time.Duration)
	Logger  *slog.Logger // default slog.Default()

	seenID int64     // the unfinished tick being watched
	seenAt time.Time // when it was first seen unfinished (real clock)
}

// Run checks every StaleAfter/4 (at most every 30 s) until ctx is done.
func (w *TickWatch) Run(ctx context.Context) {
	every := min(w.staleAfter()/4, 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := w.Check(ctx); err != nil && ctx.Err() == nil {
			w.logger().WarnContext(ctx, "tick watch", slog.String("err", err.Error()))
		}
	}
}

// Check looks once and resumes today's tick if it is stale; it reports
// whether it ran a tick.
func (w *TickWatch) Check(ctx context.Context) (bool, error) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	at := now()
	prev := PrevScheduled(w.Schedule, at)
	today := kigen.DateOf(at)
	if prev.IsZero() || kigen.DateOf(prev) != today {
		return false, nil // today's tick is not due yet
	}
	last, err := w.LastTick(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil // none ever ran: CatchUpTick's and the schedule's
	} else if err != nil {
		return false, err
	}
	if last.Date != today || !last.FinishedAt.IsZero() {
		w.seenID = 0
		return false, nil
	}
	if last.ID != w.seenID {
		w.seenID, w.seenAt = last.ID, time.Now()
		return false, nil
	}
	if time.Since(w.seenAt) < w.staleAfter() || w.Planner.Active() > 0 {
		return false, nil
	}
	w.logger().WarnContext(ctx, "tick watch: today's tick has stayed unfinished too long (its process may have died); resuming it here",
		slog.Int64("stale_tick_id", last.ID), slog.String("tick_date", today.String()))
	w.seenID = 0
	start := time.Now()
	sum, err := w.Planner.Tick(ctx, today)
	if err != nil {
		return true, err
	}
	if w.Observe != nil {
		w.Observe(sum, time.Since(start))
	}
	return true, nil
}

func (w *TickWatch) staleAfter() time.Duration {
	if w.StaleAfter > 0 {
		return w.StaleAfter
	}
	return DefaultTickStaleAfter
}

func (w *TickWatch) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}
