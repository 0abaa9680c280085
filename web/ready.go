package web

import (
	"context"
	"errors"
	"fmt"
	"time"

	"kigen/store"
)

// ReadyChecker says whether the process can do its work. /readyz asks it,
// with a context that expires after two seconds.
type ReadyChecker interface {
	// Ready returns what is wrong; none means ready.
	Ready(ctx context.Context) []Problem
}

// Problem is one reason the process is not ready.
type Problem struct {
	// Check names what failed: "database", "migrations" or "tick" for
	// Readiness.
	Check string `json:"check"`
	// Message says what is wrong, for an operator. It is served by /readyz,
	// so it holds no error text from a driver (addresses, user names).
	Message string `json:"message"`
	// Err is the underlying error, if any: logged by the handler, never
	// served.
	Err error `json:"-"`
}

// Defaults of Readiness.
const (
	DefaultGrace      = time.Hour
	DefaultStuckAfter = 30 * time.Minute
)

// Readiness is the ReadyChecker of `kigen serve`: the database answers, its
// migrations are applied, and the daily tick is not overdue or stuck. Each
// nil function skips its check.
type Readiness struct {
	// Ping checks that the database answers (store.Store.Ping).
	Ping func(ctx context.Context) error
	// MigrationsPending counts the migrations not yet applied (the
	// MigrationsPending method of both store backends).
	MigrationsPending func(ctx context.Context) (int, error)
	// LastTick returns the most recently started tick, or store.ErrNotFound
	// if none ever ran (store.Store.LastTick).
	LastTick func(ctx context.Context) (*store.Tick, error)
	// Prev returns the last scheduled tick time at or before now (from the
	// cron schedule); the zero time means none, and skips the tick check.
	Prev func(now time.Time) time.Time
	// Grace is how long after a scheduled time its tick may still not have
	// started; default DefaultGrace (1 h).
	Grace time.Duration
	// StuckAfter is how long a tick may run unfinished; default
	// DefaultStuckAfter (30 min).
	StuckAfter time.Duration
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

var _ ReadyChecker = (*Readiness)(nil)

// Ready implements ReadyChecker. When the database does not answer, only
// that problem is reported: every other check would fail for the same
// reason.
//
// The tick is overdue when, more than Grace after the last scheduled time
// Prev(now), no tick has started since that time (or none ever ran). It is
// stuck when the last tick started more than StuckAfter ago and has not
// finished.
func (c *Readiness) Ready(ctx context.Context) []Problem {
	var problems []Problem
	if c.Ping != nil {
		if err := c.Ping(ctx); err != nil {
			return []Problem{{Check: "database", Message: "the database does not answer", Err: err}}
		}
	}
	if c.MigrationsPending != nil {
		n, err := c.MigrationsPending(ctx)
		switch {
		case err != nil:
			problems = append(problems, Problem{Check: "migrations", Message: "cannot read the applied migrations", Err: err})
		case n > 0:
			problems = append(problems, Problem{Check: "migrations",
				Message: fmt.Sprintf("%d migration(s) pending: run kigen migrate", n)})
		}
	}
	if c.LastTick != nil {
		problems = append(problems, c.tickProblems(ctx)...)
	}
	return problems
}

// tickProblems checks the last tick against the schedule.
func (c *Readiness) tickProblems(ctx context.Context) []Problem {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	grace := c.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	stuckAfter := c.StuckAfter
	if stuckAfter <= 0 {
		stuckAfter = DefaultStuckAfter
	}
	var prev time.Time
	if c.Prev != nil {
		prev = c.Prev(now)
	}
	overdue := !prev.IsZero() && now.Sub(prev) > grace

	t, err := c.LastTick(ctx)
	if errors.Is(err, store.ErrNotFound) {
		if overdue {
			return []Problem{{Check: "tick", Message: fmt.Sprintf(
				"no tick has ever run; one was due at %s", prev.Format(time.RFC3339))}}
		}
		return nil
	}
	if err != nil {
		return []Problem{{Check: "tick", Message: "cannot read the last tick", Err: err}}
	}

	var problems []Problem
	if overdue && t.StartedAt.Before(prev) {
		problems = append(problems, Problem{Check: "tick", Message: fmt.Sprintf(
			"the tick due at %s has not started; the last one started at %s",
			prev.Format(time.RFC3339), t.StartedAt.In(prev.Location()).Format(time.RFC3339))})
	}
	if t.FinishedAt.IsZero() && now.Sub(t.StartedAt) > stuckAfter {
		problems = append(problems, Problem{Check: "tick", Message: fmt.Sprintf(
			"the tick started at %s has not finished after %s",
			t.StartedAt.In(now.Location()).Format(time.RFC3339), now.Sub(t.StartedAt).Truncate(time.Minute))})
	}
	return problems
}
