// Package logthrottle keeps a failure that repeats from flooding the log:
// while the database is down, River retries its fetch, its election and its
// listener several times a second, each retry an ERROR line. Handler lets
// the first of identical WARN and ERROR records through and counts the
// rest, logging the count once per interval.
package logthrottle

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Handler is a slog.Handler that passes every record to the next handler,
// but for repeats: a WARN or ERROR record identical to one logged less than
// the interval ago (the same level, message and attributes, the logger's
// own included) is held back and counted. At the end of the interval, if
// any were held back, the record is logged once more with repeated (how
// many were held back) and interval attributes, and a new interval begins;
// if none were, the next one is logged at once. Records below WARN are
// never held back: they are the log of what was done (a message sent), not
// of a failure.
//
// Records with an id among their attributes (a message, a delivery) are
// not identical to each other: only a failure that says the same thing
// again is throttled. The attributes that only number a retry and its wait
// (River's attempt and sleep_duration, see retryAttrs) do not count. A Handler and those made from it (WithAttrs,
// WithGroup) share their counts.
type Handler struct {
	next  slog.Handler
	scope string // the logger's own attributes and groups, as text
	st    *state
}

type state struct {
	interval time.Duration
	mu       sync.Mutex
	windows  map[string]*window
}

// window is an interval in which records of one key are held back.
type window struct {
	rec   slog.Record  // the first record of the key, for the count's line
	next  slog.Handler // where it went
	held  int
	timer *time.Timer
}

var _ slog.Handler = (*Handler)(nil)

// New returns a Handler that throttles the records next gets, logging a
// repeated failure at most once per interval.
func New(next slog.Handler, interval time.Duration) *Handler {
	return &Handler{next: next, st: &state{interval: interval, windows: map[string]*window{}}}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.scope)
	for _, a := range as {
		writeAttr(&b, a)
	}
	return &Handler{next: h.next.WithAttrs(as), scope: b.String(), st: h.st}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), scope: h.scope + name + "{", st: h.st}
}

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	key := h.key(r)
	st := h.st
	st.mu.Lock()
	if w, ok := st.windows[key]; ok {
		w.held++
		st.mu.Unlock()
		return nil
	}
	w := &window{rec: r.Clone(), next: h.next}
	st.windows[key] = w
	w.timer = time.AfterFunc(st.interval, func() { st.end(key, w) })
	st.mu.Unlock()
	return h.next.Handle(ctx, r)
}

// end ends w's interval: with records held back, their count is logged and
// a new interval begins; without, the key is forgotten.
func (st *state) end(key string, w *window) {
	st.mu.Lock()
	if st.windows[key] != w {
		st.mu.Unlock()
		return // flushed meanwhile
	}
	held := w.held
	if held == 0 {
		delete(st.windows, key)
	} else {
		w.held = 0
		w.timer.Reset(st.interval)
	}
	st.mu.Unlock()
	if held > 0 {
		st.logCount(w, held)
	}
}

// Flush logs the count of every record held back now, and forgets them: for
// a process about to exit.
func (h *Handler) Flush() {
	st := h.st
	st.mu.Lock()
	windows := st.windows
	st.windows = map[string]*window{}
	st.mu.Unlock()
	for _, w := range windows {
		w.timer.Stop()
		if w.held > 0 {
			st.logCount(w, w.held)
		}
	}
}

// logCount logs w's record again with how many were held back.
func (st *state) logCount(w *window, held int) {
	r := slog.NewRecord(time.Now(), w.rec.Level, w.rec.Message, 0)
	w.rec.Attrs(func(a slog.Attr) bool {
		r.AddAttrs(a)
		return true
	})
	r.AddAttrs(slog.Int("repeated", held), slog.Duration("interval", st.interval))
	_ = w.next.Handle(context.Background(), r)
}

// key is what makes two records identical: the logger's scope, the level,
// the message and the attributes.
func (h *Handler) key(r slog.Record) string {
	var b strings.Builder
	b.WriteString(h.scope)
	b.WriteString(r.Level.String())
	b.WriteByte(0)
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, a)
		return true
	})
	return b.String()
}

// retryAttrs are the attributes left out of a record's identity: River's
// elector and notifier number their retries and say how long they wait,
// and the retries of one failure are the same failure.
var retryAttrs = map[string]bool{"attempt": true, "sleep_duration": true}

func writeAttr(b *strings.Builder, a slog.Attr) {
	if retryAttrs[a.Key] {
		return
	}
	b.WriteByte(0)
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(a.Value.Resolve().String())
}
