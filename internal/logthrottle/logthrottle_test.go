package logthrottle_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"kigen/internal/logthrottle"
)

// buffer is a log destination safe for the timer's goroutine.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// lines returns the records logged so far, decoded.
func (b *buffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for l := range strings.Lines(b.b.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestHandler(t *testing.T) {
	t.Parallel()
	buf := &buffer{}
	const interval = 200 * time.Millisecond
	h := logthrottle.New(slog.NewJSONHandler(buf, nil), interval)
	logger := slog.New(h).With("component", "river")

	// The database is down: River says the same thing again and again.
	for range 60 {
		logger.Error("producer: Error fetching jobs", "err", "connection refused")
	}
	logger.Error("producer: Error fetching jobs", "err", "another error") // not identical
	for i := range 5 {
		// River's backoff numbers its retries: still the same failure.
		logger.Error("leadership.Elector: Error attempting reelection", "attempt", i, "sleep_duration", time.Duration(i)*time.Second)
	}
	for i := range 3 {
		logger.Info("message sent", "message_id", i) // never held back
	}
	logger.Warn("deliver: permanent failure", "message_id", 7)
	logger.Warn("deliver: permanent failure", "message_id", 8) // another message: its own line
	if got := len(buf.lines(t)); got != 8 {
		t.Fatalf("%d lines at once, want 8 (the first of each failure, every info):\n%v", got, buf.lines(t))
	}

	// Once the interval ends, one line says how many were held back.
	time.Sleep(interval + interval/2)
	lines := buf.lines(t)
	if len(lines) != 10 {
		t.Fatalf("%d lines after the interval, want 10:\n%v", len(lines), lines)
	}
	last := lines[8]
	if lines[9]["msg"] == "producer: Error fetching jobs" {
		last = lines[9]
	}
	if last["msg"] != "producer: Error fetching jobs" || last["repeated"] != float64(59) || last["component"] != "river" ||
		last["err"] != "connection refused" || last["level"] != "ERROR" {
		t.Errorf("the count's line = %v, want the record with repeated=59", last)
	}

	// Still failing: one line per interval, with its count.
	for range 10 {
		logger.Error("producer: Error fetching jobs", "err", "connection refused")
	}
	if got := len(buf.lines(t)); got != 10 {
		t.Errorf("%d lines, want 10: a repeat within the next interval is held back", got)
	}
	h.Flush()
	lines = buf.lines(t)
	if len(lines) != 11 || lines[10]["repeated"] != float64(10) {
		t.Errorf("after Flush: %d lines, the last %v; want 11, the last with repeated=10", len(lines), lines[len(lines)-1])
	}

	// Once it stops, the next one is logged at once.
	logger.Error("producer: Error fetching jobs", "err", "connection refused")
	if got := len(buf.lines(t)); got != 12 {
		t.Errorf("%d lines, want 12: the first failure after a flush is logged", got)
	}
}
