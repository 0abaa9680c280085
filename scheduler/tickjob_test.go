package scheduler_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"kigen"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/postgres/postgrestest"
	"kigen/store/sqlite"
	"kigen/store/storetest"
)

// everySecond is a schedule at every whole second: two instances compute
// the same scheduled times.
type everySecond struct{}

func (everySecond) Next(t time.Time) time.Time { return t.Truncate(time.Second).Add(time.Second) }

// dueCard stores a resident reachable by email with a residence card whose
// d60 notice is due on now's date (next notice date today).
func dueCard(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	m := storetest.MustCreateMunicipality(t, ctx, s, "012033")
	r := storetest.MustUpsertResident(t, ctx, s, m.ID, "R-1")
	storetest.MustUpsertContact(t, ctx, s, m.ID, r.ID, kigen.Email, "r1@example.com")
	storetest.MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, cardExpiresOn)
	if err := store.Replan(ctx, s, m.ID, r.ID, kigen.DateOf(now)); err != nil {
		t.Fatal(err)
	}
}

// tickQueue returns a migrated Queue on s's database (pool, if set, for a
// second PostgreSQL "instance") whose tick worker plans at clock. tune, if
// set, adjusts the configuration.
func tickQueue(t *testing.T, s store.Store, pool *pgxpool.Pool, clock time.Time, tune func(*scheduler.QueueConfig)) *scheduler.Queue {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := scheduler.QueueConfig{
		Tick: &scheduler.TickWorker{
			Planner: &scheduler.Planner{Store: s, Logger: logger},
			Now:     func() time.Time { return clock },
			Logger:  logger,
		},
		Logger:            logger,
		TestOnly:          true,
		FetchPollInterval: 50 * time.Millisecond,
	}
	if tune != nil {
		tune(&cfg)
	}
	var (
		q   *scheduler.Queue
		err error
	)
	switch s := s.(type) {
	case *sqlite.Store:
		q, err = scheduler.NewQueue(s, cfg)
	case *postgres.Store:
		if pool == nil {
			pool = s.Pool()
		}
		if err := pool.QueryRow(t.Context(), `SELECT current_schema()`).Scan(&cfg.Schema); err != nil {
			t.Fatal(err)
		}
		q, err = scheduler.NewQueue(postgres.New(pool), cfg)
	default:
		t.Fatalf("unknown store %T", s)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return q
}

// stopQueue stops q (at the end of the test).
func stopQueue(t *testing.T, q *scheduler.Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), 20*time.Second)
	defer cancel()
	if err := q.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// lastTick returns the last tick, nil if none.
func lastTick(t *testing.T, s store.Store) *store.Tick {
	t.Helper()
	tk, err := s.LastTick(t.Context())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	return tk
}

// waitFor polls cond every 100 ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// queryInt runs a query returning one integer on s's database.
func queryInt(t *testing.T, s store.Store, query string) int {
	t.Helper()
	var n int
	var err error
	switch s := s.(type) {
	case *sqlite.Store:
		err = s.DB().QueryRowContext(t.Context(), query).Scan(&n)
	case *postgres.Store:
		err = s.Pool().QueryRow(t.Context(), query).Scan(&n)
	}
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestTick_Periodic: a started queue with a tick schedule runs the tick at
// the scheduled times, once its leader is elected.
func TestTick_Periodic(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		dueCard(t, s)
		q := tickQueue(t, s, nil, now, func(cfg *scheduler.QueueConfig) { cfg.TickSchedule = everySecond{} })
		if err := q.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		defer stopQueue(t, q)
		// Leader election takes a few seconds (longest on SQLite).
		waitFor(t, 12*time.Second, "two finished periodic ticks", func() bool {
			return queryInt(t, s, `SELECT count(*) FROM ticks WHERE finished_at IS NOT NULL`) >= 2
		})
		if n := queryInt(t, s, `SELECT coalesce(sum(notices), 0) FROM ticks`); n != 1 {
			t.Errorf("the ticks recorded %d notices, want 1 (the due d60, once)", n)
		}
		if n := queryInt(t, s, `SELECT coalesce(sum(messages), 0) FROM ticks`); n != 1 {
			t.Errorf("the ticks planned %d messages, want 1", n)
		}
		if tk := lastTick(t, s); tk.Date != kigen.DateOf(now) {
			t.Errorf("last tick planned %s, want the worker's today %s", tk.Date, kigen.DateOf(now))
		}
	})
}

// TestTick_PeriodicTwoInstances: two queues (two serve instances, each
// with its own pool) on one PostgreSQL schema with the same schedule run
// one tick per scheduled time: only the elected leader enqueues it.
func TestTick_PeriodicTwoInstances(t *testing.T) {
	t.Parallel()
	s := postgrestest.NewStore(t)
	dueCard(t, s)
	pool2, err := pgxpool.NewWithConfig(t.Context(), s.Pool().Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool2.Close) // before the schema is dropped
	sched := func(cfg *scheduler.QueueConfig) { cfg.TickSchedule = everySecond{} }
	q1 := tickQueue(t, s, nil, now, sched)
	q2 := tickQueue(t, s, pool2, now, sched)
	for _, q := range []*scheduler.Queue{q1, q2} {
		if err := q.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	const tickJobs = `SELECT count(*) FROM river_job WHERE kind = 'tick'`
	waitFor(t, 12*time.Second, "four tick jobs", func() bool { return queryInt(t, s, tickJobs) >= 4 })
	stopQueue(t, q1)
	stopQueue(t, q2)

	if n := queryInt(t, s, `SELECT count(*) FROM (SELECT scheduled_at FROM river_job WHERE kind = 'tick'
		GROUP BY scheduled_at HAVING count(*) > 1) AS twice`); n != 0 {
		t.Errorf("%d scheduled times have more than one tick job", n)
	}
	// Every attempt of a tick job records one tick. (A job the leader
	// inserted just before the stop may be left unworked.)
	attempts := queryInt(t, s, `SELECT coalesce(sum(attempt), 0) FROM river_job WHERE kind = 'tick'`)
	if n := queryInt(t, s, `SELECT count(*) FROM ticks`); n != attempts || n < 2 {
		t.Errorf("%d ticks ran for %d tick job attempts, want as many and at least 2", n, attempts)
	}
	if n := queryInt(t, s, `SELECT coalesce(sum(notices), 0) FROM ticks`); n != 1 {
		t.Errorf("the ticks recorded %d notices, want 1", n)
	}
}

// TestQueue_CatchUpTick: at start, today's tick is enqueued only when its
// scheduled time has passed and it has not run.
func TestQueue_CatchUpTick(t *testing.T) {
	t.Parallel()
	// Each case is on its own day, so that their jobs are not duplicates
	// of each other.
	day := func(n int, hour int) time.Time { return time.Date(2026, 12, n, hour, 30, 0, 0, kigen.Tokyo) }
	at9 := func(n int) time.Time { return time.Date(2026, 12, n, 9, 0, 0, 0, kigen.Tokyo) }
	ran := func(n int, finished bool) *store.Tick {
		tk := &store.Tick{Date: kigen.DateOf(day(n, 9)), StartedAt: at9(n)}
		if finished {
			tk.FinishedAt = at9(n).Add(time.Minute)
		}
		return tk
	}
	tests := []struct {
		name      string
		last      *store.Tick
		prev, now time.Time
		want      bool
	}{
		{name: "Missed", last: ran(1, true), prev: at9(2), now: day(2, 10), want: true},
		{name: "NeverRan", prev: at9(3), now: day(3, 10), want: true},
		{name: "TodaysUnfinished", last: ran(4, false), prev: at9(4), now: day(4, 10), want: true},
		{name: "TodaysRan", last: ran(5, true), prev: at9(5), now: day(5, 10)},
		{name: "Before0900", last: ran(5, true), prev: at9(5), now: day(6, 8)},
		{name: "Before0900NeverRan", prev: at9(6), now: day(7, 8)},
		{name: "NoSchedule", now: day(8, 10)},
	}
	backends(t, func(t *testing.T, s store.Store) {
		q := tickQueue(t, s, nil, now, nil) // not started: jobs stay
		want := 0
		for _, tc := range tests {
			got, err := q.CatchUpTick(t.Context(), tc.last, tc.prev, tc.now)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got != tc.want {
				t.Errorf("%s: CatchUpTick = %t, want %t", tc.name, got, tc.want)
			}
			if tc.want {
				want++
			}
		}
		if n := queryInt(t, s, `SELECT count(*) FROM river_job WHERE kind = 'tick'`); n != want {
			t.Errorf("%d tick jobs, want %d", n, want)
		}

		// Two instances starting at once: one job.
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			inserted int
		)
		for range 2 {
			wg.Go(func() {
				ok, err := q.CatchUpTick(t.Context(), nil, at9(20), day(20, 10))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					inserted++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if inserted != 1 {
			t.Errorf("two concurrent catch-ups inserted %d jobs, want 1", inserted)
		}
		if n := queryInt(t, s, `SELECT count(*) FROM river_job WHERE kind = 'tick'`); n != want+1 {
			t.Errorf("%d tick jobs, want %d", n, want+1)
		}
	})
}

// TestQueue_CatchUpTickPlans: a missed 09:00 tick, caught up at start,
// plans today's due notices.
func TestQueue_CatchUpTickPlans(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		dueCard(t, s)
		started := now.Add(90 * time.Minute)
		q := tickQueue(t, s, nil, started, nil)
		yesterday := &store.Tick{Date: kigen.DateOf(now).AddDays(-1), StartedAt: now.AddDate(0, 0, -1), FinishedAt: now.AddDate(0, 0, -1)}
		ok, err := q.CatchUpTick(t.Context(), yesterday, scheduler.PrevScheduled(dailyAt9{}, started), started)
		if err != nil || !ok {
			t.Fatalf("CatchUpTick = %t, %v; want true", ok, err)
		}
		work(t, q)
		tk := lastTick(t, s)
		if tk == nil || tk.Date != kigen.DateOf(now) || tk.Notices != 1 || tk.Messages != 1 || tk.FinishedAt.IsZero() {
			t.Errorf("last tick %+v, want %s's, finished, with 1 notice and 1 message", tk, kigen.DateOf(now))
		}
	})
}

// dailyAt9 is 09:00 Asia/Tokyo every day.
type dailyAt9 struct{}

func (dailyAt9) Next(t time.Time) time.Time {
	t = t.In(kigen.Tokyo)
	next := time.Date(t.Year(), t.Month(), t.Day(), 9, 0, 0, 0, kigen.Tokyo)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

func work(t *testing.T, q *scheduler.Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := q.WorkUntilIdle(ctx); err != nil {
		t.Fatalf("WorkUntilIdle: %v", err)
	}
}

// TestTickWorker_Date: a dated tick job plans its date, not the worker's
// today.
func TestTickWorker_Date(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		dueCard(t, s)
		var observed []int // each observed tick's notices
		q := tickQueue(t, s, nil, now.AddDate(0, 0, -10), func(cfg *scheduler.QueueConfig) {
			cfg.Tick.Observe = func(sum scheduler.TickSummary, _ time.Duration) { observed = append(observed, sum.Notices) }
		})
		if ok, err := q.InsertTick(t.Context(), kigen.DateOf(now)); err != nil || !ok {
			t.Fatalf("InsertTick = %t, %v; want true", ok, err)
		}
		if ok, err := q.InsertTick(t.Context(), kigen.DateOf(now)); err != nil || ok {
			t.Fatalf("InsertTick again = %t, %v; want false (one job per date)", ok, err)
		}
		work(t, q)
		tk := lastTick(t, s)
		if tk == nil || tk.Date != kigen.DateOf(now) || tk.Notices != 1 {
			t.Errorf("last tick %+v, want %s's with 1 notice", tk, kigen.DateOf(now))
		}
		if d := cmp.Diff([]int{1}, observed); d != "" {
			t.Errorf("Observe (-want +got):\n%s", d)
		}
	})
}

func TestTickWorker_BadDate(t *testing.T) {
	t.Parallel()
	w := &scheduler.TickWorker{Planner: &scheduler.Planner{}}
	err := w.Work(t.Context(), &river.Job[scheduler.TickArgs]{JobRow: &rivertype.JobRow{ID: 1}, Args: scheduler.TickArgs{Date: "2026-13-01"}})
	var cancel *rivertype.JobCancelError
	if !errors.As(err, &cancel) {
		t.Errorf("Work = %v, want a JobCancelError", err)
	}
}

func TestTickWorker_NextRetry(t *testing.T) {
	t.Parallel()
	w := &scheduler.TickWorker{}
	tests := []struct {
		name    string
		started time.Duration // before now
		errors  int
		want    time.Duration
	}{
		{name: "FirstFailure", started: time.Second, errors: 0, want: time.Minute},
		{name: "ThirdFailure", started: time.Second, errors: 2, want: 15 * time.Minute},
		{name: "Later", started: time.Second, errors: 9, want: time.Hour},
		{name: "Rescued", started: scheduler.TickTimeout + time.Minute, errors: 0, want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			attempted := time.Now().Add(-tc.started)
			job := &river.Job[scheduler.TickArgs]{JobRow: &rivertype.JobRow{AttemptedAt: &attempted, Errors: make([]rivertype.AttemptError, tc.errors)}}
			got := time.Until(w.NextRetry(job))
			if d := got - tc.want; d > time.Second || d < -time.Second {
				t.Errorf("NextRetry in %s, want %s", got, tc.want)
			}
		})
	}
}
