// Package logtest captures the logs of the notify packages in their tests
// and checks that they hold no personal data.
package logtest

import (
	"bytes"
	"log/slog"
	"regexp"
	"sync"
	"testing"
)

// Buffer is a concurrency-safe log sink.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// New returns a logger writing JSON lines, at every level, without the time
// (whose digits would look like a phone number), and the buffer it writes to.
func New() (*slog.Logger, *Buffer) {
	b := &Buffer{}
	h := slog.NewJSONHandler(b, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	return slog.New(h), b
}

var (
	emailRE = regexp.MustCompile(`[^\s"<>@]+@[^\s"<>@]+\.[^\s"<>@]+`)
	// Not inside an id: "SM0000000000000000000000000000001" is a Twilio SID.
	phoneRE = regexp.MustCompile(`(?:^|[^0-9A-Za-z_])\+?[0-9](?:[\s\-()]?[0-9]){7,}(?:$|[^0-9A-Za-z_])`)
)

// AssertNoPersonalData fails t if logs hold anything shaped like an email
// address or a phone number (8 digits or more), or any of the given
// strings (the addresses and texts the test used).
func AssertNoPersonalData(t testing.TB, logs string, known ...string) {
	t.Helper()
	if m := emailRE.FindString(logs); m != "" {
		t.Errorf("log holds an email address %q:\n%s", m, logs)
	}
	if m := phoneRE.FindString(logs); m != "" {
		t.Errorf("log holds a phone number %q:\n%s", m, logs)
	}
	for _, k := range known {
		if k != "" && bytes.Contains([]byte(logs), []byte(k)) {
			t.Errorf("log holds %q:\n%s", k, logs)
		}
	}
}
