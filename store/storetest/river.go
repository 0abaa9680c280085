package storetest

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"kigen/store"
)

// riverJobArgs is a job of the River cases: it succeeds, fails (and with
// one attempt, is discarded) or cancels itself, as Outcome says.
type riverJobArgs struct {
	Item    int64  `json:"item"`
	Outcome string `json:"outcome"` // "ok", "fail" or "cancel"
}

func (riverJobArgs) Kind() string { return "storetest_job" }

type riverJobWorker struct {
	river.WorkerDefaults[riverJobArgs]
}

func (riverJobWorker) Work(_ context.Context, job *river.Job[riverJobArgs]) error {
	switch job.Args.Outcome {
	case "fail":
		return errors.New("storetest: failed on purpose")
	case "cancel":
		return river.JobCancel(errors.New("storetest: cancelled on purpose"))
	}
	return nil
}

// mustRiverClient returns a migrated River client on s's database that
// works riverJobArgs jobs with one attempt each, stopped at the end of
// the test; it skips the test if s has no River.
func mustRiverClient(t *testing.T, s store.Store) store.RiverClient {
	t.Helper()
	ro, ok := s.(store.RiverOpener)
	if !ok {
		t.Skipf("%T has no River client (store.RiverOpener)", s)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, riverJobWorker{})
	c, err := ro.NewRiverClient(&river.Config{
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError})),
		MaxAttempts:       1,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		TestOnly:          true,
		Workers:           workers,
	})
	must(t, err, "NewRiverClient")
	must(t, c.Migrate(t.Context()), "Migrate")
	must(t, c.Migrate(t.Context()), "Migrate again")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), afterTx)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return c
}

// testRiverInsertTx: jobs inserted in a transaction go with it.
func testRiverInsertTx(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := mustRiverClient(t, s)
	job := func(item int64) []river.InsertManyParams {
		return []river.InsertManyParams{{Args: riverJobArgs{Item: item, Outcome: "ok"}}}
	}
	rollback := errors.New("roll back")
	err := s.InTx(ctx, func(tx store.Tx) error {
		must(t, c.InsertManyTx(ctx, tx, job(1)), "InsertManyTx")
		must(t, c.InsertManyFastTx(ctx, tx, job(2)), "InsertManyFastTx")
		return rollback
	})
	wantErr(t, err, rollback, "InTx")
	counts, err := c.CountJobsByState(ctx)
	must(t, err, "CountJobsByState")
	if d := diff(map[string]int{}, counts); d != "" {
		t.Errorf("jobs after a rollback (-want +got):\n%s", d)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		if err := c.InsertManyTx(ctx, tx, job(1)); err != nil {
			return err
		}
		return c.InsertManyFastTx(ctx, tx, job(2))
	})
	must(t, err, "InTx")
	inserted, err := c.Insert(ctx, riverJobArgs{Item: 3, Outcome: "ok"})
	must(t, err, "Insert")
	if !inserted {
		t.Error("Insert reports a job not inserted")
	}
	counts, err = c.CountJobsByState(ctx)
	must(t, err, "CountJobsByState")
	if d := diff(map[string]int{"available": 3}, counts); d != "" {
		t.Errorf("jobs after a commit (-want +got):\n%s", d)
	}
}

// testRiverJobReads works jobs to every end (completed, discarded,
// cancelled) and checks the reads of River's job table at each step.
func testRiverJobReads(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := mustRiverClient(t, s)
	later := &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}
	params := []river.InsertManyParams{
		{Args: riverJobArgs{Item: 1, Outcome: "fail"}},
		{Args: riverJobArgs{Item: 1, Outcome: "fail"}}, // discarded twice, listed once
		{Args: riverJobArgs{Item: 2, Outcome: "ok"}},
		{Args: riverJobArgs{Item: 3, Outcome: "cancel"}},
		{Args: riverJobArgs{Item: 4, Outcome: "fail"}}, // another job of 4 completes
		{Args: riverJobArgs{Item: 4, Outcome: "ok"}},
		{Args: riverJobArgs{Item: 5, Outcome: "ok"}, InsertOpts: later},
		{Args: riverJobArgs{Item: 6, Outcome: "fail"}}, // another job of 6 waits
		{Args: riverJobArgs{Item: 6, Outcome: "ok"}, InsertOpts: later},
	}
	must(t, s.InTx(ctx, func(tx store.Tx) error { return c.InsertManyTx(ctx, tx, params) }), "InsertManyTx")

	counts, err := c.CountJobsByState(ctx)
	must(t, err, "CountJobsByState")
	if d := diff(map[string]int{"available": 7, "scheduled": 2}, counts); d != "" {
		t.Errorf("jobs before work (-want +got):\n%s", d)
	}
	for _, tc := range []struct {
		ahead time.Duration
		want  int
	}{{time.Second, 7}, {2 * time.Hour, 9}} {
		n, err := c.CountRunnableJobs(ctx, tc.ahead)
		must(t, err, "CountRunnableJobs")
		if n != tc.want {
			t.Errorf("CountRunnableJobs(%s) = %d, want %d", tc.ahead, n, tc.want)
		}
	}

	must(t, c.Start(ctx), "Start")
	deadline := time.Now().Add(afterTx)
	for {
		n, err := c.CountRunnableJobs(ctx, time.Second)
		must(t, err, "CountRunnableJobs")
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still runnable after %s", n, afterTx)
		}
		time.Sleep(20 * time.Millisecond)
	}
	must(t, c.Stop(ctx), "Stop")

	counts, err = c.CountJobsByState(ctx)
	must(t, err, "CountJobsByState")
	if d := diff(map[string]int{"completed": 2, "discarded": 4, "cancelled": 1, "scheduled": 2}, counts); d != "" {
		t.Errorf("jobs after work (-want +got):\n%s", d)
	}
	got, err := c.ListDiscardedJobArgs(ctx, riverJobArgs{}.Kind(), "item")
	must(t, err, "ListDiscardedJobArgs")
	if d := diff([]int64{1}, got); d != "" {
		t.Errorf("ListDiscardedJobArgs (-want +got):\n%s", d)
	}
	got, err = c.ListDiscardedJobArgs(ctx, "other_kind", "item")
	must(t, err, "ListDiscardedJobArgs of another kind")
	if len(got) != 0 {
		t.Errorf("ListDiscardedJobArgs of another kind = %v, want none", got)
	}
	_, err = c.ListDiscardedJobArgs(ctx, riverJobArgs{}.Kind(), "outcome")
	if err == nil {
		t.Error("ListDiscardedJobArgs of a text argument: no error")
	}

	jobs, err := c.ListJobs(ctx, riverJobArgs{}.Kind(), "item", []string{"discarded", "scheduled", "pending"})
	must(t, err, "ListJobs")
	type job struct {
		Item      int64
		State     string
		Attempt   int
		Later     bool
		LastError string
	}
	var gotJobs []job
	for _, j := range jobs {
		gotJobs = append(gotJobs, job{j.Arg, j.State, j.Attempt, j.ScheduledAt.After(time.Now().Add(30 * time.Minute)), j.LastError})
	}
	failed := "storetest: failed on purpose"
	wantJobs := []job{{1, "discarded", 1, false, failed}, {1, "discarded", 1, false, failed}, {4, "discarded", 1, false, failed},
		{5, "scheduled", 0, true, ""}, {6, "discarded", 1, false, failed}, {6, "scheduled", 0, true, ""}}
	if d := diff(wantJobs, gotJobs); d != "" {
		t.Errorf("ListJobs (-want +got):\n%s", d)
	}
	if jobs, err := c.ListJobs(ctx, "other_kind", "item", []string{"discarded"}); err != nil || len(jobs) != 0 {
		t.Errorf("ListJobs of another kind = %v, %v; want none", jobs, err)
	}
	if _, err := c.ListJobs(ctx, riverJobArgs{}.Kind(), "outcome", []string{"discarded"}); err == nil {
		t.Error("ListJobs of a text argument: no error")
	}

	must(t, c.DeleteJobs(ctx), "DeleteJobs")
	counts, err = c.CountJobsByState(ctx)
	must(t, err, "CountJobsByState")
	if d := diff(map[string]int{}, counts); d != "" {
		t.Errorf("jobs after DeleteJobs (-want +got):\n%s", d)
	}
}
