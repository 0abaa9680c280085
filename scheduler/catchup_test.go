package scheduler_test

import (
	"context"
	"testing"
	"time"

	"kigen"
	"kigen/store"
)

// TestQueue_CatchUpAtStart: a store whose tick never ran gets today's tick
// once its time has passed, and the tick runs.
func TestQueue_CatchUpAtStart(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		dueCard(t, s)
		started := now.Add(90 * time.Minute)
		q := tickQueue(t, s, nil, started, nil)
		if err := q.CatchUpAtStart(t.Context(), s.LastTick, dailyAt9{}, started); err != nil {
			t.Fatal(err)
		}
		work(t, q)
		if tk := lastTick(t, s); tk == nil || tk.Date != kigen.DateOf(now) || tk.FinishedAt.IsZero() {
			t.Errorf("last tick %+v, want today's, finished", tk)
		}
		failing := func(context.Context) (*store.Tick, error) { return nil, context.Canceled }
		if err := q.CatchUpAtStart(t.Context(), failing, dailyAt9{}, started); err == nil {
			t.Error("a failing read of the last tick: no error")
		}
	})
}
