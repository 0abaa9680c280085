package scheduler

import (
	"context"
	"errors"
	"fmt"

	"kigen/store"
)

// Depth returns how much work the queue holds: the jobs waiting, running
// and scheduled for later, and how long the oldest waiting job has waited
// (the operators' page). A store whose River client cannot say is an
// error.
func (q *Queue) Depth(ctx context.Context) (store.QueueDepth, error) {
	w, ok := q.client.(store.QueueWatcher)
	if !ok {
		return store.QueueDepth{}, errors.New("scheduler: the store's job queue cannot report its depth")
	}
	d, err := w.QueueDepth(ctx)
	if err != nil {
		return d, fmt.Errorf("scheduler: queue depth: %w", err)
	}
	return d, nil
}
