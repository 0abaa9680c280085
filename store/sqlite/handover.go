package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// Handover shares the database's one writer between kigen serve's job
// queue and a command that writes for long (an import: a transaction
// marked with store.LongWrite) in another process on the same file.
//
// Why: SQLite lets one connection write at a time, and an import holds the
// write lock for its whole transaction (seconds to minutes: all rows or
// none). River, in serve, writes every few seconds — fetching jobs, and
// re-electing its leader every 5 s within a 5 s deadline and a 15 s lease
// it cannot renew without writing. Kept from the writer for longer, it
// logs errors, and its leader steps down: its periodic jobs (the daily
// tick) stop until it is elected again. No busy timeout helps: River's
// own deadlines are shorter than the import.
//
// How: two lock files beside the database (flock; the kernel releases a
// dead process's locks). PATH-serve.lock is held shared by every serve
// whose job queue runs. A long writer takes PATH-write.lock exclusively
// (long writers queue there), then PATH-serve.lock exclusively, which it
// gets once every serve has stopped its queue. Serve looks at
// PATH-write.lock every Poll: when a writer holds it, serve stops its
// queue (running jobs finish; the leadership is resigned, not lost),
// releases PATH-serve.lock, waits until the writer is done, and starts its
// queue again (elected again; a tick due meanwhile is caught up). Short
// writes (a counter's action) are not handed over: they cost the others a
// few milliseconds of SQLite's busy wait.
type Handover struct {
	serveLock, writeLock string
	// Poll is how often serve looks for a long writer; default 250 ms.
	Poll time.Duration
}

// Handover returns the database's hand-over, or an error saying why there
// is none (an in-memory database, a system without file locks).
func (s *Store) Handover() (*Handover, error) {
	if s.path == "" || s.path == ":memory:" {
		return nil, errors.New("sqlite: an in-memory database has no hand-over: no other process shares it")
	}
	if !flockSupported {
		return nil, errors.New("sqlite: no file locks on this system: a command that writes for long makes kigen serve's queue fail its deadlines")
	}
	return &Handover{serveLock: s.path + "-serve.lock", writeLock: s.path + "-write.lock"}, nil
}

func (h *Handover) poll() time.Duration {
	if h.Poll > 0 {
		return h.Poll
	}
	return 250 * time.Millisecond
}

// lockPoll is how often a lock that is taken is tried again.
const lockPoll = 20 * time.Millisecond

// lockFile is one open lock file.
type lockFile struct{ f *os.File }

func openLock(path string) (*lockFile, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock file: %w", err)
	}
	return &lockFile{f}, nil
}

// lock takes the lock (exclusive or shared), trying again every lockPoll
// until ctx is done.
func (l *lockFile) lock(ctx context.Context, exclusive bool) error {
	for {
		ok, err := tryFlock(l.f, exclusive)
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}

// free reports whether nobody holds the lock exclusively (it takes it
// shared and lets it go).
func (l *lockFile) free() (bool, error) {
	ok, err := tryFlock(l.f, false)
	if ok {
		err = unflock(l.f)
	}
	return ok, err
}

func (l *lockFile) unlock() error { return unflock(l.f) }

func (l *lockFile) close() error { return l.f.Close() }

// open opens both lock files: PATH-write.lock, then PATH-serve.lock.
// closeBoth closes them in the other order, which drops their locks.
func (h *Handover) open() (w, sv *lockFile, closeBoth func(), err error) {
	if w, err = openLock(h.writeLock); err != nil {
		return nil, nil, nil, err
	}
	if sv, err = openLock(h.serveLock); err != nil {
		w.close()
		return nil, nil, nil, err
	}
	return w, sv, func() {
		sv.close() // serve's queue may start again...
		w.close()  // ...once no long writer waits
	}, nil
}

// acquireWriter waits until this process may write for long: other long
// writers done, every serve's queue stopped. release lets them go on.
func (h *Handover) acquireWriter(ctx context.Context) (release func(), err error) {
	w, sv, closeBoth, err := h.open()
	if err != nil {
		return nil, err
	}
	if err = w.lock(ctx, true); err == nil {
		err = sv.lock(ctx, true)
	}
	if err != nil {
		closeBoth()
		return nil, fmt.Errorf("sqlite: wait for the database's writer: %w", err)
	}
	return closeBoth, nil
}

// Serve runs kigen serve's job queue, handing the writer over to long
// writers: start starts the queue (and catches up what it owes), stop
// stops it, letting running jobs finish. Serve waits until no long writer
// holds the database, starts the queue and returns start's error; then,
// until ctx ends, it watches in the background, calling stop and start
// again around each long write (they log what they do and their errors;
// a start that failed is tried again 5 s later). done is closed once the
// watch has ended (with the queue stopped if ctx ended during a
// hand-over).
func (h *Handover) Serve(ctx context.Context, start, stop func(context.Context) error) (done <-chan struct{}, err error) {
	w, sv, closeBoth, err := h.open()
	if err != nil {
		return nil, err
	}
	t := time.NewTicker(h.poll())
	if err = h.take(ctx, w, sv, t); err == nil {
		err = start(ctx)
	}
	if err != nil {
		t.Stop()
		closeBoth()
		return nil, err
	}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		defer closeBoth()
		defer t.Stop()
		h.watch(ctx, w, sv, t, start, stop)
	}()
	return ch, nil
}

// take waits until no long writer holds the database, and takes the
// queue's lock (shared).
func (h *Handover) take(ctx context.Context, w, sv *lockFile, t *time.Ticker) error {
	for {
		if err := h.waitFree(ctx, w, t); err != nil {
			return err
		}
		if err := sv.lock(ctx, false); err != nil {
			return err
		}
		if free, err := w.free(); err == nil && free {
			return nil
		}
		_ = sv.unlock() // the next long writer came first
	}
}

// watch is Serve's background part; the queue runs, and its lock is held.
func (h *Handover) watch(ctx context.Context, w, sv *lockFile, t *time.Ticker, start, stop func(context.Context) error) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if free, err := w.free(); err != nil || free {
			continue
		}
		_ = stop(context.WithoutCancel(ctx)) // the caller bounds it and logs its error
		_ = sv.unlock()
		for {
			if err := h.take(ctx, w, sv, t); err != nil {
				return
			}
			if err := start(ctx); err == nil {
				break
			}
			_ = sv.unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
		}
	}
}

// waitFree waits until no long writer holds PATH-write.lock, looking at
// each tick of t.
func (h *Handover) waitFree(ctx context.Context, w *lockFile, t *time.Ticker) error {
	for {
		if free, err := w.free(); err == nil && free {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
