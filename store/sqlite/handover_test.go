package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"kigen"
	"kigen/store"
	"kigen/store/sqlite"
)

// events records what a queue under hand-over did, in order.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, s)
}

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.got)
}

// waitFor waits until the events are want.
func (e *events) waitFor(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(e.list(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("events %q, want %q", e.list(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// openTwo opens one database file twice, as two processes would.
func openTwo(t *testing.T) (serve, cmd *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kigen.db")
	var err error
	if serve, err = sqlite.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { serve.Close() })
	if err := serve.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if cmd, err = sqlite.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Close() })
	return serve, cmd
}

// serveQueue runs a pretend job queue under s's hand-over; its stop takes
// stopTakes, as running jobs finishing would.
func serveQueue(ctx context.Context, s *sqlite.Store, ev *events, stopTakes time.Duration) (<-chan struct{}, error) {
	h, err := s.Handover()
	if err != nil {
		return nil, err
	}
	h.Poll = 20 * time.Millisecond
	return h.Serve(ctx, func(context.Context) error { ev.add("start"); return nil },
		func(context.Context) error { time.Sleep(stopTakes); ev.add("stop"); return nil })
}

func mustServeQueue(t *testing.T, ctx context.Context, s *sqlite.Store, ev *events, stopTakes time.Duration) <-chan struct{} {
	t.Helper()
	done, err := serveQueue(ctx, s, ev, stopTakes)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

// TestHandover checks that a long write in one process has the job queue
// of another stand aside for it, and only a long write.
func TestHandover(t *testing.T) {
	t.Parallel()
	serve, cmd := openTwo(t)
	ctx, cancel := context.WithCancel(context.Background())
	var ev events
	done := mustServeQueue(t, ctx, serve, &ev, 200*time.Millisecond)
	ev.waitFor(t, "start")

	// A short write is not handed over.
	if err := cmd.InTx(ctx, func(tx store.Tx) error {
		return tx.CreateMunicipality(ctx, &kigen.Municipality{Code: "012033", Name: "小樽市"})
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	ev.waitFor(t, "start")

	// A long one writes once the queue has stopped (its running jobs
	// done), and the queue starts again after it.
	var during []string
	if err := cmd.InTx(store.LongWrite(ctx), func(tx store.Tx) error {
		during = ev.list()
		return tx.CreateMunicipality(ctx, &kigen.Municipality{Code: "131016", Name: "千代田区"})
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(during, []string{"start", "stop"}) {
		t.Errorf("events while the long write ran: %q, want the queue stopped", during)
	}
	ev.waitFor(t, "start", "stop", "start")
	cancel()
	<-done
}

// TestHandover_WriterFirst checks a serve that starts while a long write
// runs: its queue starts after the write.
func TestHandover_WriterFirst(t *testing.T) {
	t.Parallel()
	serve, cmd := openTwo(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ev events
	inWrite, release := make(chan struct{}), make(chan struct{})
	wrote := make(chan error, 1)
	go func() {
		wrote <- cmd.InTx(store.LongWrite(ctx), func(store.Tx) error {
			close(inWrite)
			<-release
			return nil
		})
	}()
	<-inWrite
	type served struct {
		done <-chan struct{}
		err  error
	}
	started := make(chan served, 1)
	go func() {
		done, err := serveQueue(ctx, serve, &ev, 0)
		started <- served{done, err}
	}()
	time.Sleep(200 * time.Millisecond)
	if got := ev.list(); len(got) != 0 {
		t.Errorf("the queue did %q during the long write, want nothing", got)
	}
	close(release)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	sv := <-started
	if sv.err != nil {
		t.Fatal(sv.err)
	}
	ev.waitFor(t, "start")
	done := sv.done
	cancel()
	<-done
}

// TestHandover_Cancelled checks that a long write whose context ends
// while it waits for the queue writes nothing.
func TestHandover_Cancelled(t *testing.T) {
	t.Parallel()
	serve, cmd := openTwo(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ev events
	done := mustServeQueue(t, ctx, serve, &ev, time.Second) // jobs that take a second to finish
	ev.waitFor(t, "start")
	wctx, wcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer wcancel()
	ran := false
	err := cmd.InTx(store.LongWrite(wctx), func(store.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Errorf("InTx = %v (fn ran: %v); want the deadline, fn not run", err, ran)
	}
	ev.waitFor(t, "start", "stop", "start")
	cancel()
	<-done
}

// TestHandover_StartFails checks that Serve returns the first start's
// error, with nothing left running.
func TestHandover_StartFails(t *testing.T) {
	t.Parallel()
	serve, _ := openTwo(t)
	h, err := serve.Handover()
	if err != nil {
		t.Fatal(err)
	}
	failed := errors.New("river: no")
	done, err := h.Serve(context.Background(), func(context.Context) error { return failed },
		func(context.Context) error { return nil })
	if !errors.Is(err, failed) || done != nil {
		t.Errorf("Serve = %v, %v; want the start's error", done, err)
	}
	if _, err := (&sqlite.Store{}).Handover(); err == nil {
		t.Error("a store with no file has a hand-over")
	}
}
