package scheduler_test

import (
	"context"
	"testing"
	"time"

	"kigen"
	"kigen/internal/storetesting"
	"kigen/scheduler"
	"kigen/store"
)

func TestTickWatch_ResumesAStaleTick(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		dueCard(t, s)
		clock := now.Add(30 * time.Minute) // 09:30: today's tick is due
		today := kigen.DateOf(clock)
		// A tick that started and died: its row never finished.
		dead := &store.Tick{Date: today, StartedAt: clock}
		if err := s.CreateTick(ctx, dead); err != nil {
			t.Fatal(err)
		}
		p := &scheduler.Planner{Store: s}
		var observed int
		w := &scheduler.TickWatch{Planner: p, LastTick: s.LastTick, Schedule: dailyAt9{}, StaleAfter: 50 * time.Millisecond,
			Now: func() time.Time { return clock }, Observe: func(scheduler.TickSummary, time.Duration) { observed++ }}

		if ran, err := w.Check(ctx); err != nil || ran {
			t.Fatalf("first sight: ran %v, err %v; want to wait StaleAfter", ran, err)
		}
		if ran, err := w.Check(ctx); err != nil || ran {
			t.Fatalf("at once: ran %v, err %v; want to wait StaleAfter", ran, err)
		}
		time.Sleep(60 * time.Millisecond)
		ran, err := w.Check(ctx)
		if err != nil || !ran {
			t.Fatalf("after StaleAfter: ran %v, err %v; want the tick resumed", ran, err)
		}
		if observed != 1 {
			t.Errorf("Observe called %d times, want 1", observed)
		}
		last, err := s.LastTick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if last.ID == dead.ID || last.FinishedAt.IsZero() || last.Notices != 1 {
			t.Errorf("last tick = %+v; want a new finished tick with the 1 due notice", last)
		}
		// Finished today: nothing more to do, however long it waits.
		time.Sleep(60 * time.Millisecond)
		if ran, err := w.Check(ctx); err != nil || ran {
			t.Errorf("after a finished tick: ran %v, err %v; want nothing", ran, err)
		}
	})
}

func TestTickWatch_LeavesAlone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		clock    time.Time // Kigen's clock
		tickDate kigen.Date
		active   bool // this process is ticking
	}{
		{name: "before today's scheduled time", clock: now.Add(-time.Hour), tickDate: kigen.DateOf(now)},
		{name: "an unfinished tick of an earlier day", clock: now.Add(time.Hour), tickDate: kigen.DateOf(now).AddDays(-1)},
		{name: "this process is ticking", clock: now.Add(time.Hour), tickDate: kigen.DateOf(now), active: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := storetesting.SQLite(t)
			ctx := t.Context()
			if err := s.CreateTick(ctx, &store.Tick{Date: tt.tickDate, StartedAt: tt.clock}); err != nil {
				t.Fatal(err)
			}
			p := &scheduler.Planner{Store: s}
			release := make(chan struct{})
			if tt.active {
				blocked := &blockingStore{Store: s, release: release, entered: make(chan struct{})}
				p.Store = blocked
				go p.Tick(ctx, tt.tickDate)
				<-blocked.entered
			}
			defer close(release)
			w := &scheduler.TickWatch{Planner: p, LastTick: s.LastTick, Schedule: dailyAt9{}, StaleAfter: time.Millisecond,
				Now: func() time.Time { return tt.clock }}
			for range 3 {
				if ran, err := w.Check(ctx); err != nil || ran {
					t.Fatalf("ran %v, err %v; want nothing", ran, err)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

// blockingStore holds CreateTick until release is closed, so that a tick
// stays running.
type blockingStore struct {
	store.Store
	entered chan struct{}
	release chan struct{}
}

func (b *blockingStore) CreateTick(ctx context.Context, t *store.Tick) error {
	close(b.entered)
	<-b.release
	return b.Store.CreateTick(ctx, t)
}
