package scheduler

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"kigen/store"
)

// CatchUpAtStart is what a starting process owes the schedule: a tick missed
// while Kigen was down (today's scheduled time passed, or today's tick
// died) is enqueued now rather than skipped (CatchUpTick); two instances
// starting together insert one job. lastTick reads the last tick
// (store.Store.LastTick: ErrNotFound when none ever ran).
func (q *Queue) CatchUpAtStart(ctx context.Context, lastTick func(context.Context) (*store.Tick, error), schedule river.PeriodicSchedule, now time.Time) error {
	last, err := lastTick(ctx)
	if errors.Is(err, store.ErrNotFound) {
		last, err = nil, nil
	}
	if err != nil {
		return err
	}
	_, err = q.CatchUpTick(ctx, last, PrevScheduled(schedule, now), now)
	return err
}
