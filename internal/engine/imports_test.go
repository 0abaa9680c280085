package engine_test

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kigen/desk"
	"kigen/internal/config"
	"kigen/internal/engine"
	"kigen/internal/storetesting"
	"kigen/scheduler"
	"kigen/store"
)

// The engine's queue is what the console's desk queues background
// imports on (Surfaces).
var _ desk.JobInserter = (*scheduler.Queue)(nil)

// TestEngine_ImportWorker: the engine's queue works background imports —
// a large file queued through the desk on it is imported by its workers.
func TestEngine_ImportWorker(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		cfg := config.Default()
		cfg.Outbox = filepath.Join(t.TempDir(), "outbox.jsonl")
		now := func() time.Time { return time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC) }
		logger := slog.New(slog.DiscardHandler)
		eng, err := engine.New(ctx, cfg, s, now, logger, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		d := &desk.Desk{Store: s, Queue: eng.Queue, Jobs: eng.Queue, Now: now}
		if _, err := d.CreateMunicipality(ctx, desk.LocalOperator("test"), desk.MunicipalityParams{Code: "012033"}); err != nil {
			t.Fatal(err)
		}
		admin, _, err := d.LocalAdmin(ctx, "test", "012033")
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		sb.WriteString("resident_ref,language\n")
		for i := range desk.BackgroundRows + 1 {
			fmt.Fprintf(&sb, "E-%05d,en\n", i)
		}
		st, err := d.StartImport(ctx, admin, desk.ImportParams{CSV: strings.NewReader(sb.String())})
		if err != nil || st.Queued == nil {
			t.Fatalf("StartImport: %+v, %v", st, err)
		}
		if err := eng.Queue.WorkUntilIdle(ctx); err != nil {
			t.Fatal(err)
		}
		r, err := d.GetImport(ctx, admin, "", st.Queued.ID)
		if err != nil || r.State != store.ImportDone || r.Created != desk.BackgroundRows+1 {
			t.Errorf("after the queue worked: %+v, %v", r, err)
		}
	})
}
