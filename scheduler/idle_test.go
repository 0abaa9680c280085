package scheduler

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"kigen/store"
)

// flakyCounter is a River client whose CountRunnableJobs fails a few
// times (a database refusing connections a while), then finds jobs left,
// then none.
type flakyCounter struct {
	store.RiverClient // nil: any other call panics
	fails, left       atomic.Int32
	calls             atomic.Int32
}

func (c *flakyCounter) Start(context.Context) error { return nil }
func (c *flakyCounter) Stop(context.Context) error  { return nil }

func (c *flakyCounter) CountRunnableJobs(context.Context, time.Duration) (int, error) {
	c.calls.Add(1)
	if c.fails.Add(-1) >= 0 {
		return 0, errors.New("FATAL: too many connections for role \"kigen\" (SQLSTATE 53300)")
	}
	return int(max(c.left.Add(-1), 0)), nil
}

// TestWorkUntilIdle_CountFails: a count that fails a few times is tried
// again: the work goes on until no job is left, rather than the tick
// ending with jobs it could have run.
func TestWorkUntilIdle_CountFails(t *testing.T) {
	t.Parallel()
	c := &flakyCounter{}
	c.fails.Store(3)
	c.left.Store(3)
	q := &Queue{client: c, cfg: QueueConfig{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}.withDefaults()}
	if err := q.WorkUntilIdle(t.Context()); err != nil {
		t.Fatalf("WorkUntilIdle: %v", err)
	}
	if n := c.calls.Load(); n != 6 {
		t.Errorf("CountRunnableJobs called %d times, want 6 (3 failures, 2 with jobs left, 1 with none)", n)
	}
}
