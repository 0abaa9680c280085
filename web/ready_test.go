package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/store"
	"kigen/store/sqlite"
	"kigen/web"
)

// jst is Asia/Tokyo (no daylight saving time), without tzdata.
var jst = time.FixedZone("JST", 9*60*60)

// at returns the time on 2026-03-10 (JST) at hh:mm, plus days.
func at(days, hh, mm int) time.Time {
	return time.Date(2026, 3, 10+days, hh, mm, 0, 0, jst)
}

// prevDaily9 is the schedule "CRON_TZ=Asia/Tokyo 0 9 * * *" as Prev: the
// last 09:00 JST at or before now.
func prevDaily9(now time.Time) time.Time {
	now = now.In(jst)
	p := time.Date(now.Year(), now.Month(), now.Day(), 9, 0, 0, 0, jst)
	if p.After(now) {
		p = p.AddDate(0, 0, -1)
	}
	return p
}

// readinessCase builds a Readiness from fakes; nil fields are healthy.
type readinessCase struct {
	name        string
	now         time.Time
	pingErr     error
	pending     int
	pendingErr  error
	lastTick    *store.Tick // nil: none ever ran
	lastTickErr error
	grace       time.Duration
	want        []web.Problem // nil: ready
}

func (c readinessCase) readiness() *web.Readiness {
	return &web.Readiness{
		Ping:              func(context.Context) error { return c.pingErr },
		MigrationsPending: func(context.Context) (int, error) { return c.pending, c.pendingErr },
		LastTick: func(context.Context) (*store.Tick, error) {
			if c.lastTickErr != nil {
				return nil, c.lastTickErr
			}
			if c.lastTick == nil {
				return nil, fmt.Errorf("LastTick: %w", store.ErrNotFound)
			}
			t := *c.lastTick
			return &t, nil
		},
		Prev:  prevDaily9,
		Grace: c.grace,
		Now:   func() time.Time { return c.now },
	}
}

func TestReadiness(t *testing.T) {
	t.Parallel()
	finished := func(started, done time.Time) *store.Tick {
		return &store.Tick{ID: 7, Date: kigen.DateOf(started.In(jst)), StartedAt: started.UTC(), FinishedAt: done.UTC()}
	}
	running := func(started time.Time) *store.Tick {
		return &store.Tick{ID: 8, Date: kigen.DateOf(started.In(jst)), StartedAt: started.UTC()}
	}
	today9 := at(0, 9, 0).Add(3 * time.Second)
	yesterday9 := at(-1, 9, 0).Add(3 * time.Second)

	tests := []readinessCase{
		{
			name:     "Ready",
			now:      at(0, 10, 30),
			lastTick: finished(today9, today9.Add(time.Minute)),
		},
		{
			name:     "ReadyBefore9",
			now:      at(0, 8, 0),
			lastTick: finished(yesterday9, yesterday9.Add(time.Minute)),
		},
		{
			name:     "ReadyWithinGrace",
			now:      at(0, 9, 30),
			lastTick: finished(yesterday9, yesterday9.Add(time.Minute)),
		},
		{
			name:    "DatabaseDown",
			now:     at(0, 10, 30),
			pingErr: errors.New("failed to connect to `user=kigen host=10.1.2.3`: connection refused"),
			// Nothing else is checked: it would fail for the same reason.
			pending:  3,
			want:     []web.Problem{{Check: "database", Message: "the database does not answer"}},
			lastTick: nil,
		},
		{
			name:     "MigrationsPending",
			now:      at(0, 10, 30),
			pending:  2,
			lastTick: finished(today9, today9.Add(time.Minute)),
			want:     []web.Problem{{Check: "migrations", Message: "2 migration(s) pending: run kigen migrate"}},
		},
		{
			name:       "MigrationsUnreadable",
			now:        at(0, 10, 30),
			pendingErr: errors.New("no such table"),
			lastTick:   finished(today9, today9.Add(time.Minute)),
			want:       []web.Problem{{Check: "migrations", Message: "cannot read the applied migrations"}},
		},
		{
			name:     "TickOverdue",
			now:      at(0, 10, 30),
			lastTick: finished(yesterday9, yesterday9.Add(time.Minute)),
			want: []web.Problem{{Check: "tick", Message: "the tick due at 2026-03-10T09:00:00+09:00 has not started; " +
				"the last one started at 2026-03-09T09:00:03+09:00"}},
		},
		{
			name:     "TickOverdueLongerGrace",
			now:      at(0, 10, 30),
			grace:    3 * time.Hour,
			lastTick: finished(yesterday9, yesterday9.Add(time.Minute)),
		},
		{
			name: "TickNeverRan",
			now:  at(0, 10, 30),
			want: []web.Problem{{Check: "tick", Message: "no tick has ever run; one was due at 2026-03-10T09:00:00+09:00"}},
		},
		{
			name: "TickNeverRanWithinGrace",
			now:  at(0, 9, 45),
		},
		{
			name:     "TickStuck",
			now:      at(0, 9, 45),
			lastTick: running(today9),
			want: []web.Problem{{Check: "tick",
				Message: "the tick started at 2026-03-10T09:00:03+09:00 has not finished after 44m0s"}},
		},
		{
			name:     "TickRunning",
			now:      at(0, 9, 20),
			lastTick: running(today9),
		},
		{
			name:     "TickStuckAndOverdue",
			now:      at(0, 10, 30),
			lastTick: running(yesterday9),
			want: []web.Problem{
				{Check: "tick", Message: "the tick due at 2026-03-10T09:00:00+09:00 has not started; " +
					"the last one started at 2026-03-09T09:00:03+09:00"},
				{Check: "tick", Message: "the tick started at 2026-03-09T09:00:03+09:00 has not finished after 25h29m0s"},
			},
		},
		{
			name:        "TickUnreadable",
			now:         at(0, 10, 30),
			lastTickErr: errors.New("no such table: ticks"),
			want:        []web.Problem{{Check: "tick", Message: "cannot read the last tick"}},
		},
		{
			name:     "MigrationsAndTick",
			now:      at(1, 10, 30),
			pending:  1,
			lastTick: finished(yesterday9, yesterday9.Add(time.Minute)),
			want: []web.Problem{
				{Check: "migrations", Message: "1 migration(s) pending: run kigen migrate"},
				{Check: "tick", Message: "the tick due at 2026-03-11T09:00:00+09:00 has not started; " +
					"the last one started at 2026-03-09T09:00:03+09:00"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, _ := newLogger(t)
			srv := httptest.NewServer(web.NewHandler(web.Deps{Ready: tt.readiness(), Logger: logger}))
			t.Cleanup(srv.Close)

			status, got, body := mustReadyz(t, srv)
			wantStatus, want := http.StatusOK, readyResponse{Status: "ready"}
			if tt.want != nil {
				wantStatus, want = http.StatusServiceUnavailable, readyResponse{Status: "not ready", Problems: tt.want}
			}
			if status != wantStatus {
				t.Errorf("status = %d, want %d", status, wantStatus)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if strings.Contains(body, "10.1.2.3") || strings.Contains(body, "no such table") {
				t.Errorf("/readyz serves an error's text: %s", body)
			}
		})
	}
}

// TestReadiness_SQLite checks the wiring of `kigen serve` against the
// embedded store: not ready before migrations, then until a tick ran, then
// ready, then not ready once the database is closed.
func TestReadiness_SQLite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kigen.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	now := at(0, 10, 30)
	logger, _ := newLogger(t)
	srv := httptest.NewServer(web.NewHandler(web.Deps{Logger: logger, Ready: &web.Readiness{
		Ping:              s.Ping,
		MigrationsPending: s.MigrationsPending,
		LastTick:          s.LastTick,
		Prev:              prevDaily9,
		Now:               func() time.Time { return now },
	}}))
	t.Cleanup(srv.Close)

	checks := func() []string {
		t.Helper()
		var got []string
		_, r, _ := mustReadyz(t, srv)
		for _, p := range r.Problems {
			got = append(got, p.Check)
		}
		return got
	}

	if got := checks(); !cmp.Equal(got, []string{"migrations", "tick"}) {
		t.Errorf("before Migrate: problems %v, want [migrations tick]", got)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := checks(); !cmp.Equal(got, []string{"tick"}) {
		t.Errorf("after Migrate: problems %v, want [tick]", got)
	}
	tick := &store.Tick{Date: kigen.DateOf(now), StartedAt: at(0, 9, 0)}
	if err := s.CreateTick(ctx, tick); err != nil {
		t.Fatal(err)
	}
	tick.FinishedAt = at(0, 9, 1)
	if err := s.FinishTick(ctx, tick); err != nil {
		t.Fatal(err)
	}
	if got := checks(); got != nil {
		t.Errorf("after a tick: problems %v, want none", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := checks(); !cmp.Equal(got, []string{"database"}) {
		t.Errorf("closed: problems %v, want [database]", got)
	}
}
